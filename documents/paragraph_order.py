"""Which `w:p` elements of a document's body are its paragraphs, and in what order.

Paragraphs, in document order (`paragraph_elements`): a pre-order walk of `w:body` — body
paragraphs and tables in order; a table row by row, a row cell by cell, a cell's content in order
(nested tables at their place); block-level content controls (`w:sdt/w:sdtContent`) and
`w:customXml`, around paragraphs, rows or cells, are looked through. Paragraphs in text boxes
(`w:txbxContent`), headers, footers, footnotes, endnotes and comments are not read.

The reader (`documents.tracked_changes`) reads the paragraphs in this order, with their `Place`
(body, table cell or content control; the container; the table row's tracked state), and the
compiler and accept-all rewrite the same elements, so `read_document(data).paragraphs[i]` is
`paragraph_elements(body)[i]`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from documents.model import Location, SegmentState, TrackedChange
from documents.wordml import (
    CELL_DEL,
    CELL_INS,
    CUSTOM_XML,
    DEL,
    INS,
    RANGE_MARKERS,
    SDT,
    SDT_CONTENT,
    TBL,
    TC,
    TCPR,
    TR,
    TRPR,
    Element,
    P,
    tracked_change,
)

__all__ = ["Place", "blocks", "paragraph_elements"]


@dataclass(frozen=True)
class Place:
    """Where a paragraph stands: its location, its container (0 the body, then each table cell
    in document order) and the tracked state of the table row or cell that holds it.

    `tables` and `rows` are the tables and rows around it, outermost first, each numbered in
    document order from 1; `row_level` is the index in `rows` of the row whose `w:trPr/w:ins`
    or `w:del` gives `row` (None when `row` is unchanged or comes from a cell's own change)."""

    location: Location = Location.BODY
    container: int = 0
    row: SegmentState = SegmentState.UNCHANGED
    row_change: TrackedChange | None = None
    tables: tuple[int, ...] = ()
    rows: tuple[int, ...] = ()
    row_level: int | None = None


@dataclass
class _Ids:
    """The numbers handed out in document order: cells (containers), tables, rows."""

    cells: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    tables: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    rows: Iterator[int] = field(default_factory=lambda: itertools.count(1))


def paragraph_elements(body: Element) -> list[Element]:
    """The `w:p` elements of `body` (a `w:body`) read as the Document's paragraphs, in the same
    order: a pre-order walk — body paragraphs and tables in order, a table row by row and a row
    cell by cell, nested tables at their place, content controls and `w:customXml` looked
    through; text boxes skipped. `read_document(data).paragraphs[i]` is element `i`."""
    return [element for element, place in blocks(body) if place is not None]


def blocks(body: Element) -> Iterator[tuple[Element, Place | None]]:
    """Paragraphs with their place, and move-range markers between blocks (place None), in
    document order."""
    yield from _container(body, Place(), _Ids())


def _looked_through(element: Element) -> Iterator[Element]:
    """The children of `element`, with content controls and custom XML replaced by theirs."""
    for child in element:
        if child.tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                yield from _looked_through(content)
        elif child.tag == CUSTOM_XML:
            yield from _looked_through(child)
        elif isinstance(child.tag, str):
            yield child


def _container(element: Element, place: Place, ids: _Ids) -> Iterator[tuple[Element, Place | None]]:
    for child in element:
        tag = child.tag
        if tag == P:
            yield child, place
        elif tag == TBL:
            yield from _table(child, place, ids)
        elif tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                inner = replace(place, location=Location.CONTENT_CONTROL)
                yield from _container(content, inner, ids)
        elif tag == CUSTOM_XML:
            yield from _container(child, place, ids)
        elif tag in RANGE_MARKERS:
            yield child, None


def _table(table: Element, place: Place, ids: _Ids) -> Iterator[tuple[Element, Place | None]]:
    in_table = replace(place, tables=(*place.tables, next(ids.tables)))
    for row in _looked_through(table):
        if row.tag in RANGE_MARKERS:
            yield row, None
        if row.tag != TR:
            continue
        in_row = replace(in_table, rows=(*in_table.rows, next(ids.rows)))
        row_place = _with_row(in_row, row.find(TRPR), INS, DEL, len(in_row.rows) - 1)
        for cell in _looked_through(row):
            if cell.tag in RANGE_MARKERS:
                yield cell, None
            if cell.tag != TC:
                continue
            cell_place = _with_row(row_place, cell.find(TCPR), CELL_INS, CELL_DEL, None)
            inner = replace(cell_place, location=Location.TABLE, container=next(ids.cells))
            yield from _container(cell, inner, ids)


def _with_row(
    place: Place, properties: Element | None, ins: str, dele: str, level: int | None
) -> Place:
    """An outer row's state stands (a deleted row takes its nested tables with it); `level`:
    the row's index in `place.rows` (None for a cell)."""
    if place.row is not SegmentState.UNCHANGED or properties is None:
        return place
    for tag, state in ((ins, SegmentState.INSERTED), (dele, SegmentState.DELETED)):
        marker = properties.find(tag)
        if marker is not None:
            return replace(place, row=state, row_change=tracked_change(marker), row_level=level)
    return place

"""Table rows inserted or deleted whole in the compiled revision, as Word tracks them.

A row a delegation inserted (`Edit.cells`) becomes a new `w:tr` marked `w:trPr/w:ins`, its
cells holding the rebuilt paragraphs (their text and marks inserted); it takes the row and cell
properties of the base row it stands next to (as Word's "Insert Row" does), and goes after
that row, or before it when the delegation made it the table's first row. A row deleted whole
keeps its place and is marked `w:trPr/w:del` (its text and marks deleted, by
`documents.revision`). Here too: the numbering of revision ids, and the revision elements.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from documents.revision_pieces import RowPlace
from documents.wordml import CELL_DEL, CELL_INS, DEL, INS, TC, TCPR, TR, TRPR, P, w

__all__ = ["RevisionIds", "Rows", "revision_element"]

# Cell properties that tie a cell to its neighbours or carry a change: not copied into a row
# whose cells do not line up with the base row's.
_SPANS = frozenset({w("gridSpan"), w("vMerge"), w("hMerge")})
_CHANGES = frozenset({CELL_INS, CELL_DEL, w("cellMerge"), w("tcPrChange"), INS, DEL})
_ROW_CHANGES = frozenset({INS, DEL, w("trPrChange")})


class RevisionIds:
    def __init__(self, start: int) -> None:
        self.next = start

    def take(self) -> str:
        self.next += 1
        return str(self.next)


def revision_element(kind: str, author: str, when: datetime, ids: RevisionIds) -> Any:
    """`w:ins`, `w:del`, … with a fresh id, its author and date."""
    element = etree.Element(w(kind))
    element.set(w("id"), ids.take())
    element.set(w("author"), author)
    element.set(w("date"), when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return element


@dataclass
class _NewRow:
    template: Any  # the base row it stands next to
    place: RowPlace
    codes: tuple[str, ...]
    cells: dict[int, list[Any]] = field(default_factory=dict)


class Rows:
    """The rows of one rendering: collected while paragraphs are rebuilt, then placed."""

    def __init__(
        self,
        elements: Sequence[Any],
        author: Callable[[tuple[str, ...]], str],
        date: Callable[[tuple[str, ...]], datetime],
        ids: RevisionIds,
    ) -> None:
        self._elements = elements
        self._author, self._date, self._ids = author, date, ids
        self._new: dict[int, _NewRow] = {}
        self._deleted: set[int] = set()

    def row_of(self, source: int, place: RowPlace) -> Any | None:
        """The base row, at the level of `place`, that holds base paragraph `source`."""
        rows = [a for a in self._elements[source].iterancestors(TR)][::-1]  # outermost first
        return rows[place.level] if place.level < len(rows) else None

    def add(self, source: int, place: RowPlace, codes: tuple[str, ...], paragraph: Any) -> bool:
        """A rebuilt paragraph of an inserted row, into its cell; False when the row has no
        base row to stand next to (the paragraph then goes with its base paragraph)."""
        new = self._new.get(place.key)
        if new is None:
            template = self.row_of(source, place)
            if template is None:
                return False
            new = self._new[place.key] = _NewRow(template, place, codes)
        new.cells.setdefault(place.cell, []).append(paragraph)
        return True

    def delete(self, source: int, place: RowPlace, codes: tuple[str, ...]) -> None:
        """Mark the base row holding `source` deleted (once)."""
        if place.key in self._deleted:
            return
        row = self.row_of(source, place)
        if row is None:
            return
        self._deleted.add(place.key)
        properties = _row_properties(row)
        properties.append(
            revision_element("del", self._author(codes), self._date(codes), self._ids)
        )

    def place(self) -> None:
        """Put every inserted row in the tree (after the paragraphs are rebuilt)."""
        after: dict[int, Any] = {}  # base row -> the last row inserted after it
        for new in self._new.values():
            row = self._built(new)
            if new.place.before:
                new.template.addprevious(row)
                continue
            anchor = after.get(id(new.template), new.template)
            anchor.addnext(row)
            after[id(new.template)] = row

    def _built(self, new: _NewRow) -> Any:
        row = etree.Element(TR)
        source = new.template.find(TRPR)
        properties = etree.SubElement(row, TRPR)
        if source is not None:
            for child in source:
                if child.tag not in _ROW_CHANGES:
                    properties.append(copy.deepcopy(child))
        codes = new.codes
        properties.append(
            revision_element("ins", self._author(codes), self._date(codes), self._ids)
        )
        template_cells = new.template.findall(TC)
        count = max(new.place.cells, max(new.cells, default=0) + 1)
        for index in range(count):
            cell = etree.SubElement(row, TC)
            if template_cells:
                cell_properties = template_cells[min(index, len(template_cells) - 1)].find(TCPR)
                if cell_properties is not None:
                    cell_properties = copy.deepcopy(cell_properties)
                    for child in list(cell_properties):
                        lined_up = len(template_cells) == count
                        if child.tag in _CHANGES or (child.tag in _SPANS and not lined_up):
                            cell_properties.remove(child)
                    cell.append(cell_properties)
            for paragraph in new.cells.get(index) or [etree.Element(P)]:
                cell.append(paragraph)
        return row


def _row_properties(row: Any) -> Any:
    """The row's `w:trPr`, made if it has none (after a `w:tblPrEx`, before the cells)."""
    properties = row.find(TRPR)
    if properties is None:
        properties = etree.Element(TRPR)
        exceptions = row.find(w("tblPrEx"))
        if exceptions is not None:
            exceptions.addnext(properties)
        else:
            row.insert(0, properties)
    return properties

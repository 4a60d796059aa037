"""The reader: a `.docx`'s paragraphs with their tracked changes (`model.Document`).

It works on the XML of the main document part, through python-docx's package, never through
python-docx's `Paragraph.text` (which drops `w:ins`/`w:del` content).

Paragraphs, in document order (`paragraph_elements`): a pre-order walk of `w:body` — body
paragraphs and tables in order; a table row by row, a row cell by cell, a cell's content in order
(nested tables at their place); block-level content controls (`w:sdt/w:sdtContent`) and
`w:customXml`, around paragraphs, rows or cells, are looked through. Paragraphs in text boxes
(`w:txbxContent`), headers, footers, footnotes, endnotes and comments are not read; the
Document's `notes` say when a document has any.

Per paragraph, the text in segments, each unchanged, inserted or deleted:
- runs (`w:r`) directly or inside `w:hyperlink`, `w:smartTag`, `w:customXml`, run-level
  `w:sdt`, `w:fldSimple` (its result), `w:dir`, `w:bdo`;
- `w:ins` inserted, `w:del` deleted, `w:moveTo` inserted and `w:moveFrom` deleted with
  `TrackedChange.moved`; runs inside a `w:moveFromRangeStart`/`w:moveToRangeStart` range are
  moved too, even without a wrapper, and so is the mark of a paragraph that lies wholly inside
  one. Text both inserted and deleted (a `w:del` in a `w:ins`, or the reverse) is in neither view
  and is left out (a note says how often);
- text: `w:t`, `w:delText`, `w:tab`/`w:ptab` "\\t", `w:br`/`w:cr` "\\n", `w:noBreakHyphen` "-",
  `w:softHyphen` U+00AD (invisible, but an edit all the same), `w:sym` its character (a symbol
  font's private-use code point is kept as it is);
- complex fields: the code (`w:instrText`, `w:delInstrText`, between `begin` and `separate`) is
  skipped, the result (between `separate` and `end`) is text; nested fields, and fields spanning
  paragraphs, are followed; `w:fldSimple` gives its result runs;
- drawings, objects and note references carry no text; a change that holds nothing else is
  kept as an empty segment so that it still counts as a change.

The paragraph mark is inserted (`w:pPr/w:rPr/w:ins`, `w:moveTo`) or deleted (`w:del`,
`w:moveFrom`; both `w:ins` and `w:del`: deleted, with `mark_insertion`); formatting-only changes
(`w:rPrChange`, `w:pPrChange`) are counted, not applied. Table rows and cells inserted or deleted
(`w:trPr/w:ins|w:del`, `w:cellIns`, `w:cellDel`) are the paragraph's `row`. The views
(`Document.accept_view`, `reject_view`) follow Open-XML-PowerTools' `RevisionProcessor`, except
that a moved paragraph mark goes like a deleted one (as in Word; see `model.view_groups`).
"""

from __future__ import annotations

import itertools
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from typing import Any, NoReturn, TypeAlias

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from documents.errors import DocumentRefused, RefusalCode
from documents.model import Document, Location, Paragraph, Segment, SegmentState, TrackedChange

__all__ = ["paragraph_elements", "read_document"]

Element: TypeAlias = Any  # an lxml element: lxml ships no type information

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_NS = {"w": W, "mc": _MC}
# Compiled: python-docx's elements override `.xpath()` with their own namespace map.
# A text box is written twice (mc:Choice and its mc:Fallback): counted once.
_TEXT_BOXES = etree.XPath("count(.//w:txbxContent[not(ancestor::mc:Fallback)])", namespaces=_NS)
_BOXED_PARAGRAPHS = etree.XPath("count(.//w:p[ancestor::w:txbxContent])", namespaces=_NS)
_ALL_PARAGRAPHS = etree.XPath("count(.//w:p)", namespaces=_NS)
_FORMATTING_CHANGES = etree.XPath(
    "count(.//w:rPrChange[not(ancestor::w:txbxContent)]"
    " | .//w:pPrChange[not(ancestor::w:txbxContent)])",
    namespaces=_NS,
)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, R, PPR, RPR = _w("p"), _w("r"), _w("pPr"), _w("rPr")
TBL, TR, TC, TRPR, TCPR = _w("tbl"), _w("tr"), _w("tc"), _w("trPr"), _w("tcPr")
SDT, SDT_CONTENT, CUSTOM_XML = _w("sdt"), _w("sdtContent"), _w("customXml")
INS, DEL, MOVE_TO, MOVE_FROM = _w("ins"), _w("del"), _w("moveTo"), _w("moveFrom")
CELL_INS, CELL_DEL = _w("cellIns"), _w("cellDel")
MOVE_FROM_START, MOVE_FROM_END = _w("moveFromRangeStart"), _w("moveFromRangeEnd")
MOVE_TO_START, MOVE_TO_END = _w("moveToRangeStart"), _w("moveToRangeEnd")
_RANGE_MARKERS = frozenset({MOVE_FROM_START, MOVE_FROM_END, MOVE_TO_START, MOVE_TO_END})

# Inline wrappers looked through for runs (w:sdt is looked through via its w:sdtContent).
_INLINE_WRAPPERS = frozenset(
    _w(t) for t in ("hyperlink", "smartTag", "customXml", "fldSimple", "dir", "bdo")
)
_INSERTION = {INS: False, MOVE_TO: True}  # wrapper -> moved
_DELETION = {DEL: False, MOVE_FROM: True}

_T, _DEL_TEXT = _w("t"), _w("delText")
_FLD_CHAR = _w("fldChar")
_CHARS = {
    _w("tab"): "\t",
    _w("ptab"): "\t",
    _w("br"): "\n",
    _w("cr"): "\n",
    _w("noBreakHyphen"): "-",
    _w("softHyphen"): "\u00ad",
}
_SYM = _w("sym")
_OBJECTS = frozenset(
    {
        _w("drawing"),
        _w("pict"),
        _w("object"),
        _w("footnoteReference"),
        _w("endnoteReference"),
        f"{{{_MC}}}AlternateContent",
    }
)


def _refuse(code: RefusalCode, reason: str, exc: BaseException | None = None) -> NoReturn:
    raise DocumentRefused(code, reason, detail=repr(exc) if exc else None) from exc


_NOT_DOCX = "The file is not a Word document (.docx): save it as a .docx in Word and send it again."
_DAMAGED = "The Word document is damaged and cannot be read: save it again from Word and resend it."

# --- paragraphs in document order -------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    location: Location = Location.BODY
    container: int = 0
    row: SegmentState = SegmentState.UNCHANGED
    row_change: TrackedChange | None = None


def paragraph_elements(body: Element) -> list[Element]:
    """The `w:p` elements of `body` (a `w:body`) read as the Document's paragraphs, in the same
    order: a pre-order walk — body paragraphs and tables in order, a table row by row and a row
    cell by cell, nested tables at their place, content controls and `w:customXml` looked
    through; text boxes skipped. `read_document(data).paragraphs[i]` is element `i`."""
    return [element for element, place in _blocks(body) if place is not None]


def _blocks(body: Element) -> Iterator[tuple[Element, _Place | None]]:
    """Paragraphs with their place, and move-range markers between blocks (place None), in
    document order."""
    yield from _container(body, _Place(), itertools.count(1))


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


def _container(
    element: Element, place: _Place, ids: Iterator[int]
) -> Iterator[tuple[Element, _Place | None]]:
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
        elif tag in _RANGE_MARKERS:
            yield child, None


def _table(
    table: Element, place: _Place, ids: Iterator[int]
) -> Iterator[tuple[Element, _Place | None]]:
    for row in _looked_through(table):
        if row.tag in _RANGE_MARKERS:
            yield row, None
        if row.tag != TR:
            continue
        row_place = _with_row(place, row.find(TRPR), INS, DEL)
        for cell in _looked_through(row):
            if cell.tag in _RANGE_MARKERS:
                yield cell, None
            if cell.tag != TC:
                continue
            cell_place = _with_row(row_place, cell.find(TCPR), CELL_INS, CELL_DEL)
            inner = replace(cell_place, location=Location.TABLE, container=next(ids))
            yield from _container(cell, inner, ids)


def _with_row(place: _Place, properties: Element | None, ins: str, dele: str) -> _Place:
    """An outer row's state stands (a deleted row takes its nested tables with it)."""
    if place.row is not SegmentState.UNCHANGED or properties is None:
        return place
    for tag, state in ((ins, SegmentState.INSERTED), (dele, SegmentState.DELETED)):
        marker = properties.find(tag)
        if marker is not None:
            return replace(place, row=state, row_change=_change(marker))
    return place


# --- reading ----------------------------------------------------------------------------------


def read_document(data: bytes) -> Document:
    """Read a `.docx` (bytes that passed the safety gate) into paragraphs and segments.

    Raises `DocumentRefused` when the bytes are not a readable Word document: not a zip package
    (`NOT_ZIP`), no main document part or not a Word document's (`NOT_DOCX`), malformed XML or
    a damaged zip entry (`CORRUPT`).
    """
    try:
        document = docx.Document(BytesIO(data))
    except etree.XMLSyntaxError as exc:
        _refuse(RefusalCode.CORRUPT, _DAMAGED, exc)
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        _refuse(RefusalCode.NOT_ZIP, _NOT_DOCX, exc)
    except (zlib.error, EOFError) as exc:
        _refuse(RefusalCode.CORRUPT, _DAMAGED, exc)
    except (KeyError, ValueError) as exc:
        _refuse(RefusalCode.NOT_DOCX, _NOT_DOCX, exc)
    body = document.element.find(_w("body"))
    if body is None:
        _refuse(RefusalCode.NOT_DOCX, _NOT_DOCX)
    return _Reader().read(body)


@dataclass
class _Piece:
    text: str
    state: SegmentState
    change: TrackedChange | None
    has_object: bool = False


class _Reader:
    def __init__(self) -> None:
        self._fields: list[bool] = []  # open complex fields: True while in the field code
        self._moves: dict[tuple[str, str], tuple[SegmentState, TrackedChange]] = {}  # open ranges
        self._in_both = 0  # pieces both inserted and deleted, in neither view

    def read(self, body: Element) -> Document:
        paragraphs: list[Paragraph] = []
        for element, place in _blocks(body):
            if place is None:
                self._range_marker(element)
            else:
                paragraphs.append(self._paragraph(element, place))
        return Document(
            paragraphs=tuple(paragraphs),
            comments=_comment_count(body),
            notes=self._notes(body, len(paragraphs)),
        )

    # -- a paragraph ---------------------------------------------------------------------------

    def _paragraph(self, p: Element, place: _Place) -> Paragraph:
        pieces: list[_Piece] = []
        open_before = list(self._moves)
        self._inline(p, (), pieces)
        mark, mark_change, mark_insertion = self._mark(p, open_before)
        style = None
        properties = p.find(PPR)
        if properties is not None:
            style_element = properties.find(_w("pStyle"))
            if style_element is not None:
                style = style_element.get(_w("val"))
        return Paragraph(
            segments=_merge(pieces),
            mark=mark,
            mark_change=mark_change,
            mark_insertion=mark_insertion,
            location=place.location,
            style=style,
            formatting_changes=_formatting_changes(p),
            container=place.container,
            row=place.row,
            row_change=place.row_change,
        )

    def _mark(
        self, p: Element, open_before: list[tuple[str, str]]
    ) -> tuple[SegmentState, TrackedChange | None, TrackedChange | None]:
        """The mark's state and change, and the insertion of a mark inserted then deleted."""
        marks = p.find(PPR + "/" + RPR)
        inserted = deleted = None
        if marks is not None:
            for child in marks:
                if child.tag in _INSERTION and inserted is None:
                    inserted = _change(child, moved=_INSERTION[child.tag])
                elif child.tag in _DELETION and deleted is None:
                    deleted = _change(child, moved=_DELETION[child.tag])
        if deleted is not None:
            # Inserted too: split by one author, joined again by another, in neither view.
            return SegmentState.DELETED, deleted, inserted
        if inserted is not None:
            return SegmentState.INSERTED, inserted, None
        # A paragraph wholly inside a move range moved, mark and all. (A range that starts within
        # the paragraph does not take its mark: Word marks such a mark itself when it moved.)
        for key in reversed(open_before):
            if key in self._moves:
                return (*self._moves[key], None)
        return SegmentState.UNCHANGED, None, None

    def _open_move(self) -> tuple[SegmentState, TrackedChange | None]:
        """The state of text in the innermost open move range, if any."""
        if self._moves:
            return next(reversed(self._moves.values()))
        return SegmentState.UNCHANGED, None

    def _inline(
        self, element: Element, wrappers: tuple[tuple[bool, TrackedChange], ...], out: list[_Piece]
    ) -> None:
        """Runs under `element`; `wrappers` are the enclosing changes (True: an insertion)."""
        for child in element:
            tag = child.tag
            if tag == R:
                self._run(child, wrappers, out)
            elif tag in _INSERTION:
                change = _change(child, moved=_INSERTION[tag])
                self._inline(child, (*wrappers, (True, change)), out)
            elif tag in _DELETION:
                change = _change(child, moved=_DELETION[tag])
                self._inline(child, (*wrappers, (False, change)), out)
            elif tag in _INLINE_WRAPPERS:
                self._inline(child, wrappers, out)
            elif tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self._inline(content, wrappers, out)
            elif tag in _RANGE_MARKERS:
                self._range_marker(child)

    def _run(
        self, run: Element, wrappers: tuple[tuple[bool, TrackedChange], ...], out: list[_Piece]
    ) -> None:
        inserted = [change for is_insertion, change in wrappers if is_insertion]
        deleted = [change for is_insertion, change in wrappers if not is_insertion]
        state: SegmentState
        change: TrackedChange | None
        if deleted:
            state, change = SegmentState.DELETED, deleted[-1]
        elif inserted:
            state, change = SegmentState.INSERTED, inserted[-1]
        else:
            state, change = self._open_move()
        text: list[str] = []
        has_object = False
        for child in run:
            tag = child.tag
            if tag == _FLD_CHAR:
                self._field_char(child.get(_w("fldCharType")))
            elif any(self._fields):
                continue  # a field code, or anything inside it
            elif tag in (_T, _DEL_TEXT):
                text.append(child.text or "")
            elif tag in _CHARS:
                text.append(_CHARS[tag])
            elif tag == _SYM:
                text.append(_symbol(child.get(_w("char"))))
            elif tag in _OBJECTS:
                has_object = True
        if inserted and deleted:
            self._in_both += 1
            return
        out.append(_Piece("".join(text), state, change, has_object))

    def _field_char(self, kind: str | None) -> None:
        if kind == "begin":
            self._fields.append(True)
        elif kind == "separate" and self._fields:
            self._fields[-1] = False
        elif kind == "end" and self._fields:
            self._fields.pop()

    def _range_marker(self, marker: Element) -> None:
        tag, range_id = marker.tag, marker.get(_w("id"), "")
        if tag == MOVE_FROM_START:
            self._moves[("from", range_id)] = (SegmentState.DELETED, _change(marker, moved=True))
        elif tag == MOVE_TO_START:
            self._moves[("to", range_id)] = (SegmentState.INSERTED, _change(marker, moved=True))
        elif tag == MOVE_FROM_END:
            self._moves.pop(("from", range_id), None)
        elif tag == MOVE_TO_END:
            self._moves.pop(("to", range_id), None)

    # -- what the reader noticed ---------------------------------------------------------------

    def _notes(self, body: Element, read: int) -> tuple[str, ...]:
        notes: list[str] = []
        text_boxes = int(_TEXT_BOXES(body))
        if text_boxes:
            notes.append(f"{_count(text_boxes, 'text box')} not read.")
        outside_boxes = int(_ALL_PARAGRAPHS(body)) - int(_BOXED_PARAGRAPHS(body)) - read
        if outside_boxes > 0:
            notes.append(f"{_count(outside_boxes, 'paragraph')} in unsupported content not read.")
        if _first(body, _w("headerReference"), _w("footerReference")):
            notes.append("Headers and footers not read.")
        if _first(body, _w("footnoteReference"), _w("endnoteReference")):
            notes.append("Footnotes and endnotes not read.")
        if _first(body, f"{{{_M}}}oMath"):
            notes.append("Equations not read.")
        if self._in_both:
            notes.append(
                f"{_count(self._in_both, 'run')} inserted and then deleted, in neither view, "
                "left out."
            )
        if self._fields:
            notes.append("A field is not closed at the end of the document.")
        return tuple(notes)


# --- helpers ----------------------------------------------------------------------------------


def _change(element: Element, *, moved: bool = False) -> TrackedChange:
    return TrackedChange(
        author=element.get(_w("author")) or None,
        date=_date(element.get(_w("date"))),
        moved=moved,
    )


def _date(value: str | None) -> datetime | None:
    """`w:date` (ISO 8601; timezone-aware when it says one, naive otherwise)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _symbol(code: str | None) -> str:
    try:
        point = int(code or "", 16)
    except ValueError:
        return ""
    if point < 0x20 or 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
        return ""
    return chr(point)


def _merge(pieces: list[_Piece]) -> tuple[Segment, ...]:
    """Consecutive pieces of the same state and change become one segment; empty ones go,
    except a change that holds a drawing or an object (still a change)."""
    merged: list[_Piece] = []
    for piece in pieces:
        if not piece.text and not (piece.has_object and piece.state is not SegmentState.UNCHANGED):
            continue
        if merged and merged[-1].state is piece.state and merged[-1].change == piece.change:
            merged[-1].text += piece.text
            merged[-1].has_object |= piece.has_object
        else:
            merged.append(replace(piece))
    return tuple(
        Segment(
            text=piece.text,
            state=piece.state,
            change=piece.change if piece.state is not SegmentState.UNCHANGED else None,
        )
        for piece in merged
    )


def _formatting_changes(p: Element) -> int:
    """`w:rPrChange` and `w:pPrChange` in the paragraph, not counting its text boxes."""
    return int(_FORMATTING_CHANGES(p))


def _comment_count(body: Element) -> int:
    """Comments anchored in the body: distinct ids of `w:commentRangeStart` and of
    `w:commentReference` (a comment on a point has no range)."""
    ids = {
        element.get(_w("id"))
        for element in body.iter(_w("commentRangeStart"), _w("commentReference"))
    }
    return len(ids)


def _first(body: Element, *tags: str) -> bool:
    return next(body.iter(*tags), None) is not None


def _count(n: int, noun: str) -> str:
    if noun.endswith("x"):
        return f"{n} {noun}{'es' if n != 1 else ''}"
    return f"{n} {noun}{'s' if n != 1 else ''}"

"""The reader: a `.docx`'s paragraphs with their tracked changes (`model.Document`).

It works on the XML of the main document part, through python-docx's package, never through
python-docx's `Paragraph.text` (which drops `w:ins`/`w:del` content).

Paragraphs, in document order (`documents.paragraph_order`): body paragraphs and tables in
order, a table row by row and a row cell by cell, content controls looked through. Paragraphs in
text boxes (`w:txbxContent`), headers, footers, footnotes, endnotes and comments are not read;
the Document's `notes` say when a document has any.

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

import zipfile
import zlib
from dataclasses import dataclass, replace
from io import BytesIO
from typing import NoReturn

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.model import Document, Paragraph, Segment, SegmentState, TrackedChange
from documents.paragraph_order import Place, blocks
from documents.wordml import (
    DEL,
    INS,
    MC,
    MOVE_FROM,
    MOVE_FROM_END,
    MOVE_FROM_START,
    MOVE_TO,
    MOVE_TO_END,
    MOVE_TO_START,
    PPR,
    RANGE_MARKERS,
    RPR,
    SDT,
    SDT_CONTENT,
    Element,
    R,
    W,
    tracked_change,
    w,
)

__all__ = ["read_document"]

_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_NS = {"w": W, "mc": MC}
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

# Inline wrappers looked through for runs (w:sdt is looked through via its w:sdtContent).
_INLINE_WRAPPERS = frozenset(
    w(t) for t in ("hyperlink", "smartTag", "customXml", "fldSimple", "dir", "bdo")
)
_INSERTION = {INS: False, MOVE_TO: True}  # wrapper -> moved
_DELETION = {DEL: False, MOVE_FROM: True}

_T, _DEL_TEXT = w("t"), w("delText")
_FLD_CHAR = w("fldChar")
_CHARS = {
    w("tab"): "\t",
    w("ptab"): "\t",
    w("br"): "\n",
    w("cr"): "\n",
    w("noBreakHyphen"): "-",
    w("softHyphen"): "\u00ad",
}
_SYM = w("sym")
_OBJECTS = frozenset(
    {
        w("drawing"),
        w("pict"),
        w("object"),
        w("footnoteReference"),
        w("endnoteReference"),
        f"{{{MC}}}AlternateContent",
    }
)


def _refuse(code: RefusalCode, reason: str, exc: BaseException | None = None) -> NoReturn:
    why = Reason.NOT_DOCX if reason == _NOT_DOCX else Reason.DAMAGED_WORD
    raise DocumentRefused(code, reason, detail=repr(exc) if exc else None, why=why) from exc


_NOT_DOCX = "The file is not a Word document (.docx): save it as a .docx in Word and send it again."
_DAMAGED = "The Word document is damaged and cannot be read: save it again from Word and resend it."

# --- reading ----------------------------------------------------------------------------------


def read_document(data: bytes) -> Document:
    """Read a `.docx` (bytes that passed the safety gate) into paragraphs and segments.

    Raises `DocumentRefused` when the bytes are not a readable Word document: not a zip package
    (`NOT_ZIP`), no main document part or not a Word document's (`NOT_DOCX`), malformed XML, a
    damaged zip entry or any other part python-docx cannot open (`CORRUPT`).
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
    except Exception as exc:
        # python-docx trips over a damaged part in ways of its own (an AttributeError on a
        # relationships part with another root, a TypeError on a relationship without a target):
        # whatever it raises while it opens the file is the file's doing. From here on, an
        # exception is the engine's (`parsing_child` reports it as an `EngineFault`).
        _refuse(RefusalCode.CORRUPT, _DAMAGED, exc)
    body = document.element.find(w("body"))
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
        for element, place in blocks(body):
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

    def _paragraph(self, p: Element, place: Place) -> Paragraph:
        pieces: list[_Piece] = []
        open_before = list(self._moves)
        self._inline(p, (), pieces)
        mark, mark_change, mark_insertion = self._mark(p, open_before)
        style = None
        properties = p.find(PPR)
        if properties is not None:
            style_element = properties.find(w("pStyle"))
            if style_element is not None:
                style = style_element.get(w("val"))
        return Paragraph(
            segments=_merged_segments(pieces),
            mark=mark,
            mark_change=mark_change,
            mark_insertion=mark_insertion,
            location=place.location,
            style=style,
            formatting_changes=_formatting_changes(p),
            container=place.container,
            row=place.row,
            row_change=place.row_change,
            tables=place.tables,
            rows=place.rows,
            row_level=place.row_level,
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
                    inserted = tracked_change(child, moved=_INSERTION[child.tag])
                elif child.tag in _DELETION and deleted is None:
                    deleted = tracked_change(child, moved=_DELETION[child.tag])
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
                change = tracked_change(child, moved=_INSERTION[tag])
                self._inline(child, (*wrappers, (True, change)), out)
            elif tag in _DELETION:
                change = tracked_change(child, moved=_DELETION[tag])
                self._inline(child, (*wrappers, (False, change)), out)
            elif tag in _INLINE_WRAPPERS:
                self._inline(child, wrappers, out)
            elif tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self._inline(content, wrappers, out)
            elif tag in RANGE_MARKERS:
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
                self._field_char(child.get(w("fldCharType")))
            elif any(self._fields):
                continue  # a field code, or anything inside it
            elif tag in (_T, _DEL_TEXT):
                text.append(child.text or "")
            elif tag in _CHARS:
                text.append(_CHARS[tag])
            elif tag == _SYM:
                text.append(_symbol(child.get(w("char"))))
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
        tag, range_id = marker.tag, marker.get(w("id"), "")
        if tag == MOVE_FROM_START:
            self._moves[("from", range_id)] = (
                SegmentState.DELETED,
                tracked_change(marker, moved=True),
            )
        elif tag == MOVE_TO_START:
            self._moves[("to", range_id)] = (
                SegmentState.INSERTED,
                tracked_change(marker, moved=True),
            )
        elif tag == MOVE_FROM_END:
            self._moves.pop(("from", range_id), None)
        elif tag == MOVE_TO_END:
            self._moves.pop(("to", range_id), None)

    # -- what the reader noticed ---------------------------------------------------------------

    def _notes(self, body: Element, read: int) -> tuple[str, ...]:
        notes: list[str] = []
        text_boxes = int(_TEXT_BOXES(body))
        if text_boxes:
            notes.append(f"{_plural(text_boxes, 'text box')} not read.")
        outside_boxes = int(_ALL_PARAGRAPHS(body)) - int(_BOXED_PARAGRAPHS(body)) - read
        if outside_boxes > 0:
            notes.append(f"{_plural(outside_boxes, 'paragraph')} in unsupported content not read.")
        if _holds_any(body, w("headerReference"), w("footerReference")):
            notes.append("Headers and footers not read.")
        if _holds_any(body, w("footnoteReference"), w("endnoteReference")):
            notes.append("Footnotes and endnotes not read.")
        if _holds_any(body, f"{{{_M}}}oMath"):
            notes.append("Equations not read.")
        if self._in_both:
            notes.append(
                f"{_plural(self._in_both, 'run')} inserted and then deleted, in neither view, "
                "left out."
            )
        if self._fields:
            notes.append("A field is not closed at the end of the document.")
        return tuple(notes)


# --- helpers ----------------------------------------------------------------------------------


def _symbol(code: str | None) -> str:
    try:
        point = int(code or "", 16)
    except ValueError:
        return ""
    if point < 0x20 or 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
        return ""
    return chr(point)


def _merged_segments(pieces: list[_Piece]) -> tuple[Segment, ...]:
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
        element.get(w("id")) for element in body.iter(w("commentRangeStart"), w("commentReference"))
    }
    return len(ids)


def _holds_any(body: Element, *tags: str) -> bool:
    return next(body.iter(*tags), None) is not None


def _plural(n: int, noun: str) -> str:
    if noun.endswith("x"):
        return f"{n} {noun}{'es' if n != 1 else ''}"
    return f"{n} {noun}{'s' if n != 1 else ''}"

"""The compiled revision as a stream of pieces, before any XML: what `documents.revision` writes.

The combined changes (`edits.combine`) become one stream of pieces — base text unchanged or
deleted, inserted text, paragraph breaks kept, inserted or deleted — each with the delegations
that made it (none for the compiler's own text: the `(AG)` tags, the brackets and separators of
conflicts) and, for base text, where it stood in the base. `split_paragraphs` cuts the stream
into output paragraphs at the breaks; `label_for` names a new paragraph (`5 bis`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from documents.edits import PARA, AttributedEdit, Conflict, Stream, home_paragraph
from documents.model import SegmentState

__all__ = [
    "ORDINALS",
    "OutParagraph",
    "Piece",
    "RowPlace",
    "label_for",
    "pieces_of",
    "split_paragraphs",
]

ORDINALS = ("bis", "ter", "quater", "quinquies", "sexies", "septies", "octies", "novies")


def label_for(number: int, nth: int) -> str:
    """`5 bis`, `5 ter`, … for the nth (1-based) new paragraph after paragraph 5."""
    suffix = ORDINALS[nth - 1] if nth <= len(ORDINALS) else f"({nth + 1})"
    return f"{number} {suffix}"


@dataclass(frozen=True)
class RowPlace:
    """A piece of a table row inserted or deleted whole (`Edit.cells`): which row (`key`, one
    per edit), the cell it stands in (inserted rows), the nesting of the row's table, and,
    inserted, whether the row goes before the row of its base paragraph rather than after."""

    key: int
    state: SegmentState
    cell: int = 0
    level: int = 0
    before: bool = False
    cells: int = 1  # how many cells the row has (inserted rows)


@dataclass
class Piece:
    """A token of the output: its text (PARA for a break), state, authors (delegation codes;
    empty for the compiler's own text) and, for base text, where it stood."""

    text: str
    state: SegmentState
    codes: tuple[str, ...] = ()
    base_paragraph: int = 0  # the base paragraph it belongs to, or is inserted into
    base_offset: int | None = None  # character offset in that base paragraph (base text only)
    alternative: bool = False  # inserted as (or around) an alternative of a conflict
    row: RowPlace | None = None  # in a table row inserted or deleted whole


def pieces_of(base: Stream, items: Sequence[AttributedEdit | Conflict]) -> list[Piece]:
    """The output stream: base tokens, with every change and conflict in its place."""
    out: list[Piece] = []
    offsets = _char_offsets(base)
    position = 0

    def keep(
        start: int,
        end: int,
        state: SegmentState,
        codes: tuple[str, ...] = (),
        row: RowPlace | None = None,
    ) -> None:
        for index in range(start, end):
            paragraph = base.paragraph_of(index)
            out.append(Piece(base.tokens[index], state, codes, paragraph, offsets[index], row=row))

    def add(
        tokens: Sequence[str],
        paragraph: int,
        codes: tuple[str, ...],
        alternative: bool = False,
        rows: Sequence[RowPlace | None] = (),
    ) -> None:
        for n, token in enumerate(tokens):
            row = rows[n] if n < len(rows) else None
            out.append(
                Piece(token, SegmentState.INSERTED, codes, paragraph, None, alternative, row)
            )

    def tag(
        codes: tuple[str, ...],
        paragraph: int,
        alternative: bool = False,
        row: RowPlace | None = None,
    ) -> None:
        add([f" ({', '.join(codes)})"], paragraph, (), alternative, [row])

    for key, item in enumerate(items):
        keep(position, item.start, SegmentState.UNCHANGED)
        if isinstance(item, AttributedEdit) and item.edit.is_row:
            _row(item, key, keep, add, tag, base)
            position = item.edit.end
        elif isinstance(item, AttributedEdit):
            edit = item.edit
            keep(edit.start, edit.end, SegmentState.DELETED, item.codes)
            # Inserted text goes with the paragraph it is inserted into; new paragraphs with the
            # paragraph they follow, and so stand in its table cell, not in the next one —
            # unless they were typed before the next paragraph (`Edit.before`).
            at = (
                home_paragraph(base, edit)
                if edit.is_insertion and not edit.before
                else base.paragraph_of(min(edit.start, len(base.tokens) - 1))
            )
            inserted = list(edit.tokens)
            cut = _tag_place(inserted)
            add(inserted[:cut], at, item.codes)
            tag(item.codes, at)
            add(inserted[cut:], at, item.codes)
            position = edit.end
        else:
            # A conflict lies within one paragraph (edits do), its own break included or not.
            at = base.paragraph_of(max(item.start, item.end - 1))
            add(["["], at, ())
            keep(item.start, item.end, SegmentState.UNCHANGED)
            for n, (version, codes) in enumerate(item.alternatives, 1):
                # Each tag, and the closing bracket, before the alternative's closing break: the
                # bracket then closes in the conflict's last paragraph, not the next one's.
                cut = _tag_place(list(version))
                add([" / "], at, (), alternative=True)
                add(version[:cut], at, codes, alternative=True)
                tag(codes, at, alternative=True)
                if n == len(item.alternatives):
                    add(["]"], at, (), alternative=True)
                add(version[cut:], at, codes, alternative=True)
            position = item.end
    keep(position, len(base.tokens), SegmentState.UNCHANGED)
    return out


def _row(
    item: AttributedEdit,
    key: int,
    keep: Callable[..., None],
    add: Callable[..., None],
    tag: Callable[..., None],
    base: Stream,
) -> None:
    """A table row inserted or deleted whole: its pieces know their row and cell; the tag goes
    after the text of the row's first cell (deleted) or of its last (inserted)."""
    edit = item.edit
    if not edit.is_insertion:
        place = RowPlace(key, SegmentState.DELETED, level=edit.level)
        first_break = base.tokens.index(PARA, edit.start, edit.end)
        keep(edit.start, first_break, SegmentState.DELETED, item.codes, place)
        tag(item.codes, base.paragraph_of(edit.start), row=place)
        keep(first_break, edit.end, SegmentState.DELETED, item.codes, place)
        return
    at = home_paragraph(base, edit) if not edit.before else base.paragraph_of(edit.start)
    places: list[RowPlace] = []
    cell, breaks = 0, 0
    for token in edit.tokens:
        places.append(
            RowPlace(key, SegmentState.INSERTED, cell, edit.level, edit.before, len(edit.cells))
        )
        if token == PARA:
            breaks += 1
            if breaks >= edit.cells[cell] and cell + 1 < len(edit.cells):
                cell, breaks = cell + 1, 0
    inserted = list(edit.tokens)
    cut = _tag_place(inserted)
    add(inserted[:cut], at, item.codes, rows=places[:cut])
    tag(item.codes, at, row=places[max(cut - 1, 0)])
    add(inserted[cut:], at, item.codes, rows=places[cut:])


def _tag_place(inserted: Sequence[str]) -> int:
    """Where the tag goes in inserted tokens: right after the inserted words, before a closing
    break and before trailing white space ("very much (BR) here", not "very much  (BR)here")."""
    cut = len(inserted)
    while cut and (inserted[cut - 1] == PARA or inserted[cut - 1].isspace()):
        cut -= 1
    if PARA in inserted[cut:]:
        cut = list(inserted).index(PARA, cut)
    return cut


def _char_offsets(base: Stream) -> list[int]:
    offsets = []
    paragraph = 0
    offset = 0
    for index, token in enumerate(base.tokens):
        if paragraph + 1 < len(base.starts) and index == base.starts[paragraph + 1]:
            paragraph += 1
            offset = 0
        offsets.append(offset)
        offset += 0 if token == PARA else len(token)
    return offsets


@dataclass
class OutParagraph:
    pieces: list[Piece] = field(default_factory=list)
    mark: Piece | None = None

    @property
    def source(self) -> int:
        for piece in self.pieces:
            if piece.base_offset is not None:
                return piece.base_paragraph
        return self.mark.base_paragraph if self.mark else 0

    @property
    def has_base_text(self) -> bool:
        """Whether it holds base text or a base paragraph's break (kept or deleted)."""
        return any(p.base_offset is not None for p in self.pieces) or (
            self.mark is not None and self.mark.base_offset is not None
        )

    def untouched(self, base_length: Callable[[int], int]) -> bool:
        if self.mark is None or self.mark.state is not SegmentState.UNCHANGED:
            return False
        if any(p.state is not SegmentState.UNCHANGED or p.base_offset is None for p in self.pieces):
            return False
        paragraphs = {p.base_paragraph for p in self.pieces} | {self.mark.base_paragraph}
        if len(paragraphs) != 1:
            return False
        return sum(len(p.text) for p in self.pieces) == base_length(self.mark.base_paragraph)

    @property
    def row(self) -> RowPlace | None:
        """The table row inserted or deleted whole that holds it, if any."""
        if self.mark is not None and self.mark.row is not None:
            return self.mark.row
        return next((p.row for p in self.pieces if p.row is not None), None)

    @property
    def is_new(self) -> bool:
        """Every piece and the break inserted: a paragraph of its own, labelled `5 bis` (not a
        conflict's alternative that holds a break, nor a cell of an inserted row)."""
        return (
            self.row is None
            and self.mark is not None
            and self.mark.state is SegmentState.INSERTED
            and not self.mark.alternative
            and all(p.state is SegmentState.INSERTED and not p.alternative for p in self.pieces)
            and any(p.codes for p in self.pieces)
        )


def split_paragraphs(pieces: Sequence[Piece]) -> list[OutParagraph]:
    out = [OutParagraph()]
    for piece in pieces:
        if piece.text == PARA:
            out[-1].mark = piece
            out.append(OutParagraph())
        else:
            out[-1].pieces.append(piece)
    if not out[-1].pieces:
        out.pop()
    return out

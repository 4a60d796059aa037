"""Delegations' changes in base coordinates, and how they combine.

The base document is one stream of word-level tokens, each paragraph's tokens followed by a
paragraph-break token (`PARA`). A proposal whose reject view is the base (checked first) is the
base with edits: for every base paragraph, the proposal's accepted text of the paragraphs that
stand for it is diffed against it word by word, giving `Edit`s — replace base tokens
[start, end) by `tokens` — in base coordinates, so the edits of all delegations are comparable.

`combine` groups the edits of N delegations: the same edit from several delegations is one
`AttributedEdit` with joint attribution `(AG, BR)`; edits that overlap are one `Conflict`, shown as
bracketed alternatives; everything else composes. Insertions of whole new paragraphs at the same
place compose (each stays a paragraph of its own, `5 bis`, `5 ter`), they do not conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby, pairwise

from cydifflib import SequenceMatcher

from documents.model import Document
from documents.replacements import WholeRow, cells_of, replacements
from documents.tokens import PARA, tokenize

__all__ = [
    "PARA",
    "AttributedEdit",
    "Conflict",
    "Edit",
    "Stream",
    "base_stream",
    "combine",
    "edits_of",
    "home_paragraph",
    "tokenize",
]


@dataclass(frozen=True)
class Stream:
    """The base as tokens, with where each paragraph starts."""

    tokens: tuple[str, ...]
    starts: tuple[int, ...]  # token index of each paragraph's first token

    def paragraph_of(self, index: int) -> int:
        """The base paragraph the token at `index` belongs to (its PARA included)."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo


def base_stream(paragraphs: Sequence[str]) -> Stream:
    tokens: list[str] = []
    starts: list[int] = []
    for text in paragraphs:
        starts.append(len(tokens))
        tokens += tokenize(text)
        tokens.append(PARA)
    return Stream(tuple(tokens), tuple(starts))


@dataclass(frozen=True, order=True)
class Edit:
    """Replace base tokens [start, end) by `tokens` (an insertion when start == end)."""

    start: int
    end: int
    tokens: tuple[str, ...]
    # New paragraphs at a paragraph's start typed before that paragraph, and so in its table
    # cell, rather than after the paragraph before (in the previous cell, or before the table).
    # Where they stand, not what they are: not compared, so identical proposals still meet.
    before: bool = field(default=False, compare=False)
    # A table row inserted (the tokens) or deleted (the base tokens [start, end)) whole: the
    # paragraph breaks in each of its cells; empty for any other edit. `level`: the nesting of
    # its table (0 for a table in the body), and, inserted, `before` says it stands before the
    # row of the paragraph at `start` rather than after the row of the paragraph before.
    cells: tuple[int, ...] = ()
    level: int = field(default=0, compare=False)

    @property
    def is_row(self) -> bool:
        return bool(self.cells)

    @property
    def is_insertion(self) -> bool:
        return self.start == self.end


def _row_edits(base: Stream, rows: list[WholeRow]) -> list[Edit]:
    out = []
    for row in rows:
        if row.deleted:
            first, last = row.paragraphs[0], row.paragraphs[-1]
            end = base.starts[last + 1] if last + 1 < len(base.starts) else len(base.tokens)
            cells = cells_of(row.containers, [1] * len(row.paragraphs))
            out.append(Edit(base.starts[first], end, (), cells=cells, level=row.level))
            continue
        at = base.starts[row.at] if row.at < len(base.starts) else len(base.tokens)
        cells = cells_of(row.containers, row.paragraphs)
        out.append(Edit(at, at, tuple(row.tokens), row.before, cells=cells, level=row.level))
    return out


def edits_of(base: Stream, proposal: Document) -> list[Edit]:
    """The proposal's edits in base coordinates. The proposal's reject view must be the base
    (`proposals.check` says so first); the base's paragraphs must number as many. A table row
    inserted or deleted whole is one edit of its own (`Edit.cells`)."""
    texts, rows = replacements(proposal)
    if len(texts) != len(base.starts):
        raise ValueError("the proposal's paragraphs do not match the base's")
    in_deleted_rows = {k for row in rows if row.deleted for k in row.paragraphs}
    edits: list[Edit] = []
    ends = [*base.starts[1:], len(base.tokens)]
    for k, (start, end, replacement) in enumerate(zip(base.starts, ends, texts, strict=True)):
        original = base.tokens[start:end]
        if list(original) == replacement or k in in_deleted_rows:
            continue
        matcher = SequenceMatcher(None, original, replacement, autojunk=False)
        for tag, i1, i2, j1, j2 in _joined(matcher.get_opcodes(), original):
            if tag == "equal":
                continue
            edit = _normalise(base, Edit(start + i1, start + i2, tuple(replacement[j1:j2])))
            for part in _split(base, edit):
                # New paragraphs at this paragraph's own start were typed before it.
                if part.start == start and _whole_paragraphs(part, base):
                    part = replace(part, before=True)
                edits.append(part)
    # Edits of neighbouring paragraphs stay apart, even where they touch: a delegation that
    # deletes paragraphs 3 and 4 and one that deletes 3 then agree on 3.
    edits += _row_edits(base, rows)
    edits.sort(key=lambda e: (e.start, e.end))
    return edits


Opcode = tuple[str, int, int, int, int]


def _joined(opcodes: Sequence[Opcode], original: Sequence[str]) -> list[Opcode]:
    """Changes kept apart only by white space are one change: "Member States" replaced by "The
    General Secretariat" is one replacement, not "Member"→"The" and "States"→"General
    Secretariat" around a kept space (two tags, and a conflict on half of it)."""
    out: list[Opcode] = []
    for opcode in opcodes:
        if (
            len(out) >= 2
            and opcode[0] != "equal"
            and out[-1][0] == "equal"
            and out[-2][0] != "equal"
            and all(t.isspace() and t != PARA for t in original[out[-1][1] : out[-1][2]])
        ):
            out[-2:] = [("replace", out[-2][1], opcode[2], out[-2][3], opcode[4])]
        else:
            out.append(opcode)
    return out


def _normalise(base: Stream, edit: Edit) -> Edit:
    """A new paragraph is an insertion of `... PARA` at a paragraph's start, not `PARA ...`
    before a paragraph's end: the same text, one canonical place, so identical proposals meet.
    An insertion that is already that stays where it is: rotating it on past an empty
    paragraph's break would carry it out of its container (into the next table cell)."""
    tokens, start, end = edit.tokens, edit.start, edit.end
    insertion = start == end
    while (
        tokens
        and tokens[0] == PARA
        and end < len(base.tokens)
        and base.tokens[end] == PARA
        and (insertion or base.tokens[start] == PARA)
        and not (insertion and tokens[-1] == PARA and start in base.starts)
    ):
        # Rotate: replacing [start, end) by (PARA, *rest) is replacing [start+1, end+1) by
        # (*rest, PARA) when the tokens at `start` (unless inserting) and `end` are both PARA.
        end += 1
        start = end if insertion else start + 1
        tokens = (*tokens[1:], PARA)
    return Edit(start, end, tokens)


def _split(base: Stream, edit: Edit) -> list[Edit]:
    """New paragraphs inserted at a paragraph's start together with words for that paragraph
    (`New text. PARA Moreover, ` before `the States…`, as Word writes a paragraph typed before
    another) are two edits: the new paragraphs, which follow the paragraph before (`5 bis`) and
    meet the same new paragraphs proposed alone, and the words, which belong to the paragraph."""
    tokens = edit.tokens
    if not edit.is_insertion or PARA not in tokens or tokens[-1] == PARA:
        return [edit]
    if edit.start not in base.starts:
        return [edit]
    cut = len(tokens) - tokens[::-1].index(PARA)
    return [Edit(edit.start, edit.end, tokens[:cut]), Edit(edit.start, edit.end, tokens[cut:])]


def home_paragraph(base: Stream, edit: Edit) -> int:
    """The base paragraph an edit belongs to: a new paragraph belongs to the one it follows;
    words inserted at a paragraph's start belong to that paragraph."""
    paragraph = base.paragraph_of(min(edit.start, len(base.tokens) - 1)) if base.tokens else 0
    if _whole_paragraphs(edit, base) and edit.start in base.starts and paragraph > 0:
        return paragraph - 1
    if edit.start == len(base.tokens):
        return len(base.starts) - 1
    return paragraph


@dataclass(frozen=True)
class AttributedEdit:
    """An edit and the delegations that made it (several: joint attribution)."""

    edit: Edit
    codes: tuple[str, ...]

    @property
    def start(self) -> int:
        return self.edit.start

    @property
    def end(self) -> int:
        return self.edit.end


@dataclass(frozen=True)
class Conflict:
    """Overlapping edits over base tokens [start, end): each alternative is one version of that
    span (as tokens) and the delegations that proposed it."""

    start: int
    end: int
    alternatives: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]


def _overlap(a: Edit, b: Edit, base: Stream) -> bool:
    if a.is_insertion and b.is_insertion:
        if a.start != b.start:
            return False
        # Whole new paragraphs at a paragraph's start compose (5 bis, 5 ter), with each other
        # and with words inserted at the start of the paragraph they come before.
        return not (_whole_paragraphs(a, base) or _whole_paragraphs(b, base))
    if a.is_insertion:
        return b.start < a.start < b.end
    if b.is_insertion:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _whole_paragraphs(edit: Edit, base: Stream) -> bool:
    return (
        edit.is_insertion
        and bool(edit.tokens)
        and edit.tokens[-1] == PARA
        and (edit.start in base.starts or edit.start == len(base.tokens))
    )


def _apply(base: Stream, start: int, end: int, edits: list[Edit]) -> tuple[str, ...]:
    """Base tokens [start, end) with these (non-overlapping, sorted) edits made."""
    out: list[str] = []
    position = start
    for edit in edits:
        out += base.tokens[position : edit.start]
        out += edit.tokens
        position = edit.end
    out += base.tokens[position:end]
    return tuple(out)


def combine(
    base: Stream, proposals: Iterable[tuple[str, list[Edit]]]
) -> list[AttributedEdit | Conflict]:
    """The delegations' edits, merged where identical, grouped where they overlap; in base
    order. `proposals` is (code, edits) in the order the delegations are to be listed."""

    # At one place, new paragraphs come before the words inserted at the start of the next, and
    # those that follow the paragraph before come before those typed before the next one (each
    # goes with its paragraph, and so the order of the text is the order of the labels).
    def place(e: Edit) -> tuple[int, int, bool, bool]:
        return (e.start, e.end, not _whole_paragraphs(e, base), e.before)

    by_edit: dict[Edit, list[str]] = {}
    order: list[str] = []
    sequences: list[list[Edit]] = []  # each delegation's edits in its own order
    for code, edits in proposals:
        order.append(code)
        sequences.append(sorted(edits, key=place))
        for edit in edits:
            codes = by_edit.setdefault(edit, [])
            if code not in codes:
                codes.append(code)
    changes = sorted(by_edit, key=lambda e: (*place(e), order.index(by_edit[e][0])))
    changes = _as_each_proposes(changes, sequences)
    clusters: list[list[Edit]] = []
    for edit in changes:
        if clusters and any(_overlap(edit, other, base) for other in clusters[-1]):
            clusters[-1].append(edit)
        else:
            clusters.append([edit])
    out: list[AttributedEdit | Conflict] = []
    for cluster in clusters:
        if len(cluster) == 1:
            out.append(AttributedEdit(cluster[0], tuple(by_edit[cluster[0]])))
            continue
        start = min(e.start for e in cluster)
        end = max(e.end for e in cluster)
        # One version of the span per delegation — all of its edits there, applied together —
        # and delegations whose versions are the same share one alternative.
        versions: dict[tuple[str, ...], list[str]] = {}
        for code in order:
            mine = [e for e in cluster if code in by_edit[e]]  # in its own order
            if mine:
                versions.setdefault(_apply(base, start, end, mine), []).append(code)
        if len(versions) == 1:
            ((version, codes),) = versions.items()
            out.append(AttributedEdit(Edit(start, end, version), tuple(codes)))
            continue
        alternatives = [(version, tuple(codes)) for version, codes in versions.items()]
        out.append(Conflict(start, end, tuple(alternatives)))
    return out


def _as_each_proposes(changes: list[Edit], sequences: Iterable[Sequence[Edit]]) -> list[Edit]:
    """`changes` (sorted) with the edits at one place reordered, where need be, to follow each
    delegation's own order of its edits there. An edit several delegations made alike is one
    edit, though they may have typed it differently: one after the paragraph before, another
    before the next paragraph (`Edit.before`, not compared). It takes the first delegation's
    `before`, and so its place among the others at that place may not be where a second
    delegation has it among its own (its empty paragraph typed after the paragraph before, and
    then the shared one before the next: the shared one must still come second). Where the
    delegations' orders disagree, `changes`' order stands."""
    earlier: dict[Edit, set[Edit]] = {}  # an edit -> edits that some delegation has before it
    for edits in sequences:
        for a, b in pairwise(edits):
            if (a.start, a.end) == (b.start, b.end) and a != b:
                earlier.setdefault(b, set()).add(a)
    out: list[Edit] = []
    placed: set[Edit] = set()
    for _, run in groupby(changes, key=lambda e: (e.start, e.end)):
        pending = list(run)
        while pending:
            ready = next((e for e in pending if earlier.get(e, set()) <= placed), pending[0])
            pending.remove(ready)
            out.append(ready)
            placed.add(ready)
    return out

"""What a proposal puts in place of each base paragraph, and the table rows it inserts or
deletes whole: the input of `documents.edits.edits_of`.

A proposal's reject view is the base; each of its paragraphs stands for one base paragraph, and
the text the proposal gives it is its accepted text. A paragraph only in the accept view goes
with the base paragraph before it, except the paragraphs of a table row inserted whole
(`w:trPr/w:ins`), which are a `WholeRow` placed next to a row of the same table; a table row
deleted whole (`w:trPr/w:del`) is a `WholeRow` too, over the base paragraphs it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from documents.model import Document, Paragraph, SegmentState, view_groups
from documents.tokens import PARA, tokenize

__all__ = ["WholeRow", "accepted_tokens", "cells_of", "replacements"]


def accepted_tokens(paragraph: Paragraph) -> list[str]:
    """The paragraph as it stands when every change is accepted: its text, and its break unless
    the break is deleted (it then runs on into the next paragraph)."""
    if paragraph.row is SegmentState.DELETED:
        return []
    tokens = tokenize(paragraph.accepted_text)
    if paragraph.mark is not SegmentState.DELETED:
        tokens.append(PARA)
    return tokens


def replacements(proposal: Document) -> tuple[list[list[str]], list[WholeRow]]:
    """For each base paragraph (each paragraph of the proposal's reject view), the tokens (PARA
    included) the proposal puts in its place; and its table rows inserted or deleted whole. Text
    only in the accept view goes with the base paragraph before it (or, before the first, with
    the first), except an inserted row, which stands after a row of its table (or before one,
    as the table's first row)."""
    out: list[list[str]] = []
    pending: list[str] = []
    rows: list[WholeRow] = []
    waiting: list[list[Paragraph]] = []  # groups only in the accept view, not yet placed
    last: Paragraph | None = None  # the last paragraph of the reject view so far

    def place(following: Paragraph | None) -> None:
        nonlocal pending
        for paragraphs in _whole_rows(waiting):
            row = _inserted_row(paragraphs, len(out), last, following)
            if row is not None:
                rows.append(row)
                continue
            tokens = [t for p in paragraphs for t in accepted_tokens(p)]
            if out:
                out[-1] += tokens
            else:
                pending += tokens
        waiting.clear()

    for group, text in view_groups(proposal.paragraphs, accept=False):
        if text is None:
            waiting.append(group)
            continue
        place(group[0])
        first = group[0]
        if first.row is SegmentState.DELETED and first.row_level is not None:
            level = first.row_level
            if rows and rows[-1].deleted and rows[-1].row == first.rows[level]:
                rows[-1].paragraphs.append(len(out))
                rows[-1].containers.append(first.container)
            else:
                rows.append(WholeRow(first.rows[level], level, True, [len(out)], [first.container]))
        out.append(pending + [t for p in group for t in accepted_tokens(p)])
        pending = []
        last = group[-1]
    place(None)
    return out, rows


@dataclass
class WholeRow:
    """A table row the proposal inserted or deleted whole: the row's number and its level in
    the paragraphs' `rows`; deleted, the base paragraphs it holds and the cell of each;
    inserted, the base paragraph it stands before (`at`), whether it goes with the row of that
    paragraph (`before`) rather than with the row of the one before, its tokens and cells."""

    row: int
    level: int
    deleted: bool
    paragraphs: list[int] = field(default_factory=list)
    containers: list[int] = field(default_factory=list)
    at: int = 0
    before: bool = False
    tokens: list[str] = field(default_factory=list)


def _whole_rows(groups: list[list[Paragraph]]) -> list[list[Paragraph]]:
    """The paragraphs of `groups` cut where the inserted row that holds them changes."""
    out: list[list[Paragraph]] = []
    key: object = None
    for paragraph in (p for group in groups for p in group):
        level = paragraph.row_level
        inserted = paragraph.row is SegmentState.INSERTED and level is not None
        mine = (level, paragraph.rows[level]) if inserted and level is not None else None
        if not out or mine is None or mine != key:
            out.append([])
        out[-1].append(paragraph)
        key = mine
    return out


def _inserted_row(
    paragraphs: list[Paragraph], at: int, last: Paragraph | None, following: Paragraph | None
) -> WholeRow | None:
    """The row `paragraphs` make, placed next to a row of its table in the reject view; None
    when they are not a whole inserted row or its table has no row in the reject view."""
    first = paragraphs[0]
    level = first.row_level
    if first.row is not SegmentState.INSERTED or level is None:
        return None
    table = first.tables[level]
    tokens = [t for p in paragraphs for t in accepted_tokens(p)]
    row = WholeRow(first.rows[level], level, False, containers=[p.container for p in paragraphs])
    row.at, row.tokens = at, tokens
    row.paragraphs = [sum(t == PARA for t in accepted_tokens(p)) for p in paragraphs]
    if not tokens or tokens[-1] != PARA:
        return None
    if last is not None and len(last.tables) > level and last.tables[level] == table:
        return row
    if following is not None and len(following.tables) > level and following.tables[level] == table:
        row.before = True
        return row
    return None


def cells_of(containers: Sequence[int], counts: Sequence[int]) -> tuple[int, ...]:
    """Paragraph breaks per cell: `counts[i]` breaks in cell `containers[i]`."""
    cells: list[int] = []
    previous = None
    for container, count in zip(containers, counts, strict=True):
        if container != previous:
            cells.append(0)
            previous = container
        cells[-1] += count
    return tuple(cells)

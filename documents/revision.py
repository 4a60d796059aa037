"""Rendering combined changes onto a copy of the base package as real Word tracked changes.

The combined changes become one stream of pieces, cut into output paragraphs at the breaks
(`documents.revision_pieces`); here they become XML. A base paragraph nobody touched keeps its
XML exactly; a touched one is rebuilt from its pieces: its paragraph properties are kept, each
piece of base text keeps the formatting of the run it came from, inserted text takes the
formatting of the text before it, and runs that carry no text (drawings, field characters,
footnote references) are kept where they stood. Everything the compiler adds — the visible
`(AG)` tags, the brackets and separators of conflicts, the `5 bis` labels — is itself an
insertion, by the author `COMPILER`, so rejecting every change gives the base back exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from documents.base_runs import (
    BaseRun,
    base_runs,
    is_atom,
    markers,
    open_wrapper,
    wrappers_at,
    wrappers_of,
)
from documents.model import SegmentState
from documents.revision_pieces import OutParagraph, Piece, label_for, split_paragraphs
from documents.revision_rows import RevisionIds, Rows, revision_element
from documents.wordml import w

__all__ = ["COMPILER", "Rendered", "render_paragraphs"]

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
COMPILER = "Compilation"


@dataclass(frozen=True)
class Rendered:
    new_paragraph_labels: list[str]
    revisions: int


def render_paragraphs(
    body: Any,
    elements: Sequence[Any],
    base_texts: Sequence[str],
    pieces: Sequence[Piece],
    *,
    numbers: Sequence[int | None],
    author: Callable[[tuple[str, ...]], str],
    date: Callable[[tuple[str, ...]], datetime],
    first_id: int,
) -> Rendered:
    """Rewrite the base paragraph `elements` (in place, under `body`) as the pieces say."""
    ids = RevisionIds(first_id)
    rows = Rows(elements, author, date, ids)
    paragraphs = split_paragraphs(pieces)
    labels: list[str] = []
    new_after: dict[int, int] = {}
    # Where each base paragraph's output goes: replaced by the paragraphs made from it.
    made: dict[int, list[Any]] = {i: [] for i in range(len(elements))}
    reached: set[int] = set()  # base paragraphs whose own text has been placed
    for out in paragraphs:
        source = out.source
        row = out.row
        codes = out.mark.codes if out.mark is not None else ()
        if row is not None and row.state is SegmentState.INSERTED:
            rebuilt = _rebuilt_paragraph(elements[source], out, None, author, date, ids)
            if rows.add(source, row, codes, rebuilt):
                continue
            made[source].append(rebuilt)
            continue
        if row is not None:
            rows.delete(source, row, codes)
        if out.has_base_text:
            reached.add(source)
        if out.untouched(lambda i: len(base_texts[i])):
            made[source].append(elements[source])
            continue
        label = None
        if out.is_new:
            # After the base paragraph it goes with, or (new text before the first) before it.
            anchor = _numbered_before(numbers, source if source in reached else source - 1)
            new_after[anchor] = new_after.get(anchor, 0) + 1
            label = label_for(anchor, new_after[anchor]) if anchor else None
            if label:
                labels.append(label)
        made[source].append(_rebuilt_paragraph(elements[source], out, label, author, date, ids))
    for index, element in enumerate(elements):
        replacements = made[index]
        if replacements == [element]:
            continue
        if element in replacements:
            # Kept as it is: what comes before it goes before it, what follows after it.
            at = replacements.index(element)
            for new in replacements[:at]:
                element.addprevious(new)
            anchor = element
            for new in replacements[at + 1 :]:
                anchor.addnext(new)
                anchor = new
            continue
        for new in replacements:
            element.addprevious(new)
        element.getparent().remove(element)
    rows.place()
    return Rendered(labels, ids.next - first_id)


def _numbered_before(numbers: Sequence[int | None], index: int) -> int:
    """The number of the last numbered base paragraph at or before `index` (0: none)."""
    while index >= 0:
        if numbers[index] is not None:
            return int(numbers[index] or 0)
        index -= 1
    return 0


# -- XML ---------------------------------------------------------------------------------------


def _rpr_at(runs: list[BaseRun], offset: int, before: bool) -> Any | None:
    """The run properties of the character at (or, `before`, just before) `offset`."""
    chosen = None
    for start, run, text, _ in runs:
        if not text:
            continue
        end = start + len(text)
        if (before and start < offset <= end) or (not before and start <= offset < end):
            chosen = run
            break
        if start < offset:
            chosen = run
    if chosen is None and runs:
        chosen = next((r for _, r, t, _ in runs if t), None)
    if chosen is None:
        return None
    rpr = chosen.find(w("rPr"))
    return copy.deepcopy(rpr) if rpr is not None else None


def _text_elements(text: str, deleted: bool) -> list[Any]:
    out = []
    buffer = ""

    def flush() -> None:
        nonlocal buffer
        if buffer:
            t = etree.Element(w("delText" if deleted else "t"))
            t.text = buffer
            t.set(XML_SPACE, "preserve")
            out.append(t)
            buffer = ""

    for char in text:
        if char == "\t":
            flush()
            out.append(etree.Element(w("tab")))
        elif char == "\n":
            flush()
            out.append(etree.Element(w("br")))
        else:
            buffer += char
    flush()
    return out


def _text_run(text: str, rpr: Any | None, deleted: bool) -> Any:
    run = etree.Element(w("r"))
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    for child in _text_elements(text, deleted):
        run.append(child)
    return run


def _rebuilt_paragraph(
    base: Any,
    out: OutParagraph,
    label: str | None,
    author: Callable[[tuple[str, ...]], str],
    date: Callable[[tuple[str, ...]], datetime],
    ids: RevisionIds,
) -> Any:
    runs = base_runs(base)
    paragraph = etree.Element(w("p"))
    ppr = base.find(w("pPr"))
    if ppr is not None:
        ppr = copy.deepcopy(ppr)
        paragraph.append(ppr)
    if out.mark is not None and out.mark.state is not SegmentState.UNCHANGED:
        if ppr is None:
            ppr = etree.SubElement(paragraph, w("pPr"))
        rpr = ppr.find(w("rPr"))
        if rpr is None:
            rpr = etree.Element(w("rPr"))
            anchor = ppr.find(w("sectPr"))
            if anchor is None:
                anchor = ppr.find(w("pPrChange"))
            if anchor is not None:
                anchor.addprevious(rpr)
            else:
                ppr.append(rpr)
        kind = "ins" if out.mark.state is SegmentState.INSERTED else "del"
        rpr.insert(0, revision_element(kind, author(out.mark.codes), date(out.mark.codes), ids))
    pieces = list(out.pieces)
    if label:
        pieces.insert(0, Piece(f"{label}. ", SegmentState.INSERTED, (), out.source, None))
    # Runs without text (drawings, field characters, note references) and bookmarks stay where
    # they stood, in the one output paragraph that holds their place in the base text.
    spans = [
        (p.base_offset, p.base_offset + len(p.text)) for p in pieces if p.base_offset is not None
    ]
    owns_end = out.mark is not None and out.mark.base_offset is not None
    lo = min((a for a, _ in spans), default=None)
    hi = max((b for _, b in spans), default=None)
    if lo is None and owns_end:
        lo = hi = out.mark.base_offset if out.mark is not None else None
    atoms = sorted(
        (
            (start, run)
            for start, run in [
                *((start, run) for start, run, text, _ in runs if not text and is_atom(run)),
                *markers(base, runs),
            ]
            if lo is not None
            and hi is not None
            and (lo <= start < hi or (start == hi and owns_end) or (start == lo == 0))
        ),
        key=lambda atom: atom[0],
    )
    emitted_atoms: set[int] = set()
    # The wrappers open in the output (each base wrapper, and where its copy takes content).
    opened: list[tuple[Any, Any]] = []

    def enter(wrappers: tuple[Any, ...]) -> Any:
        """Open the output's copies of `wrappers` (closing the others); where content goes."""
        common = 0
        while common < min(len(opened), len(wrappers)) and opened[common][0] is wrappers[common]:
            common += 1
        del opened[common:]
        for source in wrappers[common:]:
            parent = opened[-1][1] if opened else paragraph
            opened.append((source, open_wrapper(source, parent)))
        return opened[-1][1] if opened else paragraph

    groups = _grouped_pieces(pieces)
    last_offset = 0
    replacing = False
    for state, codes, group in groups:
        offset = group[0].base_offset
        if offset is not None:
            last_offset = offset
        container: Any = None
        where: Any = None
        for text, rpr, at in _formatted(group, runs, last_offset):
            # Atoms go where they stood, between the runs of base text around them (a field's
            # begin, code and separator before its result, its end after it), so a group of
            # base text is cut at them, and a change around them too.
            for i, (start, run) in enumerate(atoms):
                if at is not None and i not in emitted_atoms and start <= at:
                    enter(wrappers_of(run, base)).append(copy.deepcopy(run))
                    emitted_atoms.add(i)
                    container = where = None
            # Base text that stood in a hyperlink, a smart tag, a simple field or a content
            # control stays in (a copy of) it; a change inside it goes inside it, as Word
            # writes it.
            wrappers = wrappers_at(
                runs, last_offset if at is None else at, inserted=at is None, replacing=replacing
            )
            parent = enter(wrappers)
            if container is None or where is not parent:
                where = container = parent
                if state is not SegmentState.UNCHANGED:
                    kind = "ins" if state is SegmentState.INSERTED else "del"
                    container = revision_element(kind, author(codes), date(codes), ids)
                    parent.append(container)
            container.append(_text_run(text, rpr, state is SegmentState.DELETED))
        if offset is not None:
            last_offset = offset + sum(len(p.text) for p in group)
        # Text inserted in place of deleted text goes where that text stood.
        replacing = state is not SegmentState.UNCHANGED and (
            state is SegmentState.DELETED or replacing
        )
    for i, (_, run) in enumerate(atoms):
        if i not in emitted_atoms:
            enter(wrappers_of(run, base)).append(copy.deepcopy(run))
    return paragraph


def _grouped_pieces(pieces: list[Piece]) -> list[tuple[SegmentState, tuple[str, ...], list[Piece]]]:
    """Consecutive pieces of the same state and authors, base text split where it is not
    contiguous."""
    groups: list[tuple[SegmentState, tuple[str, ...], list[Piece]]] = []
    for piece in pieces:
        if groups:
            state, codes, group = groups[-1]
            last = group[-1]
            contiguous = (last.base_offset is None) == (piece.base_offset is None) and (
                piece.base_offset is None
                or (
                    last.base_offset is not None
                    and last.base_offset + len(last.text) == piece.base_offset
                )
            )
            if state is piece.state and codes == piece.codes and contiguous:
                group.append(piece)
                continue
        groups.append((piece.state, piece.codes, [piece]))
    return groups


def _formatted(
    group: list[Piece], runs: list[BaseRun], at: int
) -> list[tuple[str, Any | None, int | None]]:
    """The group's text cut where the base runs' formatting changes, each cut with its
    formatting and (base text) its offset in the base paragraph."""
    if group[0].base_offset is None:
        return [("".join(p.text for p in group), _rpr_at(runs, at, before=True), None)]
    start = group[0].base_offset
    text = "".join(p.text for p in group)
    out: list[tuple[str, Any | None, int | None]] = []
    cursor = 0
    while cursor < len(text):
        position = start + cursor
        run_end = next(
            (s + len(t) for s, _, t, _ in runs if t and s <= position < s + len(t)),
            start + len(text),
        )
        take = max(1, min(len(text) - cursor, run_end - position))
        out.append((text[cursor : cursor + take], _rpr_at(runs, position, before=False), position))
        cursor += take
    return out

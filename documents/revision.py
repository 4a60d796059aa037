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

from documents.model import SegmentState
from documents.revision_pieces import OutParagraph, Piece, label_for, split_paragraphs
from documents.wordml import w

__all__ = ["COMPILER", "Rendered", "render_paragraphs"]

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
COMPILER = "Compilation"


@dataclass(frozen=True)
class Rendered:
    new_paragraph_labels: list[str]
    revisions: int


class _RevisionIds:
    def __init__(self, start: int) -> None:
        self.next = start

    def take(self) -> str:
        self.next += 1
        return str(self.next)


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
    ids = _RevisionIds(first_id)
    paragraphs = split_paragraphs(pieces)
    labels: list[str] = []
    new_after: dict[int, int] = {}
    # Where each base paragraph's output goes: replaced by the paragraphs made from it.
    made: dict[int, list[Any]] = {i: [] for i in range(len(elements))}
    reached: set[int] = set()  # base paragraphs whose own text has been placed
    for out in paragraphs:
        source = out.source
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
    return Rendered(labels, ids.next - first_id)


def _numbered_before(numbers: Sequence[int | None], index: int) -> int:
    """The number of the last numbered base paragraph at or before `index` (0: none)."""
    while index >= 0:
        if numbers[index] is not None:
            return int(numbers[index] or 0)
        index -= 1
    return 0


# -- XML ---------------------------------------------------------------------------------------


def _runs_with_offsets(paragraph: Any) -> list[tuple[int, Any, str]]:
    """The base paragraph's runs in order, each with its character offset and text."""
    out: list[tuple[int, Any, str]] = []
    offset = 0
    in_code = False
    for run in paragraph.iter(w("r")):
        text_parts = []
        for child in run:
            tag = child.tag
            if tag == w("fldChar"):
                kind = child.get(w("fldCharType"))
                in_code = kind == "begin"
                if kind == "separate":
                    in_code = False
            elif in_code:
                continue
            elif tag == w("t"):
                text_parts.append(child.text or "")
            elif tag == w("tab"):
                text_parts.append("\t")
            elif tag in (w("br"), w("cr")):
                text_parts.append("\n")
            elif tag == w("noBreakHyphen"):
                text_parts.append("-")
        text = "".join(text_parts)
        out.append((offset, run, text))
        offset += len(text)
    return out


def _rpr_at(runs: list[tuple[int, Any, str]], offset: int, before: bool) -> Any | None:
    """The run properties of the character at (or, `before`, just before) `offset`."""
    chosen = None
    for start, run, text in runs:
        if not text:
            continue
        end = start + len(text)
        if (before and start < offset <= end) or (not before and start <= offset < end):
            chosen = run
            break
        if start < offset:
            chosen = run
    if chosen is None and runs:
        chosen = next((r for _, r, t in runs if t), None)
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


def _revision(kind: str, author: str, when: datetime, ids: _RevisionIds) -> Any:
    element = etree.Element(w(kind))
    element.set(w("id"), ids.take())
    element.set(w("author"), author)
    element.set(w("date"), when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return element


def _rebuilt_paragraph(
    base: Any,
    out: OutParagraph,
    label: str | None,
    author: Callable[[tuple[str, ...]], str],
    date: Callable[[tuple[str, ...]], datetime],
    ids: _RevisionIds,
) -> Any:
    runs = _runs_with_offsets(base)
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
        rpr.insert(0, _revision(kind, author(out.mark.codes), date(out.mark.codes), ids))
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
                *((start, run) for start, run, text in runs if not text and _is_atom(run)),
                *_markers(base),
            ]
            if lo is not None
            and hi is not None
            and (lo <= start < hi or (start == hi and owns_end) or (start == lo == 0))
        ),
        key=lambda atom: atom[0],
    )
    emitted_atoms: set[int] = set()
    link_source: Any = None  # the base hyperlink the text being written stood in
    link_out: Any = None  # its copy in the output paragraph
    groups = _grouped_pieces(pieces)
    last_offset = 0
    for state, codes, group in groups:
        offset = group[0].base_offset
        if offset is not None:
            last_offset = offset
        container: Any = None
        for text, rpr, at in _formatted(group, runs, last_offset):
            # Atoms go where they stood, between the runs of base text around them (a field's
            # begin, code and separator before its result, its end after it), so a group of
            # base text is cut at them, and a change around them too.
            for i, (start, run) in enumerate(atoms):
                if at is not None and i not in emitted_atoms and start <= at:
                    paragraph.append(copy.deepcopy(run))
                    emitted_atoms.add(i)
                    container = None
                    link_source = link_out = None
            # Base text that stood in a hyperlink stays in (a copy of) it; a change inside it
            # goes inside the hyperlink, as Word writes it.
            link = _link_at(base, runs, at) if at is not None else None
            if link is not link_source:
                container = None
                link_source = link
                link_out = None
                if link is not None:
                    link_out = etree.SubElement(paragraph, link.tag, dict(link.attrib))
            if container is None:
                parent = link_out if link_out is not None else paragraph
                container = parent
                if state is not SegmentState.UNCHANGED:
                    kind = "ins" if state is SegmentState.INSERTED else "del"
                    container = _revision(kind, author(codes), date(codes), ids)
                    parent.append(container)
            container.append(_text_run(text, rpr, state is SegmentState.DELETED))
        if offset is not None:
            last_offset = offset + sum(len(p.text) for p in group)
    for i, (_, run) in enumerate(atoms):
        if i not in emitted_atoms:
            paragraph.append(copy.deepcopy(run))
    return paragraph


def _link_at(paragraph: Any, runs: list[tuple[int, Any, str]], at: int) -> Any | None:
    """The hyperlink around the base text at character `at`, if there is one."""
    for start, run, text in runs:
        if text and start <= at < start + len(text):
            parent = run.getparent()
            while parent is not None and parent is not paragraph:
                if parent.tag == w("hyperlink"):
                    return parent
                parent = parent.getparent()
            return None
    return None


_MARKERS = frozenset(
    w(tag) for tag in ("bookmarkStart", "bookmarkEnd", "commentRangeStart", "commentRangeEnd")
)


def _markers(paragraph: Any) -> list[tuple[int, Any]]:
    """Bookmarks and comment ranges, with the character offset where they stand (a rebuilt
    paragraph keeps them, so cross-references and comments still find their place)."""
    found: list[tuple[int, Any]] = []
    runs = {id(run): (start, text) for start, run, text in _runs_with_offsets(paragraph)}
    offset = 0
    for element in paragraph.iter():
        if element.tag == w("r") and id(element) in runs:
            start, text = runs[id(element)]
            offset = start + len(text)
        elif element.tag in _MARKERS:
            found.append((offset, element))
    return found


def _is_atom(run: Any) -> bool:
    """A run that carries something other than text (a drawing, a field character, a note
    reference): kept where it stood."""
    return any(
        child.tag not in (w("rPr"), w("t"), w("tab"), w("br"), w("cr"), w("lastRenderedPageBreak"))
        for child in run
    )


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
    group: list[Piece], runs: list[tuple[int, Any, str]], at: int
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
            (s + len(t) for s, _, t in runs if t and s <= position < s + len(t)),
            start + len(text),
        )
        take = max(1, min(len(text) - cursor, run_end - position))
        out.append((text[cursor : cursor + take], _rpr_at(runs, position, before=False), position))
        cursor += take
    return out

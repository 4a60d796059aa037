"""A base paragraph's runs as the compiler rebuilds it: each with its character offset in the
paragraph's text, its text, and the inline wrappers around it.

The walk is the reader's (`documents.tracked_changes`): runs directly in the paragraph or inside
`w:hyperlink`, `w:smartTag`, `w:customXml`, `w:fldSimple`, `w:dir`, `w:bdo` and run-level
content controls (`w:sdt/w:sdtContent`), never inside a text box; the code of a complex field
carries no text. The wrappers are what `documents.revision` writes again around the text that
stood in them (`open_wrapper`), changed or not: a smart tag, a simple field, a content control
or a hyperlink around changed text stays around it.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

from lxml import etree

from documents.wordml import DEL, INS, MOVE_FROM, MOVE_TO, SDT, SDT_CONTENT, R, w

__all__ = [
    "BaseRun",
    "base_runs",
    "is_atom",
    "markers",
    "open_wrapper",
    "wrappers_at",
    "wrappers_of",
]

WRAPPERS = frozenset(
    w(t) for t in ("hyperlink", "smartTag", "customXml", "fldSimple", "dir", "bdo", "sdt")
)
_LOOKED_INTO = frozenset({INS, DEL, MOVE_TO, MOVE_FROM})
# What a wrapper's copy takes with it besides its attributes (its properties, not its content).
_PROPERTIES = frozenset(w(t) for t in ("sdtPr", "sdtEndPr", "smartTagPr", "customXmlPr", "fldData"))
_MARKERS = frozenset(
    w(tag) for tag in ("bookmarkStart", "bookmarkEnd", "commentRangeStart", "commentRangeEnd")
)
_TEXTLESS = frozenset({w("rPr"), w("t"), w("tab"), w("br"), w("cr"), w("lastRenderedPageBreak")})


class BaseRun(NamedTuple):
    start: int
    run: Any
    text: str
    wrappers: tuple[Any, ...]  # the inline wrappers around it, outermost first


def base_runs(paragraph: Any) -> list[BaseRun]:
    """The base paragraph's runs in order, each with its character offset, text and wrappers."""
    out: list[BaseRun] = []
    state = {"offset": 0, "in_code": False}

    def walk(element: Any, wrappers: tuple[Any, ...]) -> None:
        for child in element:
            tag = child.tag
            if tag == R:
                text = _run_text(child, state)
                out.append(BaseRun(int(state["offset"]), child, text, wrappers))
                state["offset"] = int(state["offset"]) + len(text)
            elif tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    walk(content, (*wrappers, child))
            elif tag in WRAPPERS:
                walk(child, (*wrappers, child))
            elif tag in _LOOKED_INTO:
                walk(child, wrappers)

    walk(paragraph, ())
    return out


def _run_text(run: Any, state: dict[str, int | bool]) -> str:
    parts = []
    for child in run:
        tag = child.tag
        if tag == w("fldChar"):
            kind = child.get(w("fldCharType"))
            state["in_code"] = kind == "begin"
        elif state["in_code"]:
            continue
        elif tag == w("t"):
            parts.append(child.text or "")
        elif tag == w("tab"):
            parts.append("\t")
        elif tag in (w("br"), w("cr")):
            parts.append("\n")
        elif tag == w("noBreakHyphen"):
            parts.append("-")
    return "".join(parts)


def wrappers_of(element: Any, paragraph: Any) -> tuple[Any, ...]:
    """The inline wrappers between `element` and its paragraph, outermost first."""
    out = []
    parent = element.getparent()
    while parent is not None and parent is not paragraph:
        if parent.tag in WRAPPERS:
            out.append(parent)
        parent = parent.getparent()
    return tuple(reversed(out))


def wrappers_at(
    runs: list[BaseRun], at: int, *, inserted: bool, replacing: bool = False
) -> tuple[Any, ...]:
    """The wrappers around the base text at character `at`; for text inserted at `at`, those
    around both the character before and the character after (an insertion at a wrapper's edge
    stays outside it), or, `replacing` the deleted text before it, those around that text."""
    after = _covering(runs, at)
    if not inserted:
        return after
    before = _covering(runs, at - 1) if at > 0 else ()
    if replacing:
        return before
    common = 0
    while common < min(len(before), len(after)) and before[common] is after[common]:
        common += 1
    return after[:common]


def _covering(runs: list[BaseRun], at: int) -> tuple[Any, ...]:
    for start, _, text, wrappers in runs:
        if text and start <= at < start + len(text):
            return wrappers
    return ()


def open_wrapper(source: Any, parent: Any) -> Any:
    """A copy of the wrapper `source` under `parent`: its attributes and properties, no content.
    Returns where its content goes (a content control's `w:sdtContent`)."""
    wrapper = etree.SubElement(parent, source.tag, dict(source.attrib))
    for child in source:
        if child.tag in _PROPERTIES:
            wrapper.append(copy.deepcopy(child))
    if source.tag == SDT:
        return etree.SubElement(wrapper, SDT_CONTENT)
    return wrapper


def markers(paragraph: Any, runs: list[BaseRun]) -> list[tuple[int, Any]]:
    """Bookmarks and comment ranges, with the character offset where they stand (a rebuilt
    paragraph keeps them, so cross-references and comments still find their place)."""
    found: list[tuple[int, Any]] = []
    ends = {id(run): start + len(text) for start, run, text, _ in runs}
    offset = 0
    for element in paragraph.iter():
        if element.tag == R and id(element) in ends:
            offset = ends[id(element)]
        elif element.tag in _MARKERS:
            found.append((offset, element))
    return found


def is_atom(run: Any) -> bool:
    """A run that carries something other than text (a drawing, a field character, a note
    reference): kept where it stood."""
    return any(child.tag not in _TEXTLESS for child in run)

"""The WordprocessingML names the engine reads and writes, in one place.

`W` is the main namespace and `w(tag)` a tag in it; the constants name the elements of
paragraphs, tables, content controls and tracked changes that the reader
(`documents.tracked_changes`), the walk in document order (`documents.paragraph_order`), the
writer (`documents.revision`) and accept-all (`documents.accept`) look for.
`tracked_change(element)` reads who made a revision element (`w:ins`, `w:del`, …) and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

from documents.model import TrackedChange

__all__ = [
    "CELL_DEL",
    "CELL_INS",
    "CUSTOM_XML",
    "DEL",
    "INS",
    "MC",
    "MOVE_FROM",
    "MOVE_FROM_END",
    "MOVE_FROM_START",
    "MOVE_TO",
    "MOVE_TO_END",
    "MOVE_TO_START",
    "PPR",
    "RANGE_MARKERS",
    "RPR",
    "SDT",
    "SDT_CONTENT",
    "TBL",
    "TC",
    "TCPR",
    "TR",
    "TRPR",
    "Element",
    "P",
    "R",
    "W",
    "tracked_change",
    "w",
]

Element: TypeAlias = Any  # an lxml element: lxml ships no type information

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, R, PPR, RPR = w("p"), w("r"), w("pPr"), w("rPr")
TBL, TR, TC, TRPR, TCPR = w("tbl"), w("tr"), w("tc"), w("trPr"), w("tcPr")
SDT, SDT_CONTENT, CUSTOM_XML = w("sdt"), w("sdtContent"), w("customXml")
INS, DEL, MOVE_TO, MOVE_FROM = w("ins"), w("del"), w("moveTo"), w("moveFrom")
CELL_INS, CELL_DEL = w("cellIns"), w("cellDel")
MOVE_FROM_START, MOVE_FROM_END = w("moveFromRangeStart"), w("moveFromRangeEnd")
MOVE_TO_START, MOVE_TO_END = w("moveToRangeStart"), w("moveToRangeEnd")
RANGE_MARKERS = frozenset({MOVE_FROM_START, MOVE_FROM_END, MOVE_TO_START, MOVE_TO_END})


def tracked_change(element: Element, *, moved: bool = False) -> TrackedChange:
    """Who made the revision `element` and when (`w:author`, `w:date`; either may be missing)."""
    return TrackedChange(
        author=element.get(w("author")) or None,
        date=_date(element.get(w("date"))),
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

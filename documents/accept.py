"""Accept every tracked change of a `.docx`: the clean text Word's "Accept All Changes" gives.

`!distribute` publishes the revised text this way (conflicts stay as bracketed alternatives, the
tags stay): the next proposals are made on it. Follows the accept order of the reader's views:
deleted and moved-away content goes, inserted and moved-in content stays as plain text, a
deleted paragraph mark joins the paragraph with the next one, formatting changes are kept as
they are now, rows inserted stay and rows deleted go.
"""

from __future__ import annotations

import io
from typing import Any

import docx

from documents.tracked_changes import paragraph_elements

__all__ = ["accept_all"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


_GONE = (_w("del"), _w("moveFrom"), _w("cellDel"))
_UNWRAP = (_w("ins"), _w("moveTo"))
_MARKERS = (
    _w("moveFromRangeStart"),
    _w("moveFromRangeEnd"),
    _w("moveToRangeStart"),
    _w("moveToRangeEnd"),
    _w("rPrChange"),
    _w("pPrChange"),
    _w("sectPrChange"),
    _w("tblPrChange"),
    _w("trPrChange"),
    _w("tcPrChange"),
    _w("cellIns"),
)


def accept_all(data: bytes) -> bytes:
    package = docx.Document(io.BytesIO(data))
    body = package.element.body
    # Rows deleted go whole; the marks of rows inserted go.
    for row in list(body.iter(_w("tr"))):
        properties = row.find(_w("trPr"))
        if properties is not None and properties.find(_w("del")) is not None:
            parent = row.getparent()
            if parent is not None:
                parent.remove(row)
    # Paragraph marks first (they sit in w:pPr/w:rPr): deleted ones join the next paragraph.
    paragraphs = paragraph_elements(body)
    for index, paragraph in enumerate(paragraphs):
        mark = _mark(paragraph)
        if mark is None or mark.tag != _w("del"):
            continue
        mark.getparent().remove(mark)
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
        if following is None or following.getparent() is not paragraph.getparent():
            continue
        # The text runs on into the next paragraph, which keeps its own properties.
        content = [child for child in paragraph if child.tag != _w("pPr")]
        anchor = following.find(_w("pPr"))
        for child in reversed(content):
            if anchor is not None:
                anchor.addnext(child)
            else:
                following.insert(0, child)
        paragraph.getparent().remove(paragraph)
    for element in list(body.iter(*_GONE)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    for element in list(body.iter(*_MARKERS)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    for element in list(body.iter(*_UNWRAP)):
        parent = element.getparent()
        if parent is None:
            continue
        if parent.tag == _w("rPr"):  # an inserted paragraph mark: just the marker goes
            parent.remove(element)
            continue
        position = parent.index(element)
        for offset, child in enumerate(list(element)):
            parent.insert(position + offset, child)
        parent.remove(element)
    out = io.BytesIO()
    package.save(out)
    return out.getvalue()


def _mark(paragraph: Any) -> Any | None:
    properties = paragraph.find(_w("pPr"))
    run_properties = properties.find(_w("rPr")) if properties is not None else None
    if run_properties is None:
        return None
    for tag in ("del", "moveFrom", "ins", "moveTo"):
        found = run_properties.find(_w(tag))
        if found is not None:
            return found
    return None

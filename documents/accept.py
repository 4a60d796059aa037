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

from documents.paragraph_order import paragraph_elements
from documents.wordml import w

__all__ = ["accept_all"]


_GONE = (w("del"), w("moveFrom"), w("cellDel"))
_UNWRAP = (w("ins"), w("moveTo"))
_MARKERS = (
    w("moveFromRangeStart"),
    w("moveFromRangeEnd"),
    w("moveToRangeStart"),
    w("moveToRangeEnd"),
    w("rPrChange"),
    w("pPrChange"),
    w("sectPrChange"),
    w("tblPrChange"),
    w("trPrChange"),
    w("tcPrChange"),
    w("cellIns"),
)


def accept_all(data: bytes) -> bytes:
    package = docx.Document(io.BytesIO(data))
    body = package.element.body
    # Rows deleted go whole; the marks of rows inserted go.
    for row in list(body.iter(w("tr"))):
        properties = row.find(w("trPr"))
        if properties is not None and properties.find(w("del")) is not None:
            parent = row.getparent()
            if parent is not None:
                parent.remove(row)
    # Paragraph marks first (they sit in w:pPr/w:rPr): deleted ones join the next paragraph.
    paragraphs = paragraph_elements(body)
    for index, paragraph in enumerate(paragraphs):
        mark = _mark_revision(paragraph)
        if mark is None or mark.tag != w("del"):
            continue
        mark.getparent().remove(mark)
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
        if following is None or following.getparent() is not paragraph.getparent():
            continue
        # The text runs on into the next paragraph, which keeps its own properties.
        content = [child for child in paragraph if child.tag != w("pPr")]
        anchor = following.find(w("pPr"))
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
        if parent.tag == w("rPr"):  # an inserted paragraph mark: just the marker goes
            parent.remove(element)
            continue
        position = parent.index(element)
        for offset, child in enumerate(list(element)):
            parent.insert(position + offset, child)
        parent.remove(element)
    out = io.BytesIO()
    package.save(out)
    return out.getvalue()


def _mark_revision(paragraph: Any) -> Any | None:
    properties = paragraph.find(w("pPr"))
    run_properties = properties.find(w("rPr")) if properties is not None else None
    if run_properties is None:
        return None
    for tag in ("del", "moveFrom", "ins", "moveTo"):
        found = run_properties.find(w(tag))
        if found is not None:
            return found
    return None

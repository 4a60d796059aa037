"""The demo's sample documents: a base text to negotiate, and proposals for `--scenario`.

Written with python-docx (a real Word package, styles and all); the proposals carry real tracked
changes, as Word writes them, by editing the base's XML.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import docx
from docx.oxml.ns import qn
from lxml import etree

BASE_NAME = "Matriz.docx"
TITLE = (
    "Inter-American Plan for the Coordination of Disaster Prevention and Response and "
    "Humanitarian Assistance — draft"
)
PARAGRAPHS = [
    "The Member States shall cooperate in the prevention of and response to disasters.",
    "Each Member State shall designate a national focal point for the implementation of the Plan.",
    "The Technical Secretariat shall support the working group in the preparation of reports.",
    "The Member States shall share information on early warning systems in a timely manner.",
    "Humanitarian assistance shall be provided in accordance with the principles of humanity, "
    "neutrality, impartiality and independence.",
    "The Plan shall be reviewed every four years by the General Assembly.",
]


def sample_base() -> bytes:
    document = docx.Document()
    document.add_heading(TITLE, level=1)
    for text in PARAGRAPHS:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def proposal(
    author: str,
    edits: dict[str, tuple[str, str]],
    untracked: dict[str, tuple[str, str]] | None = None,
) -> bytes:
    """The base with word replacements `{old: (paragraph start, new)}` as tracked changes by
    `author`, and `untracked` ones made silently (a proposal the platform refuses)."""
    document = docx.Document(io.BytesIO(sample_base()))
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    changes = [(old, spec, False) for old, spec in edits.items()]
    changes += [(old, spec, True) for old, spec in (untracked or {}).items()]
    for paragraph in document.paragraphs:
        for old, (start, new), silent in changes:
            if not paragraph.text.startswith(start) or old not in paragraph.text:
                continue
            before, _, after = paragraph.text.partition(old)
            for run in list(paragraph.runs):
                run._element.getparent().remove(run._element)
            if silent:
                paragraph.add_run(before + new + after)
                continue
            paragraph.add_run(before)
            paragraph._p.append(_tracked("del", old, author, when))
            paragraph._p.append(_tracked("ins", new, author, when))
            paragraph.add_run(after)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_ids = iter(range(1000, 100000))


def _tracked(kind: str, text: str, author: str, when: str) -> etree._Element:
    change = etree.Element(qn(f"w:{kind}"))
    change.set(qn("w:id"), str(next(_ids)))
    change.set(qn("w:author"), author)
    change.set(qn("w:date"), when)
    run = etree.SubElement(change, qn("w:r"))
    t = etree.SubElement(run, qn("w:delText" if kind == "del" else "w:t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return change

"""The reader on tracked changes written by independent engines: python-redlines' comparers
(Open-XML-PowerTools' WmlComparer and Docxodus, shipped as binaries in its wheels) compare a base
and a delegation's edited copy into a tracked-changes `.docx`; rejecting every change must give
the base's text and accepting every change the edited text."""

from __future__ import annotations

import warnings
from io import BytesIO

import docx
import pytest
from python_redlines.engines import DocxodusEngine, XmlPowerToolsEngine

from documents.model import SegmentState
from documents.tracked_changes import read_document

AUTHOR = "Antigua and Barbuda (AG)"

# A base: paragraphs, a table in the middle, paragraphs.
BASE_BEFORE = [
    "Inter-American Plan of Action",
    "1. The Member States shall cooperate in the promotion of democratic values.",
    "2. The General Secretariat will support the working group in its activities.",
    "3. Member States should share their experiences and good practices.",
    "4. This paragraph will be deleted by the delegation.",
]
BASE_CELLS = [["Action", "Responsible"], ["Train electoral officials", "Member States"]]
BASE_AFTER = [
    "5. The working group shall report to the Permanent Council every year.",
    "6. The Plan shall be reviewed after five years.",
]

EDITED_BEFORE = [
    "Inter-American Plan of Action",
    "1. The Member States should cooperate fully in the promotion of democratic values.",
    "2. The General Secretariat will support the working group in its activities.",
    "3. Member States should share their experiences, lessons learned and good practices.",
    "3 bis. Member States may request technical assistance from the General Secretariat.",
]
EDITED_CELLS = [["Action", "Responsible"], ["Train electoral officials", "The General Secretariat"]]
EDITED_AFTER = [
    "5. The working group shall report to the Permanent Council every two years.",
    "6. The Plan shall be reviewed after five years.",
]


def _docx(before: list[str], cells: list[list[str]], after: list[str]) -> bytes:
    document = docx.Document()
    for text in before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(cells), cols=len(cells[0]))
    for i, row in enumerate(cells):
        for j, text in enumerate(row):
            grid.cell(i, j).text = text
    for text in after:
        document.add_paragraph(text)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _texts(before: list[str], cells: list[list[str]], after: list[str]) -> list[str]:
    return [*before, *(text for row in cells for text in row), *after]


def _engine(name: str) -> XmlPowerToolsEngine | DocxodusEngine:
    if name == "docxodus":
        return DocxodusEngine()
    with warnings.catch_warnings():
        # Deprecated in favour of Docxodus, still the comparer Open-XML-PowerTools ships.
        warnings.simplefilter("ignore", DeprecationWarning)
        return XmlPowerToolsEngine()


@pytest.fixture(scope="module", params=["open-xml-powertools", "docxodus"])
def compared(request: pytest.FixtureRequest) -> bytes:
    base = _docx(BASE_BEFORE, BASE_CELLS, BASE_AFTER)
    edited = _docx(EDITED_BEFORE, EDITED_CELLS, EDITED_AFTER)
    redline, _, _ = _engine(request.param).run_redline(AUTHOR, base, edited)
    return redline


def test_reject_all_gives_the_base_and_accept_all_the_edited_text(compared: bytes) -> None:
    document = read_document(compared)
    assert document.has_changes
    assert document.reject_view() == _texts(BASE_BEFORE, BASE_CELLS, BASE_AFTER)
    assert document.accept_view() == _texts(EDITED_BEFORE, EDITED_CELLS, EDITED_AFTER)


def test_every_change_is_attributed_to_the_delegation(compared: bytes) -> None:
    document = read_document(compared)
    changes = [
        segment.change
        for paragraph in document.paragraphs
        for segment in paragraph.segments
        if segment.state is not SegmentState.UNCHANGED
    ]
    assert changes
    assert {change.author for change in changes if change is not None} == {AUTHOR}
    assert all(change is not None and change.date is not None for change in changes)
    touched = [i for i, paragraph in enumerate(document.paragraphs) if paragraph.has_changes]
    assert touched  # the unchanged paragraphs stay unchanged
    assert not document.paragraphs[0].has_changes

"""The reader on tracked changes written by independent engines: python-redlines' comparers
(Open-XML-PowerTools' WmlComparer and Docxodus, shipped as binaries in its wheels) compare a base
and a delegation's edited copy into a tracked-changes `.docx`; rejecting every change must give
the base's text and accepting every change the edited text."""

from __future__ import annotations

import warnings
import zipfile
from io import BytesIO

import docx
import pytest
from lxml import etree
from python_redlines.engines import DocxodusEngine, XmlPowerToolsEngine

from documents.jobs import compile_job
from documents.model import SegmentState
from documents.tracked_changes import read_document
from documents.wordml import W

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


# --- table rows inserted and deleted, compiled (issue #14) ----------------------------------

ROWS_BASE = [
    ["Action", "Responsible"],
    ["Train electoral officials", "Member States"],
    ["Publish the report", "The General Secretariat"],
]
ROWS_EDITED = [ROWS_BASE[0], ROWS_BASE[2], ["Share risk maps", "The Permanent Council"]]


@pytest.fixture(scope="module", params=["open-xml-powertools", "docxodus"])
def rows_compared(request: pytest.FixtureRequest) -> tuple[bytes, bytes]:
    base = _docx(BASE_BEFORE[:2], ROWS_BASE, BASE_AFTER)
    edited = _docx(BASE_BEFORE[:2], ROWS_EDITED, BASE_AFTER)
    redline, _, _ = _engine(request.param).run_redline(AUTHOR, base, edited)
    return base, redline


def test_rows_inserted_and_deleted_by_a_comparer_are_rows_of_the_revision(
    rows_compared: tuple[bytes, bytes],
) -> None:
    base, redline = rows_compared
    proposal = read_document(redline)
    assert {
        (p.rejected_text or p.accepted_text, p.row)
        for p in proposal.paragraphs
        if p.row_level is not None
    } == {
        ("Train electoral officials", SegmentState.DELETED),
        ("Member States", SegmentState.DELETED),
        ("Share risk maps", SegmentState.INSERTED),
        ("The Permanent Council", SegmentState.INSERTED),
    }
    result = compile_job("Plan.docx", base, [("AG_Plan.docx", redline)])
    assert not result.refused, result.refused
    revision = read_document(result.revision)
    assert revision.reject_view() == _texts(BASE_BEFORE[:2], ROWS_BASE, BASE_AFTER)
    accepted = revision.accept_view()
    assert accepted[-4:-2] == ["Share risk maps", "The Permanent Council (AG)"]
    assert "Train electoral officials" not in accepted
    rows = etree.fromstring(zipfile.ZipFile(BytesIO(result.revision)).read("word/document.xml"))
    marks = [
        [etree.QName(m).localname for m in tr.iterfind(f"{{{W}}}trPr/*")]
        for tr in rows.iter(f"{{{W}}}tr")
    ]
    assert marks == [[], ["del"], [], ["ins"]]
    assert result.compilation.new_paragraphs == []

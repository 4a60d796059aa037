"""The compilation matrix (SPEC §3, `documents.compilation_matrix`): a table with one row per
numbered paragraph of the base — number, original text, each delegation's proposal with
insertions underlined and deletions struck through, status."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest

from documents.compilation_matrix import Status, StatusEntry, compilation_matrix
from documents.compile import Submission
from documents.jobs import compile_job
from documents.package_gate import check_package
from documents.tracked_changes import read_document
from tests.unit.docx_builder import build, dele, ins, p

AG, BR = "Antigua and Barbuda (AG)", "Brazil (BR)"
BASE = [
    "Inter-American Plan",
    "The Member States shall cooperate in disaster prevention.",
    "",  # not numbered: no row of its own
    "The General Secretariat will support the working group.",
    "Member States should share their experiences.",
]


def _proposals() -> dict[str, bytes]:
    return {
        "AG": build(
            BASE[0],
            p(
                "The Member States ",
                dele("shall", author=AG),
                ins("should", author=AG),
                " cooperate in disaster prevention.",
            ),
            *BASE[2:4],
            p(ins("Risk maps shall be shared.", author=AG), ins_mark=True, author=AG),
            BASE[4],
        ),
        "BR": build(
            BASE[0],
            p("The Member States shall cooperate", dele(" in disaster prevention", author=BR), "."),
            *BASE[2:],
        ),
    }


def _matrix(**kwargs: Any) -> Any:
    base = read_document(build(*BASE))
    submissions = [Submission(code, read_document(data)) for code, data in _proposals().items()]
    data = compilation_matrix(base, submissions, title="Compilation matrix — Matriz.docx", **kwargs)
    check_package(data)
    return docx.Document(io.BytesIO(data))


@pytest.fixture(scope="module")
def matrix() -> Any:
    return _matrix()


def _cells(matrix: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in matrix.tables[0].rows]


def test_one_row_per_numbered_paragraph_and_a_header(matrix: Any) -> None:
    (table,) = matrix.tables
    rows = _cells(matrix)
    assert rows[0] == ["No.", "Original text", "Proposals", "Status", "Status history"]
    assert [row[:2] for row in rows[1:]] == [
        ["1", BASE[0]],
        ["2", BASE[1]],
        ["3", BASE[3]],
        ["4", BASE[4]],
    ]
    assert len(table.rows) == 1 + 4
    headings = [run for cell in table.rows[0].cells for run in cell.paragraphs[0].runs if run.text]
    assert len(headings) == 5 and all(run.bold for run in headings)
    assert matrix.paragraphs[0].text == "Compilation matrix — Matriz.docx"


def test_each_proposal_names_its_delegation(matrix: Any) -> None:
    rows = _cells(matrix)
    assert rows[1][2] == ""  # nobody touched the title
    proposals = matrix.tables[0].rows[2].cells[2].paragraphs
    assert [paragraph.runs[0].text for paragraph in proposals] == [f"{AG}: ", f"{BR}: "]
    assert all(paragraph.runs[0].bold for paragraph in proposals)
    assert rows[2][2].splitlines() == [
        f"{AG}: The Member States shallshould cooperate in disaster prevention.",
        f"{BR}: The Member States shall cooperate in disaster prevention.",
    ]
    # AG's new paragraph stands in the row of the paragraph it follows.
    assert rows[3][2].startswith(f"{AG}: {BASE[3]}")
    assert "Risk maps shall be shared." in rows[3][2]
    assert rows[4][2] == ""


def _marked_runs(cell: Any) -> list[tuple[str, str]]:
    out = []
    for paragraph in cell.paragraphs:
        for run in paragraph.runs[1:]:  # after the delegation's name
            kind = "struck" if run.font.strike else "underlined" if run.font.underline else "plain"
            out.append((kind, run.text))
    return out


def test_insertions_are_underlined_and_deletions_struck(matrix: Any) -> None:
    cell = matrix.tables[0].rows[2].cells[2]
    assert _marked_runs(cell) == [
        ("plain", "The Member States "),
        ("struck", "shall"),
        ("underlined", "should"),
        ("plain", " cooperate in disaster prevention."),
        ("plain", "The Member States shall cooperate"),
        ("struck", " in disaster prevention"),
        ("plain", "."),
    ]
    runs = [run for paragraph in cell.paragraphs for run in paragraph.runs[1:]]
    struck = [run for run in runs if run.font.strike]
    underlined = [run for run in runs if run.font.underline]
    assert all(run.font.color.rgb is not None for run in struck + underlined)
    assert {str(run.font.color.rgb) for run in struck}.isdisjoint(
        {str(run.font.color.rgb) for run in underlined}
    )
    new = [kind for kind, text in _marked_runs(matrix.tables[0].rows[3].cells[2]) if "Risk" in text]
    assert new == ["underlined"]


def test_status_defaults_to_open(matrix: Any) -> None:
    assert [row[3] for row in _cells(matrix)[1:]] == ["open"] * 4


def test_status_takes_given_statuses() -> None:
    matrix = _matrix(statuses={2: Status.AGREED_AD_REFERENDUM, 4: Status.APPROVED})
    assert [row[3] for row in _cells(matrix)[1:]] == [
        "open",
        "agreed ad referendum",
        "open",
        "approved",
    ]


def test_names_from_the_roster() -> None:
    matrix = _matrix(names={"AG": "Antigua & Barbuda"})
    cell = matrix.tables[0].rows[2].cells[2]
    assert cell.paragraphs[0].runs[0].text == "Antigua & Barbuda (AG): "


def test_the_compile_job_writes_the_matrix_with_statuses() -> None:
    result = compile_job(
        "Matriz.docx",
        build(*BASE),
        [(f"{code}_Matriz.docx", data) for code, data in _proposals().items()],
        statuses={3: "agreed ad referendum"},
    )
    matrix = docx.Document(io.BytesIO(result.matrix))
    rows = _cells(matrix)
    assert len(rows) == 5
    assert rows[3][3] == "agreed ad referendum"
    assert matrix.paragraphs[0].text == "Compilation matrix — Matriz.docx"


def test_the_status_history_column_tells_each_status_in_order() -> None:
    agreed = StatusEntry(Status.AGREED_AD_REFERENDUM, 1, None, "2026-11-30")
    approved = StatusEntry(Status.APPROVED, 1, "2026-12-12", "2026-12-12")
    before = StatusEntry(Status.AGREED_AD_REFERENDUM, None, None, "2026-10-01")
    matrix = _matrix(
        statuses={2: Status.APPROVED, 4: Status.AGREED_AD_REFERENDUM},
        history={2: [agreed, approved], 4: [before]},
    )
    assert [row[4] for row in _cells(matrix)[1:]] == [
        "",
        "2026-11-30: agreed ad referendum in round 1\n"
        "2026-12-12: approved at the meeting of 2026-12-12",
        "",
        "2026-10-01: agreed ad referendum",
    ]


def test_the_compile_job_passes_the_status_history_to_the_matrix() -> None:
    entry = StatusEntry(Status.AGREED_AD_REFERENDUM, 2, None, "2026-11-30")
    result = compile_job(
        "Matriz.docx",
        build(*BASE),
        [(f"{code}_Matriz.docx", data) for code, data in _proposals().items()],
        statuses={3: "agreed ad referendum"},
        history={3: [entry]},
    )
    rows = _cells(docx.Document(io.BytesIO(result.matrix)))
    assert rows[3][4] == "2026-11-30: agreed ad referendum in round 2"

"""`plenaria compile` and `plenaria check-proposal` (SPEC §7) as an operator runs them: a real
process, real files, exit codes 0 done, 1 refused (reasons on standard error), 2 usage. No
homeserver is needed."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest

from documents.tracked_changes import read_document
from tests.unit import hostile_docx
from tests.unit.docx_builder import build, dele, ins, p

ROOT = Path(__file__).resolve().parents[2]
AG, BR = "Antigua and Barbuda (AG)", "Brazil (BR)"
BASE = [
    "The Member States shall cooperate in disaster prevention.",
    "The General Secretariat will support the working group.",
    "Member States should share their experiences.",
]
ROSTER = """working_group: "Joint Working Group on Disaster Prevention and Response"
chairs: ["@chair:example.org"]
secretariat: ["@sec.ana:example.org"]
delegations:
  - code: AG
    name: Antigua & Barbuda
    focal_point: "@ag.fp:example.org"
  - code: BR
    focal_point: "@br.fp:example.org"
"""


def plenaria(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


# Should the workers of `python -m bot.cli.main` warn again that the preloaded main module was
# imported (`documents.preload` quiets it), `test_standard_error_holds_only_the_reasons` says so;
# the other tests read the reasons around it.
RUNPY_WARNING = (
    "RuntimeWarning: 'bot.cli.main' found in sys.modules after import of package 'bot.cli'"
)


def reasons(stderr: str) -> list[str]:
    """The lines of standard error, without the runpy warning."""
    return [line for line in stderr.splitlines() if RUNPY_WARNING not in line]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """The base `Matriz.docx`, two good proposals, one made without Track Changes."""
    written = {
        "Matriz.docx": build(*BASE),
        "AG_Matriz.docx": build(
            p(
                "The Member States ",
                dele("shall", author=AG),
                ins("should", author=AG),
                " cooperate in disaster prevention.",
            ),
            *BASE[1:],
        ),
        "BR_Matriz.docx": build(
            p(
                "The Member States ",
                dele("shall", author=BR),
                ins("will", author=BR),
                " cooperate in disaster prevention.",
            ),
            BASE[1],
            p("Member States should share their experiences", ins(" and lessons", author=BR), "."),
        ),
        "CA_Matriz.docx": build(BASE[0], "The Secretariat supports the group.", BASE[2]),
        "roster.yaml": ROSTER.encode(),
    }
    for name, data in written.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in written}


def test_compile_writes_the_revision_and_the_matrix(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = plenaria(
        "compile",
        files["Matriz.docx"],
        files["AG_Matriz.docx"],
        files["BR_Matriz.docx"],
        "-o",
        out,
        "--revision",
        "2",
        "--roster",
        files["roster.yaml"],
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Matriz_compilation.docx", "Matriz_rev2.docx"]
    lines = done.stdout.splitlines()
    assert lines[0] == "2 proposal(s); 2 paragraph(s) touched; 1 conflict(s); 0 new paragraph(s)"
    assert "AG Antigua & Barbuda: 1 change(s) in 1 paragraph(s), 1 in conflict" in lines
    assert "BR Brazil: 2 change(s) in 2 paragraph(s), 1 in conflict" in lines
    assert "paragraph 1: conflict between AG, BR" in lines
    assert lines[-1].startswith("written: ")
    assert reasons(done.stderr) == []

    revision = read_document((out / "Matriz_rev2.docx").read_bytes())
    assert revision.reject_view() == BASE
    assert revision.accept_view() == [
        "The Member States [shall / should (AG) / will (BR)] cooperate in disaster prevention.",
        BASE[1],
        "Member States should share their experiences and lessons (BR).",
    ]
    authors = {s.change.author for p in revision.paragraphs for s in p.segments if s.change}
    assert {"Antigua & Barbuda (AG)", "Brazil (BR)"} <= authors  # the roster's name, else ISO's
    matrix = docx.Document(io.BytesIO((out / "Matriz_compilation.docx").read_bytes()))
    assert len(matrix.tables[0].rows) == 1 + len(BASE)


def test_a_bad_proposal_among_good_ones_is_left_out(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = plenaria(
        "compile",
        files["Matriz.docx"],
        files["AG_Matriz.docx"],
        files["CA_Matriz.docx"],
        "-o",
        out,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("1 proposal(s);")
    (left_out,) = reasons(done.stderr)
    assert left_out.startswith("plenaria: left out CA_Matriz.docx: ")
    assert "contains no tracked changes" in left_out
    assert (out / "Matriz_rev1.docx").exists() and (out / "Matriz_compilation.docx").exists()


def test_only_bad_proposals_is_refused_with_the_reasons(
    files: dict[str, Path], tmp_path: Path
) -> None:
    wrong = tmp_path / "AG_Other.docx"
    wrong.write_bytes(files["AG_Matriz.docx"].read_bytes())
    out = tmp_path / "out"
    done = plenaria("compile", files["Matriz.docx"], files["CA_Matriz.docx"], wrong, "-o", out)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "No proposal could be compiled" in done.stderr
    assert "CA_Matriz.docx" in done.stderr and "contains no tracked changes" in done.stderr
    assert "AG_Other.docx" in done.stderr and "does not name the document" in done.stderr
    lines = reasons(done.stderr)
    assert len(lines) == 3  # the sentence, then one line per refused proposal (SPEC §7)
    assert all(line.startswith("plenaria: ") for line in lines)
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_check_proposal_accepted(files: dict[str, Path]) -> None:
    done = plenaria(
        "check-proposal",
        files["BR_Matriz.docx"],
        "--base",
        files["Matriz.docx"],
        "--delegation",
        "BR",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "BR_Matriz.docx: a proposal of BR",
        "2 change(s); paragraphs touched: 1, 3",
    ]


def test_check_proposal_refused_in_one_line(files: dict[str, Path]) -> None:
    done = plenaria("check-proposal", files["CA_Matriz.docx"], "--base", files["Matriz.docx"])
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = reasons(done.stderr)
    assert line.startswith("plenaria: ") and "contains no tracked changes" in line

    done = plenaria(
        "check-proposal",
        files["AG_Matriz.docx"],
        "--base",
        files["Matriz.docx"],
        "--delegation",
        "BR",
    )
    assert done.returncode == 1
    (line,) = reasons(done.stderr)
    assert "named for AG, but you speak for BR" in line


def test_a_hostile_file_is_refused_in_bounded_time(files: dict[str, Path], tmp_path: Path) -> None:
    bomb = tmp_path / "AG_Matriz.docx"
    bomb.write_bytes(hostile_docx.zip_bomb())
    started = time.monotonic()
    done = plenaria("check-proposal", bomb, "--base", files["Matriz.docx"], timeout=60)
    assert done.returncode == 1
    (line,) = reasons(done.stderr)
    assert line.startswith("plenaria: ") and "Traceback" not in done.stderr

    base_bomb = tmp_path / "Matriz.docx"
    base_bomb.write_bytes(hostile_docx.zip_bomb())
    done = plenaria(
        "compile", base_bomb, files["BR_Matriz.docx"], "-o", tmp_path / "out", timeout=60
    )
    assert done.returncode == 1
    (line,) = reasons(done.stderr)
    assert line.startswith("plenaria: ") and "Traceback" not in done.stderr
    assert time.monotonic() - started < 60


def test_an_unreadable_path_is_a_usage_error(files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "BR_Missing.docx"
    done = plenaria("compile", files["Matriz.docx"], missing, "-o", tmp_path / "out")
    assert done.returncode == 2
    assert f"cannot read {missing}" in done.stderr
    done = plenaria("check-proposal", files["AG_Matriz.docx"], "--base", tmp_path / "nowhere.docx")
    assert done.returncode == 2
    assert "cannot read" in done.stderr
    done = plenaria("compile", files["Matriz.docx"])  # no proposal, no output folder
    assert done.returncode == 2


def test_standard_error_holds_only_the_reasons(files: dict[str, Path]) -> None:
    done = plenaria("check-proposal", files["CA_Matriz.docx"], "--base", files["Matriz.docx"])
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1


def test_compile_into_a_folder_that_cannot_be_made_says_so_in_one_line(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """No CLI path prints a traceback (issue #10): the output folder lies under a plain file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = plenaria("compile", files["Matriz.docx"], files["AG_Matriz.docx"], "-o", blocker / "out")
    assert done.returncode == 1, done.stderr
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(f"plenaria: cannot write into {blocker / 'out'}:")
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"- a\n- b\n", "it has no list of delegations"),
        (b"delegations: 5\n", "it has no list of delegations"),
        (b"delegations: [unclosed\n", "it is not YAML text"),
        (b"\xff\xfe not text", "it is not YAML text"),
    ],
)
def test_a_roster_that_cannot_be_read_is_said_in_one_line_and_iso_names_are_used(
    files: dict[str, Path], tmp_path: Path, content: bytes, reason: str
) -> None:
    roster = tmp_path / "not-a-roster.yaml"
    roster.write_bytes(content)
    out = tmp_path / "out"
    done = plenaria(
        "compile", files["Matriz.docx"], files["AG_Matriz.docx"], "-o", out, "--roster", roster
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert reasons(done.stderr) == [f"plenaria: cannot read the roster {roster}: {reason}"]
    assert done.stdout.splitlines()[1].startswith("AG Antigua and Barbuda: "), done.stdout

"""The compiled files open in a real office suite (issue #4): LibreOffice, headless, converts the
revision and the compilation matrix to PDF without error; the revision's text carries every
delegation's tag, the joint one and the bracketed conflict; and LibreOffice reads the revision's
changes as tracked changes by the delegations.

Five proposals on a small base with a table, written as Word writes them (`docx_builder`), and one
made by python-redlines' Docxodus comparer: a conflict (AG and BR on "shall"), a joint change (BR
and CA), a new paragraph and a table cell (MX), a new table row (PE, which LibreOffice must read
as an inserted row: issue #14), an independent engine's markup (US).

LibreOffice must be installed (`make office`, which `make test` runs): without it these tests fail,
they never skip. Each session gets a fresh LibreOffice profile, so that no lock is shared with a
LibreOffice already running.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from lxml import etree
from python_redlines.engines import DocxodusEngine

from documents.compile import author_label
from documents.jobs import compile_job, output_names
from tests.unit.docx_builder import build, cell, dele, ins, p, row, table

# No stack (no `stacks` marker, `--stacks` changes nothing here): LibreOffice reads files the
# compiler wrote, with no homeserver and no database; slow, and database-indifferent.

BASE_NAME = "Plan.docx"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TIMEOUT = 120.0

TITLE = "Inter-American Plan of Action"
FIRST = "The Member States shall cooperate in the promotion of democratic values."
SECOND = "The General Secretariat will support the working group in its activities."
THIRD = "Member States should share their experiences and good practices."
CELLS = [["Action", "Responsible"], ["Train electoral officials", "Member States"]]
LAST = "The working group shall report to the Permanent Council every year."
NEW = "Member States may request technical assistance from the General Secretariat."
NEW_ROW = ["Share risk maps", "The Permanent Council"]


def _by(code: str) -> str:
    return author_label(code)


def _document(
    first: str = FIRST,
    second: list[str] | None = None,
    third: str = THIRD,
    cells: list[list[str]] | None = None,
    last: str = LAST,
) -> bytes:
    """The base, or a proposal on it: each argument plain text, or `Xml` with its changes."""
    return build(TITLE, first, *(second or [SECOND]), third, table(cells or CELLS), last)


def _plain_docx(paragraphs: list[str]) -> bytes:
    """An edited copy, for python-redlines: the base's text with US's edit, no markup."""
    document = docx.Document()
    for text in paragraphs[:4]:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(CELLS), cols=len(CELLS[0]))
    for i, cells in enumerate(CELLS):
        for j, text in enumerate(cells):
            grid.cell(i, j).text = text
    document.add_paragraph(paragraphs[4])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _proposals() -> list[tuple[str, bytes]]:
    ag, br, ca, mx = _by("AG"), _by("BR"), _by("CA"), _by("MX")
    proposals = {
        # A conflict: AG and BR change the same word differently.
        "AG": _document(
            first=p(
                "The Member States ",
                dele("shall", author=ag),
                ins("should", author=ag),
                " cooperate in the promotion of democratic values.",
            )
        ),
        # ... and BR makes a change that CA makes too: joint attribution.
        "BR": _document(
            first=p(
                "The Member States ",
                dele("shall", author=br),
                ins("will", author=br),
                " cooperate in the promotion of democratic values.",
            ),
            second=[
                p(
                    "The General Secretariat will ",
                    ins("fully ", author=br),
                    "support the working group in its activities.",
                )
            ],
        ),
        "CA": _document(
            second=[
                p(
                    "The General Secretariat will ",
                    ins("fully ", author=ca),
                    "support the working group in its activities.",
                )
            ],
            last=p(
                "The working group shall report to the Permanent Council every ",
                dele("year", author=ca),
                ins("two years", author=ca),
                ".",
            ),
        ),
        # A new paragraph, as Word writes Enter at a paragraph's end, and a table cell.
        "MX": _document(
            second=[p(SECOND, ins_mark=True, author=mx), p(ins(NEW, author=mx))],
            cells=[
                CELLS[0],
                [CELLS[1][0], cell(p("Member States", ins(" and the Secretariat", author=mx)))],
            ],
        ),
    }
    # A table row added, with Track Changes on (w:trPr/w:ins).
    pe = _by("PE")
    added = row(*(cell(p(ins(text, author=pe))) for text in NEW_ROW), row_ins=True)
    proposals["PE"] = _document(cells=[*CELLS, added])  # type: ignore[list-item]
    base = _document()
    edited = _plain_docx(
        [
            TITLE,
            FIRST,
            SECOND,
            THIRD.replace("experiences and", "experiences, lessons learned and"),
            LAST,
        ]
    )
    proposals["US"], _, _ = DocxodusEngine().run_redline(_by("US"), base, edited)
    return [(f"{code}_{BASE_NAME}", data) for code, data in proposals.items()]


# --- LibreOffice ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail(
            "LibreOffice is not installed (no `soffice` on PATH): the compiled documents must be "
            "opened by a real office suite. Run `make office` (as root; `make test` does it), "
            "which installs Debian's libreoffice-writer-nogui.",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh LibreOffice user profile for this session: no lock shared with another instance."""
    return tmp_path_factory.mktemp("libreoffice-profile")


def convert(soffice: str, profile: Path, target: str, files: list[Path], outdir: Path) -> None:
    command = [
        soffice,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        target,
        "--outdir",
        str(outdir),
        *(str(f) for f in files),
    ]
    # soffice starts soffice.bin as a child of its own: a session of its own, so that a timeout
    # ends them all.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"LibreOffice took more than {TIMEOUT:g} s to convert {files} to {target}")
    assert process.returncode == 0, f"soffice exited with {process.returncode}: {out}\n{err}"


@dataclass(frozen=True)
class Converted:
    revision: Path
    matrix: Path
    folder: Path

    def output(self, source: Path, suffix: str) -> Path:
        return self.folder / (source.stem + suffix)


@pytest.fixture(scope="module")
def converted(soffice: str, profile: Path, tmp_path_factory: pytest.TempPathFactory) -> Converted:
    folder = tmp_path_factory.mktemp("office")
    result = compile_job(BASE_NAME, _document(), _proposals(), now=NOW)
    assert result.refused == []
    revision_name, matrix_name = output_names(BASE_NAME, 1)
    revision, matrix = folder / revision_name, folder / matrix_name
    revision.write_bytes(result.revision)
    matrix.write_bytes(result.matrix)
    out = folder / "out"
    convert(soffice, profile, "pdf", [revision, matrix], out)
    convert(soffice, profile, "txt:Text (encoded):UTF8", [revision, matrix], out)
    convert(soffice, profile, "odt", [revision], out)
    return Converted(revision, matrix, out)


# --- the tests --------------------------------------------------------------------------------


def test_both_files_convert_to_pdf(converted: Converted) -> None:
    for source in (converted.revision, converted.matrix):
        pdf = converted.output(source, ".pdf")
        assert pdf.exists(), f"LibreOffice wrote no PDF for {source.name}"
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-")
        assert len(data) > 1000
        assert re.search(rb"/Type\s*/Page\b", data), f"{pdf.name} has no page"


def test_the_revision_text_carries_every_tag_and_the_conflict(converted: Converted) -> None:
    text = converted.output(converted.revision, ".txt").read_text("utf-8-sig")
    # LibreOffice's text export shows deleted and inserted text alike; the compiler's tags,
    # brackets and labels are insertions, so they are all there.
    for tag in ("(AG)", "(BR)", "(MX)", "(US)", "(BR, CA)", "(CA)"):
        assert tag in text, f"{tag} missing from the revision's text:\n{text}"
    assert "[shall / should (AG) / will (BR)]" in text, text
    assert f"3 bis. {NEW}" in text, text
    assert "lessons learned" in text


def test_the_matrix_text_names_every_delegation(converted: Converted) -> None:
    text = converted.output(converted.matrix, ".txt").read_text("utf-8-sig")
    for code in ("AG", "BR", "CA", "MX", "US"):
        assert f"{_by(code)}:" in text, f"{code} missing from the matrix:\n{text}"
    assert "open" in text


def test_libreoffice_reads_tracked_changes_by_each_delegation(converted: Converted) -> None:
    with zipfile.ZipFile(converted.output(converted.revision, ".odt")) as odt:
        content = odt.read("content.xml").decode("utf-8")
    regions = re.findall(r"<text:changed-region\b", content)
    authors = set(re.findall(r"<dc:creator>(.*?)</dc:creator>", content))
    assert len(regions) >= 8
    assert {_by(c) for c in ("AG", "BR", "CA", "MX", "US")} <= authors
    assert f"{_by('BR')}, {_by('CA')}" in authors


_ODF = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "loext": "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
}


def test_libreoffice_reads_the_new_table_row_as_an_inserted_row(converted: Converted) -> None:
    with zipfile.ZipFile(converted.output(converted.revision, ".odt")) as odt:
        content = etree.fromstring(odt.read("content.xml"))
    # LibreOffice marks a row tracked whole (inserted or deleted) in its row style.
    tracked_rows = {
        style.get(f"{{{_ODF['style']}}}name")
        for style in content.iterfind(".//style:style[@style:family='table-row']", _ODF)
        if style.find("style:table-row-properties[@loext:text-changes-only='false']", _ODF)
        is not None
    }
    rows = content.findall(".//table:table/table:table-row", _ODF)
    cells = [["".join(c.itertext()) for c in r.iterfind("table:table-cell", _ODF)] for r in rows]
    assert cells == [
        CELLS[0],
        ["Train electoral officials", "Member States and the Secretariat (MX)"],
        [NEW_ROW[0], f"{NEW_ROW[1]} (PE)"],
    ]
    assert [r.get(f"{{{_ODF['table']}}}style-name") in tracked_rows for r in rows] == [
        False,
        False,
        True,
    ]
    # ... and its text an insertion by the delegation.
    changes = {
        region.get(f"{{{_ODF['text']}}}id"): (
            etree.QName(region[0]).localname,
            region.findtext(".//dc:creator", namespaces=_ODF),
        )
        for region in content.iterfind(".//text:changed-region", _ODF)
    }
    in_row = [
        changes[start.get(f"{{{_ODF['text']}}}change-id")]
        for start in rows[2].iterfind(".//text:change-start", _ODF)
    ]
    assert ("insertion", _by("PE")) in in_row
    assert {kind for kind, _ in in_row} == {"insertion"}

"""The compilation matrix (SPEC §3): a `.docx` table, one row per paragraph of the base.

Columns: the paragraph's number, its original text, each delegation's proposal for it
(insertions underlined in blue, deletions struck through in red, each introduced by the
delegation's code), its status — open, agreed ad referendum, or approved — and the story of
that status (each status it took: in which round, at which meeting, when), as the shell passes it
in. New paragraphs a delegation proposes appear in the row of the paragraph they follow.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import docx
from docx.enum.section import WD_ORIENT
from docx.shared import Pt, RGBColor

from documents.compile import Submission, author_label
from documents.edits import Edit, Stream, base_stream, edits_of, home_paragraph
from documents.excerpts import marked_pieces, rows_of
from documents.lifecycles import ParagraphStatus as Status
from documents.lifecycles import StatusEntry
from documents.model import Document
from documents.proposals import numbering

__all__ = ["Status", "StatusEntry", "compilation_matrix", "marked_pieces", "rows_of"]

_INSERTED = RGBColor(0x1F, 0x4E, 0xB4)
_DELETED = RGBColor(0xB4, 0x1F, 0x1F)


def compilation_matrix(
    base: Document,
    submissions: Sequence[Submission],
    *,
    title: str,
    names: Mapping[str, str] | None = None,
    statuses: Mapping[int, Status] | None = None,
    history: Mapping[int, Sequence[StatusEntry]] | None = None,
) -> bytes:
    """`statuses` and `history` are keyed by paragraph number (a paragraph not in them is open,
    with no story yet)."""
    texts = base.accept_view()
    stream = base_stream(texts)
    numbers = numbering(texts)
    rows = [i for i, n in enumerate(numbers) if n is not None]
    row_of = rows_of(numbers)
    per_row: dict[int, list[tuple[str, list[Edit]]]] = {i: [] for i in rows}
    for submission in submissions:
        grouped: dict[int, list[Edit]] = {}
        edits = (
            list(submission.edits)
            if submission.edits is not None
            else edits_of(stream, submission.document)
        )
        for edit in edits:
            grouped.setdefault(row_of[home_paragraph(stream, edit)], []).append(edit)
        for row, edits in grouped.items():
            per_row.setdefault(row, []).append((submission.code, edits))

    document = docx.Document()
    document.styles["Normal"].font.size = Pt(9)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(title, level=1)
    headings = ("No.", "Original text", "Proposals", "Status", "Status history")
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(heading)
        run.bold = True
    for index in rows:
        cells = table.add_row().cells
        cells[0].text = str(numbers[index])
        cells[1].text = texts[index]
        proposals = per_row.get(index, [])
        target = cells[2].paragraphs[0]
        for k, (code, edits) in enumerate(proposals):
            paragraph = target if k == 0 else cells[2].add_paragraph()
            label = paragraph.add_run(f"{author_label(code, names)}: ")
            label.bold = True
            _write_marked_version(paragraph, stream, index, edits)
        number = numbers[index]
        status = (statuses or {}).get(number or 0, Status.OPEN)
        cells[3].text = status.value
        cells[4].text = "\n".join(e.describe() for e in (history or {}).get(number or 0, ()))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _write_marked_version(paragraph: object, stream: Stream, index: int, edits: list[Edit]) -> None:
    """The delegation's version of the row's paragraph(s), changes marked."""
    for text, kind in marked_pieces(stream, index, edits):
        run = paragraph.add_run(text)  # type: ignore[attr-defined]
        if kind == "inserted":
            run.font.underline = True
            run.font.color.rgb = _INSERTED
        elif kind == "deleted":
            run.font.strike = True
            run.font.color.rgb = _DELETED

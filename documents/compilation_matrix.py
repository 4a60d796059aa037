"""The compilation matrix (SPEC §3): a `.docx` table, one row per paragraph of the base.

Columns: the paragraph's number, its original text, each delegation's proposal for it
(insertions underlined in blue, deletions struck through in red, each introduced by the
delegation's code), its status — open, agreed ad referendum, or approved — and the story of
that status (each status it took: in which round, at which meeting, when), as the shell passes it
in. New paragraphs a delegation proposes appear in the row of the paragraph they follow.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.shared import Pt, RGBColor
from lxml import etree

from documents.compile import Submission, author_label
from documents.edits import Edit, base_stream, home_paragraph
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
        for edit in submission.edits_in(stream):
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
    # The rows are written as WordprocessingML directly, each a copy of one empty row:
    # python-docx's cells and run text (a character at a time) cost most of a compilation.
    template = table.add_row()._tr
    for index in rows:
        tr = copy.deepcopy(template)
        cells = [_first_paragraph(tc) for tc in tr.iterchildren(_W_TC)]
        _append_run(cells[0], str(numbers[index]))
        _append_run(cells[1], texts[index])
        proposals = per_row.get(index, [])
        for k, (code, edits) in enumerate(proposals):
            paragraph = cells[2] if k == 0 else _next_paragraph(cells[2], k)
            _append_run(paragraph, f"{author_label(code, names)}: ", "bold")
            for text, kind in marked_pieces(stream, index, edits):
                _append_run(paragraph, text, kind)
        number = numbers[index]
        status = (statuses or {}).get(number or 0, Status.OPEN)
        _append_run(cells[3], status.value)
        story = "\n".join(e.describe() for e in (history or {}).get(number or 0, ()))
        if story:
            _append_run(cells[4], story)
        template.addprevious(tr)
    table._tbl.remove(template)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_TC, _W_P = _W + "tc", _W + "p"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# What a piece of text looks like, as python-docx's `Font` writes it (in the schema's order).
_LOOKS: dict[str, tuple[tuple[str, dict[str, str]], ...]] = {
    "bold": (("b", {}),),
    "inserted": (("color", {"val": str(_INSERTED)}), ("u", {"val": "single"})),
    "deleted": (("strike", {}), ("color", {"val": str(_DELETED)})),
}
_BREAKS = re.compile(r"(\t|\r\n|\n|\r)")


def _first_paragraph(tc: Any) -> Any:
    return next(tc.iterchildren(_W_P))


def _next_paragraph(first: Any, k: int) -> Any:
    """The cell's paragraph after the `k`-th, added."""
    paragraph = etree.SubElement(first.getparent(), _W_P)
    return paragraph


def _append_run(paragraph: Any, text: str, kind: str = "same") -> None:
    """A run of `text` at the end of `paragraph`: tabs and line breaks as `w:tab` and `w:br`,
    as python-docx's `Run.text` writes them."""
    run = etree.SubElement(paragraph, _W + "r")
    looks = _LOOKS.get(kind)
    if looks:
        properties = etree.SubElement(run, _W + "rPr")
        for tag, attributes in looks:
            etree.SubElement(
                properties, _W + tag, {_W + key: value for key, value in attributes.items()}
            )
    for piece in _BREAKS.split(text):
        if not piece:
            continue
        if piece == "\t":
            etree.SubElement(run, _W + "tab")
        elif piece in ("\n", "\r", "\r\n"):
            etree.SubElement(run, _W + "br")
        else:
            t = etree.SubElement(run, _W + "t")
            t.text = piece
            if len(piece.strip()) < len(piece):
                t.set(_XML_SPACE, "preserve")

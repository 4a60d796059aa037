"""Issue #14, fidelity of the compiled revision: table rows inserted or deleted whole are rows of
the revision, tracked as such (`w:trPr/w:ins`, `w:trPr/w:del`); smart tags, simple fields and
run-level content controls (and hyperlinks) around changed text stay around it."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from documents.accept import accept_all
from documents.compile import author_label
from documents.edits import base_stream, edits_of
from documents.jobs import compile_job
from documents.model import SegmentState
from documents.tracked_changes import read_document
from documents.wordml import W
from tests.unit.docx_builder import (
    Xml,
    build,
    cell,
    dele,
    ins,
    p,
    r,
    row,
    sdt,
    simple_field,
    smart_tag,
    table,
)

CELLS = [["Action", "Responsible"], ["Train officials", "Member States"]]
NEW = ["Share risk maps", "The Permanent Council"]
INTRO, AFTER = "The Plan of Action.", "The Plan shall be reviewed."
AG, BR = author_label("AG"), author_label("BR")


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def added_row(author: str = AG, texts: list[str] = NEW) -> Xml:
    return row(*(cell(p(ins(text, author=author))) for text in texts), row_ins=True)


def _compiled(base: bytes, proposals: dict[str, bytes]) -> bytes:
    result = compile_job(
        "Plan.docx", base, [(f"{code}_Plan.docx", data) for code, data in proposals.items()]
    )
    assert not result.refused, result.refused
    return result.revision


def _body(data: bytes) -> etree._Element:
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    return root.find(_w("body"))


def _rows(data: bytes) -> list[tuple[list[str], list[str]]]:
    """Each table row: its tracked marks (`ins`, `del`) and its cells' text (deleted too)."""
    return [
        (
            [etree.QName(m).localname for m in tr.iterfind(f"{_w('trPr')}/*")],
            [
                "".join(t.text or "" for t in tc.iter(_w("t"), _w("delText")))
                for tc in tr.iterfind(_w("tc"))
            ],
        )
        for tr in _body(data).iter(_w("tr"))
    ]


def _of(code: str) -> object:
    return lambda c: c is not None and c.author is not None and f"({code})" in c.author


# --- reading the proposal -------------------------------------------------------------------


def test_the_reader_knows_the_row_inserted_and_its_table() -> None:
    proposal = read_document(build(INTRO, table([*CELLS, added_row()]), AFTER))
    new = [x for x in proposal.paragraphs if x.row is SegmentState.INSERTED]
    assert [x.accepted_text for x in new] == NEW
    assert {(x.row_level, x.tables, x.rows[0]) for x in new} == {(0, (1,), 3)}
    assert [x.container for x in new] == [5, 6]
    edits = edits_of(
        base_stream(read_document(build(INTRO, table(CELLS), AFTER)).accept_view()), proposal
    )
    assert len(edits) == 1 and edits[0].cells == (1, 1) and edits[0].is_insertion


def test_a_cell_inserted_alone_is_no_row() -> None:
    inserted = Xml(
        cell(p(ins("Partner", author=AG))).replace(
            "</w:tcPr>", '<w:cellIns w:id="90" w:author="AG"/></w:tcPr>'
        )
    )
    proposal = read_document(build(table([CELLS[0], [*CELLS[1], inserted]])))
    new = proposal.paragraphs[-1]
    assert new.row is SegmentState.INSERTED and new.row_level is None


def test_changed_text_in_smart_tags_simple_fields_and_content_controls_is_read() -> None:
    proposal = read_document(
        build(
            p(
                smart_tag(dele("Member", author=AG), ins("Associated", author=AG), " States"),
                " act on page ",
                simple_field("PAGE", ins("4", author=AG), dele("3", author=AG)),
                " of ",
                sdt("the ", dele("Plan", author=AG), ins("Programme", author=AG)),
            )
        )
    )
    (paragraph,) = proposal.paragraphs
    assert paragraph.accepted_text == "Associated States act on page 4 of the Programme"
    assert paragraph.rejected_text == "Member States act on page 3 of the Plan"


# --- compiling rows ---------------------------------------------------------------------------


def test_a_row_added_is_an_inserted_row_of_the_revision() -> None:
    base = build(INTRO, table(CELLS), AFTER)
    proposal = build(INTRO, table([*CELLS, added_row()]), AFTER)
    revision = _compiled(base, {"AG": proposal})

    assert _rows(revision) == [
        ([], CELLS[0]),
        ([], CELLS[1]),
        (["ins"], [NEW[0], f"{NEW[1]} (AG)"]),
    ]
    (mark,) = _body(revision).iter(_w("trPr"))
    assert mark[0].get(_w("author")) == AG
    read = read_document(revision)
    assert read.reject_view() == [INTRO, *CELLS[0], *CELLS[1], AFTER]
    assert read.view_accepting(_of("AG")) == read_document(proposal).accept_view()  # type: ignore[arg-type]
    new = [x for x in read.paragraphs if x.row is SegmentState.INSERTED]
    assert [x.container for x in new] == [5, 6]  # cells of their own, not the cell before
    assert all(x.mark is SegmentState.INSERTED for x in new)
    # Accept all: the row stays, plain.
    clean = accept_all(revision)
    assert _rows(clean) == [([], CELLS[0]), ([], CELLS[1]), ([], [NEW[0], f"{NEW[1]} (AG)"])]


def test_a_row_added_first_goes_before_the_first_row() -> None:
    base = build(INTRO, table(CELLS), AFTER)
    revision = _compiled(base, {"AG": build(INTRO, table([added_row(), *CELLS]), AFTER)})
    assert _rows(revision)[0] == (["ins"], [NEW[0], f"{NEW[1]} (AG)"])
    assert read_document(revision).paragraphs[0].accepted_text == INTRO


def test_the_same_row_from_two_delegations_is_one_and_two_rows_are_two() -> None:
    base = build(INTRO, table(CELLS), AFTER)
    same = {
        code: build(INTRO, table([*CELLS, added_row(author_label(code))]), AFTER)
        for code in ("AG", "BR")
    }
    assert [marks for marks, _ in _rows(_compiled(base, same))] == [[], [], ["ins"]]
    assert _rows(_compiled(base, same))[2][1] == [NEW[0], f"{NEW[1]} (AG, BR)"]
    other = build(INTRO, table([*CELLS, added_row(BR, ["Map risks", "Member States"])]), AFTER)
    rows = _rows(_compiled(base, {"AG": same["AG"], "BR": other}))
    assert rows[2:] == [
        (["ins"], [NEW[0], f"{NEW[1]} (AG)"]),
        (["ins"], ["Map risks", "Member States (BR)"]),
    ]


def test_a_row_deleted_is_a_deleted_row_of_the_revision() -> None:
    base = build(INTRO, table(CELLS), AFTER)
    gone = row(*(cell(p(dele(text, author=AG))) for text in CELLS[1]), row_del=True)
    revision = _compiled(base, {"AG": build(INTRO, table([CELLS[0], gone]), AFTER)})

    assert _rows(revision) == [([], CELLS[0]), (["del"], [f"{CELLS[1][0]} (AG)", CELLS[1][1]])]
    read = read_document(revision)
    assert read.reject_view() == [INTRO, *CELLS[0], *CELLS[1], AFTER]
    assert read.accept_view() == [INTRO, *CELLS[0], AFTER]  # "After" untouched: no stray tag
    assert _rows(accept_all(revision)) == [([], CELLS[0])]


# --- wrappers around changed text ---------------------------------------------------------------


def test_smart_tags_simple_fields_and_content_controls_stay_around_changed_text() -> None:
    def paragraph(
        *tagged: str | Xml, field: str | Xml = "3", control: tuple[str | Xml, ...] = ("the Plan",)
    ) -> Xml:
        return p(
            "The ",
            smart_tag(*tagged),
            " act on page ",
            simple_field("PAGE", r(field) if isinstance(field, str) else field),
            " of ",
            sdt(*control, tag="title"),
            ".",
        )

    base = build(paragraph("Member States"))
    proposal = build(
        paragraph(
            dele("Member", author=AG),
            ins("Associated", author=AG),
            " States",
            control=("the ", dele("Plan", author=AG), ins("Programme", author=AG)),
        )
    )
    revision = _compiled(base, {"AG": proposal})
    body = _body(revision)
    (tag,) = body.iter(_w("smartTag"))
    assert tag.get(_w("element")) == "place"
    assert [etree.QName(x).localname for x in tag] == ["del", "ins", "ins", "r"]
    assert "".join(tag.itertext()) == "MemberAssociated (AG) States"
    (field,) = body.iter(_w("fldSimple"))
    assert field.get(_w("instr")) == "PAGE" and "".join(field.itertext()) == "3"
    (control,) = body.iter(_w("sdt"))
    assert control.find(f"{_w('sdtPr')}/{_w('tag')}").get(_w("val")) == "title"
    content = control.find(_w("sdtContent"))
    assert "".join(content.itertext()) == "the PlanProgramme (AG)"
    assert [etree.QName(x).localname for x in content] == ["r", "del", "ins", "ins"]
    read = read_document(revision)
    assert read.reject_view() == ["The Member States act on page 3 of the Plan."]
    assert read.accept_view() == ["The Associated (AG) States act on page 3 of the Programme (AG)."]


def test_text_inserted_at_a_wrappers_edge_stays_outside_it() -> None:
    base = build(p("The ", smart_tag("Member States"), " act."))
    proposal = build(p("The ", ins("new ", author=AG), smart_tag("Member States"), " act."))
    body = _body(_compiled(base, {"AG": proposal}))
    (tag,) = body.iter(_w("smartTag"))
    assert "".join(tag.itertext()) == "Member States"
    assert tag.find(_w("ins")) is None
    assert [x.getparent().tag for x in body.iter(_w("ins"))] == [_w("p"), _w("p")]


def test_an_unchanged_paragraph_keeps_its_wrappers_as_they_are() -> None:
    kept = p("See ", simple_field("PAGE", r("3")), ".")
    base = build(kept, "The States shall act.")
    proposal = build(
        kept, p("The States ", dele("shall", author=AG), ins("should", author=AG), " act.")
    )
    assert len(list(_body(_compiled(base, {"AG": proposal})).iter(_w("fldSimple")))) == 1

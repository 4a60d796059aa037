"""The reader (`documents.tracked_changes`) on hand-written WordprocessingML, one construct at a
time, and a property: for random proposals, rejecting all changes gives the original text and
accepting them gives the new text."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from io import BytesIO

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.errors import DocumentRefused, RefusalCode
from documents.model import Document, Location, Paragraph, Segment, SegmentState, TrackedChange
from documents.paragraph_order import paragraph_elements
from documents.tracked_changes import read_document
from documents.wordml import W
from tests.unit.docx_builder import (
    AUTHOR,
    Xml,
    br,
    build,
    cell,
    comment_range,
    cr,
    custom_xml,
    dele,
    drawing,
    field,
    field_begin,
    field_end,
    field_separate,
    formatted,
    hyperlink,
    ins,
    instr,
    move_from,
    move_to,
    no_break_hyphen,
    p,
    ppr_change,
    r,
    range_marker,
    row,
    run_xml,
    sdt,
    simple_field,
    smart_tag,
    soft_hyphen,
    sym,
    tab,
    table,
    text_box,
)

UNCHANGED, INSERTED, DELETED = SegmentState.UNCHANGED, SegmentState.INSERTED, SegmentState.DELETED
WHEN = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
AG = TrackedChange(author=AUTHOR, date=WHEN)
BR = "Brazil (BR)"


def read(*blocks: str, **kwargs: dict[int, str]) -> Document:
    return read_document(build(*blocks, **kwargs))


def texts(document: Document) -> list[str]:
    return [paragraph.accepted_text for paragraph in document.paragraphs]


def states(paragraph: Paragraph) -> list[tuple[str, SegmentState]]:
    return [(s.text, s.state) for s in paragraph.segments]


# --- runs, insertions, deletions --------------------------------------------------------------


def test_insertion_and_deletion_with_author_and_date() -> None:
    document = read(
        p("The States ", dele("shall"), ins("should", author=BR, date="2024-05-02T08:30:00-04:00"))
    )
    (paragraph,) = document.paragraphs
    assert paragraph.segments == (
        Segment("The States "),
        Segment("shall", DELETED, AG),
        Segment(
            "should",
            INSERTED,
            TrackedChange(author=BR, date=datetime.fromisoformat("2024-05-02T08:30:00-04:00")),
        ),
    )
    assert paragraph.segments[2].change is not None
    assert paragraph.segments[2].change.date is not None
    assert paragraph.segments[2].change.date.utcoffset() is not None
    assert paragraph.mark is UNCHANGED and paragraph.location is Location.BODY
    assert document.has_changes
    assert document.accept_view() == ["The States should"]
    assert document.reject_view() == ["The States shall"]


def test_missing_author_and_date_and_a_date_without_zone() -> None:
    document = read(p(ins("a", author=None, date=None), dele("b", date="2024-05-01T10:00:00")))
    first, second = document.paragraphs[0].segments
    assert first.change == TrackedChange(author=None, date=None)
    assert second.change == TrackedChange(author=AUTHOR, date=datetime(2024, 5, 1, 10, 0))
    assert second.change.date is not None and second.change.date.tzinfo is None


def test_consecutive_segments_of_the_same_change_are_merged() -> None:
    date = "2024-05-01T10:00:00Z"
    document = read(
        p(
            r("Un"),
            r("changed "),
            ins(r("in"), r("serted ")),
            ins("more ", date=date),
            ins("other author", author=BR),
            dele("gone"),
        )
    )
    assert states(document.paragraphs[0]) == [
        ("Unchanged ", UNCHANGED),
        ("inserted more ", INSERTED),
        ("other author", INSERTED),
        ("gone", DELETED),
    ]
    assert document.paragraphs[0].segments[2].change == TrackedChange(author=BR, date=WHEN)


def test_text_inserted_then_deleted_is_in_neither_view() -> None:
    document = read(
        p("Keep ", ins("added ", dele("then removed", author=BR)), "end"),
        p("Also ", dele(ins("nested the other way", author=BR)), "end"),
    )
    assert document.accept_view() == ["Keep added end", "Also end"]
    assert document.reject_view() == ["Keep end", "Also end"]
    assert any("inserted and then deleted" in note for note in document.notes)


def test_a_change_holding_only_a_drawing_is_still_a_change() -> None:
    document = read(p("Figure ", ins(drawing())), p("Plain ", drawing()))
    inserted, plain = document.paragraphs
    assert inserted.segments == (Segment("Figure "), Segment("", INSERTED, AG))
    assert inserted.has_changes
    assert plain.segments == (Segment("Plain "),) and not plain.has_changes


# --- paragraph marks --------------------------------------------------------------------------


def test_whole_inserted_paragraph_as_word_writes_it() -> None:
    # Enter at the end of "A" inserts the mark that now ends "A"; the new text follows.
    document = read(p("A", ins_mark=True), p(ins("New paragraph.")), p("B"))
    first, new, _ = document.paragraphs
    assert first.mark is INSERTED and first.mark_change == AG
    assert states(new) == [("New paragraph.", INSERTED)] and new.mark is UNCHANGED
    assert document.accept_view() == ["A", "New paragraph.", "B"]
    assert document.reject_view() == ["A", "B"]


def test_whole_inserted_paragraph_with_its_own_mark_inserted() -> None:
    # As comparers write it, the last paragraph of the body included.
    document = read(p("A"), p(ins("New"), ins_mark=True), p("B"), p(ins("Last"), ins_mark=True))
    assert document.accept_view() == ["A", "New", "B", "Last"]
    assert document.reject_view() == ["A", "B"]


def test_whole_deleted_paragraph() -> None:
    document = read(p("A"), p(dele("Old paragraph."), del_mark=True), p("B"))
    deleted = document.paragraphs[1]
    assert deleted.mark is DELETED and deleted.mark_change == AG
    assert states(deleted) == [("Old paragraph.", DELETED)]
    assert document.accept_view() == ["A", "B"]
    assert document.reject_view() == ["A", "Old paragraph.", "B"]


def test_two_paragraphs_merged() -> None:
    document = read(
        p("First half", dele("."), del_mark=True), p(dele("S"), ins("s"), "econd half.")
    )
    assert document.accept_view() == ["First halfsecond half."]
    assert document.reject_view() == ["First half.", "Second half."]


def test_a_paragraph_split_in_two() -> None:
    document = read(p("One sentence.", ins_mark=True), p(ins(""), "Another sentence."))
    assert document.accept_view() == ["One sentence.", "Another sentence."]
    assert document.reject_view() == ["One sentence.Another sentence."]


def test_several_deleted_marks_in_a_row() -> None:
    document = read(
        p("A", del_mark=True), p(dele("B"), del_mark=True), p(dele("C"), del_mark=True), p("D")
    )
    assert document.accept_view() == ["AD"]
    assert document.reject_view() == ["A", "B", "C", "D"]


def test_mark_inserted_then_deleted_is_in_neither_view() -> None:
    mark = (
        f'<w:rPr><w:ins w:id="901" w:author="{AUTHOR}"/><w:del w:id="902" w:author="BR"/></w:rPr>'
    )
    split_and_joined = f"<w:p><w:pPr>{mark}</w:pPr><w:r><w:t>Left</w:t></w:r></w:p>"
    document = read(Xml(split_and_joined), p("Right"))
    (paragraph, _) = document.paragraphs
    assert paragraph.mark is DELETED
    assert paragraph.mark_change == TrackedChange(author="BR")
    assert paragraph.mark_insertion == TrackedChange(author=AUTHOR)
    assert document.accept_view() == ["LeftRight"]
    assert document.reject_view() == ["LeftRight"]


def test_deleted_mark_does_not_join_across_a_table() -> None:
    document = read(p("Before", del_mark=True), table([["cell"]]), p(dele("Gone"), del_mark=True))
    assert document.accept_view() == ["Before", "cell"]
    assert document.reject_view() == ["Before", "cell", "Gone"]


# --- moves ------------------------------------------------------------------------------------


def test_a_moved_paragraph() -> None:
    moved = TrackedChange(author=AUTHOR, date=WHEN, moved=True)
    document = read(
        p("A"),
        p(move_from("Moved text."), mark="moveFrom"),
        p("B"),
        p(move_to("Moved text."), mark="moveTo"),
        p("C"),
    )
    origin, destination = document.paragraphs[1], document.paragraphs[3]
    assert origin.segments == (Segment("Moved text.", DELETED, moved),)
    assert origin.mark is DELETED and origin.mark_change == moved
    assert destination.segments == (Segment("Moved text.", INSERTED, moved),)
    assert destination.mark is INSERTED and destination.mark_change == moved
    assert document.accept_view() == ["A", "B", "Moved text.", "C"]
    assert document.reject_view() == ["A", "Moved text.", "B", "C"]


def test_words_moved_within_a_paragraph() -> None:
    document = read(p("Members ", move_from("shall "), "cooperate ", move_to("shall "), "fully."))
    (paragraph,) = document.paragraphs
    assert [(s.text, s.state, s.change and s.change.moved) for s in paragraph.segments] == [
        ("Members ", UNCHANGED, None),
        ("shall ", DELETED, True),
        ("cooperate ", UNCHANGED, None),
        ("shall ", INSERTED, True),
        ("fully.", UNCHANGED, None),
    ]
    assert document.accept_view() == ["Members cooperate shall fully."]
    assert document.reject_view() == ["Members shall cooperate fully."]


def test_text_inside_a_move_range_without_a_wrapper_moved_too() -> None:
    document = read(
        p("A"),
        range_marker("moveFromRangeStart", 77),
        p("Whole paragraph in the range."),
        range_marker("moveFromRangeEnd", 77),
        p(
            "B",
            range_marker("moveToRangeStart", 78),
            " moved here",
            range_marker("moveToRangeEnd", 78),
        ),
    )
    inside = document.paragraphs[1]
    assert inside.segments[0].state is DELETED and inside.segments[0].change is not None
    assert inside.segments[0].change.moved
    assert inside.mark is DELETED  # the whole paragraph lies in the range
    assert states(document.paragraphs[2]) == [("B", UNCHANGED), (" moved here", INSERTED)]
    assert document.paragraphs[2].mark is UNCHANGED  # the range started inside it
    assert document.accept_view() == ["A", "B moved here"]
    assert document.reject_view() == ["A", "Whole paragraph in the range.", "B"]


# --- tables -----------------------------------------------------------------------------------


def test_table_cells_in_document_order() -> None:
    document = read(
        p("Before"),
        table([["r1c1", cell(p("r1c2 a"), p("r1c2 b"))], ["r2c1", "r2c2"]]),
        p("After"),
    )
    assert texts(document) == ["Before", "r1c1", "r1c2 a", "r1c2 b", "r2c1", "r2c2", "After"]
    locations = [x.location for x in document.paragraphs]
    assert locations == [Location.BODY] + [Location.TABLE] * 5 + [Location.BODY]
    containers = [x.container for x in document.paragraphs]
    assert containers[0] == containers[-1] == 0
    assert containers[2] == containers[3] and len(set(containers[1:6])) == 4


def test_nested_table() -> None:
    inner = table([["inner 1", "inner 2"]])
    document = read(table([[cell(p("outer a"), inner, p("outer b")), "outer c"]]), p("After"))
    assert texts(document) == ["outer a", "inner 1", "inner 2", "outer b", "outer c", "After"]
    assert all(x.location is Location.TABLE for x in document.paragraphs[:5])
    assert document.paragraphs[0].container == document.paragraphs[3].container


def test_changes_in_cells_and_a_deleted_mark_at_a_cell_end_stays_in_its_cell() -> None:
    document = read(
        table(
            [
                [cell(p("Cell ", ins("one")), p("second", del_mark=True)), "two"],
            ]
        )
    )
    assert document.accept_view() == ["Cell one", "second", "two"]
    assert document.reject_view() == ["Cell ", "second", "two"]


def test_inserted_and_deleted_rows() -> None:
    document = read(
        table(
            [
                ["1", "2"],
                row(cell(p(ins("new a"), ins_mark=True)), cell(p(ins("new b"))), row_ins=True),
                row(cell(p(dele("old a"))), cell(p(dele("old b"), del_mark=True)), row_del=True),
                ["3", "4"],
            ]
        )
    )
    inserted_row = document.paragraphs[2]
    assert inserted_row.row is INSERTED and inserted_row.row_change == AG
    assert document.paragraphs[4].row is DELETED
    assert document.accept_view() == ["1", "2", "new a", "new b", "3", "4"]
    assert document.reject_view() == ["1", "2", "old a", "old b", "3", "4"]


def test_a_deleted_row_takes_its_nested_table_with_it() -> None:
    nested = table([["nested"]])
    document = read(table([["keep"], row(cell(nested, p()), row_del=True)]))
    assert document.paragraphs[1].row is DELETED
    assert document.accept_view() == ["keep"]
    assert document.reject_view() == ["keep", "nested", ""]


def test_a_cell_emptied_by_a_view_keeps_one_empty_paragraph() -> None:
    # As WmlComparer writes a cell of a table it inserted without marking its rows.
    document = read(table([[cell(p(ins("new"), ins_mark=True)), "old"]]))
    assert document.accept_view() == ["new", "old"]
    assert document.reject_view() == ["", "old"]


def test_inserted_and_deleted_cells() -> None:
    document = read(table([[cell("old", cell_del=True), cell("new", cell_ins=True), "kept"]]))
    assert document.accept_view() == ["new", "kept"]
    assert document.reject_view() == ["old", "kept"]


# --- fields -----------------------------------------------------------------------------------


def test_complex_field_keeps_the_result_not_the_code() -> None:
    document = read(p("Page ", field("PAGE", "3"), " of ", field("NUMPAGES \\* MERGEFORMAT", "9")))
    assert document.paragraphs[0].segments == (Segment("Page 3 of 9"),)


def test_simple_field_keeps_its_result() -> None:
    document = read(p("See ", simple_field("REF _Ref1 \\h", "section 2"), "."))
    assert texts(document) == ["See section 2."]


def test_nested_field_in_the_code_and_in_the_result() -> None:
    in_code = field(instr("IF ") + field("MERGEFIELD Name", "«Name»") + instr(' = "" "x" "y"'), "y")
    in_result = field("QUOTE", "Date: ", field("DATE", "1 May 2024"), ".")
    document = read(p("[", in_code, "] [", in_result, "]"))
    assert texts(document) == ["[y] [Date: 1 May 2024.]"]


def test_a_field_spanning_paragraphs() -> None:
    # A table of contents: begin and code in the first paragraph, end in the last.
    document = read(
        p(field_begin(), instr('TOC \\o "1-3"'), field_separate(), "1. Scope\t1"),
        p("2. Definitions\t2", field_end()),
        p("Text"),
    )
    assert texts(document) == ["1. Scope\t1", "2. Definitions\t2", "Text"]
    assert not document.notes


def test_inserted_field_and_deleted_field_code() -> None:
    inserted = ins(field("PAGE", "4"), author=BR)
    deleted_code = dele(
        run_xml('<w:fldChar w:fldCharType="begin"/>'),
        instr("SEQ Table", deleted=True),
        run_xml('<w:fldChar w:fldCharType="separate"/>'),
        "7",
        run_xml('<w:fldChar w:fldCharType="end"/>'),
    )
    document = read(p("Page ", inserted, " table ", deleted_code))
    assert states(document.paragraphs[0]) == [
        ("Page ", UNCHANGED),
        ("4", INSERTED),
        (" table ", UNCHANGED),
        ("7", DELETED),
    ]


def test_an_unclosed_field_is_noted() -> None:
    document = read(p("Start ", field_begin(), instr("PAGE"), "1"))
    assert texts(document) == ["Start "]
    assert any("field" in note for note in document.notes)


# --- wrappers: hyperlinks, content controls, smart tags, custom XML ---------------------------


def test_hyperlinks_with_changes_inside_and_around() -> None:
    document = read(
        p("See ", hyperlink("the ", dele("old"), ins("new"), " site"), ins(hyperlink(" link")))
    )
    assert states(document.paragraphs[0]) == [
        ("See the ", UNCHANGED),
        ("old", DELETED),
        ("new", INSERTED),
        (" site", UNCHANGED),
        (" link", INSERTED),
    ]


def test_block_content_control() -> None:
    document = read(
        p("Before"), sdt(p("In control"), p("Also ", ins("in")), block=True), p("After")
    )
    assert texts(document) == ["Before", "In control", "Also in", "After"]
    locations = [x.location for x in document.paragraphs]
    assert locations == [
        Location.BODY,
        Location.CONTENT_CONTROL,
        Location.CONTENT_CONTROL,
        Location.BODY,
    ]
    assert document.reject_view() == ["Before", "In control", "Also ", "After"]


def test_content_control_around_a_table_row_and_a_cell() -> None:
    document = read(
        table([sdt(row(cell("row in control"))), [sdt(cell("cell in control")), "plain"]])
    )
    assert texts(document) == ["row in control", "cell in control", "plain"]
    assert all(x.location is Location.TABLE for x in document.paragraphs)


def test_table_in_a_content_control() -> None:
    document = read(sdt(p("Title"), table([["in table"]]), block=True))
    assert [x.location for x in document.paragraphs] == [Location.CONTENT_CONTROL, Location.TABLE]


def test_run_level_content_control() -> None:
    document = read(p("Name: ", sdt("Antigua", dele(" and Barbuda")), "."))
    (paragraph,) = document.paragraphs
    assert paragraph.location is Location.BODY
    assert states(paragraph) == [
        ("Name: Antigua", UNCHANGED),
        (" and Barbuda", DELETED),
        (".", UNCHANGED),
    ]


def test_smart_tags() -> None:
    document = read(p("Meeting in ", smart_tag("Washington", ins(", D.C.")), " today."))
    assert states(document.paragraphs[0]) == [
        ("Meeting in Washington", UNCHANGED),
        (", D.C.", INSERTED),
        (" today.", UNCHANGED),
    ]


def test_custom_xml_block_and_inline() -> None:
    document = read(custom_xml(p("Clause ", custom_xml(dele("one"))), "Clause two", block=True))
    assert texts(document) == ["Clause ", "Clause two"]
    assert document.reject_view() == ["Clause one", "Clause two"]
    assert document.paragraphs[0].location is Location.BODY


# --- comments, special characters, formatting, what is not read -------------------------------


def test_comments_are_counted_and_not_text() -> None:
    document = read(
        p("The ", comment_range(1, "States"), " shall ", comment_range(2, ins("fully ")), "act."),
        comments={1: "Which States?", 2: "Agreed."},
    )
    assert document.comments == 2
    assert texts(document) == ["The States shall fully act."]
    assert document.reject_view() == ["The States shall act."]


def test_tabs_breaks_and_special_characters() -> None:
    document = read(
        p(
            "a",
            tab(),
            "b",
            br(),
            "c",
            cr(),
            "d",
            br("page"),
            "e",
            no_break_hyphen(),
            "f",
            soft_hyphen(),
            "g",
            sym("2211"),
        ),
        p(dele("x\ty")),
    )
    assert texts(document)[0] == "a\tb\nc\nd\ne-f\u00adg\u2211"
    assert document.reject_view()[1] == "x\ty"


def test_white_space_only_runs_are_kept() -> None:
    document = read(p("a", r(" "), "b", dele("  ")), p(r("  ")))
    assert document.reject_view() == ["a b  ", "  "]
    assert document.accept_view() == ["a b", "  "]


def test_symbol_font_private_use_code_point_is_kept() -> None:
    document = read(p(sym("F0E0", font="Wingdings"), sym("zz")))
    assert texts(document) == ["\uf0e0"]


def test_formatting_only_changes_are_counted_not_text() -> None:
    document = read(p("Plain ", formatted("bold"), ppr=ppr_change()), p("Other"))
    paragraph = document.paragraphs[0]
    assert paragraph.formatting_changes == 2
    assert states(paragraph) == [("Plain bold", UNCHANGED)]
    assert not paragraph.has_changes and not document.has_changes
    assert document.accept_view() == document.reject_view() == ["Plain bold", "Other"]


def test_style_is_read() -> None:
    document = read(p("Title", style="Heading1"), p("Body"))
    assert [x.style for x in document.paragraphs] == ["Heading1", None]


def test_text_boxes_are_skipped_and_noted() -> None:
    document = read(p("Main ", text_box(p("boxed"), p("also boxed")), "text"), p("Next"))
    assert texts(document) == ["Main text", "Next"]
    assert "1 text box not read." in document.notes


def test_footnote_references_carry_no_text_and_are_noted() -> None:
    reference = run_xml(
        '<w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="1"/>'
    )
    document = read(p("Text", reference, " goes on."))
    assert texts(document) == ["Text goes on."]
    assert "Footnotes and endnotes not read." in document.notes


# --- order, whole documents, refusals ---------------------------------------------------------


def test_paragraph_elements_are_the_documents_paragraphs_in_order() -> None:
    data = build(
        p("1"),
        table([[cell(p("2"), table([["3", "4"]]), p("5")), sdt(cell("6"))]]),
        sdt(p("7"), custom_xml(p("8"), block=True), block=True),
        p("9", text_box(p("not a paragraph of the document"))),
        p("10"),
    )
    document = read_document(data)
    body = docx.Document(BytesIO(data)).element.body
    elements = paragraph_elements(body)
    assert texts(document) == [str(i) for i in range(1, 11)]
    assert len(elements) == len(document.paragraphs)
    for element, paragraph in zip(elements, document.paragraphs, strict=True):
        own_text = "".join(
            t.text for t in element.iter(f"{{{W}}}t") if not _in_text_box(t, element)
        )
        assert own_text == paragraph.accepted_text


def _in_text_box(node: object, paragraph: object) -> bool:
    current = getattr(node, "getparent")()  # noqa: B009 - lxml, untyped
    while current is not None and current is not paragraph:
        if current.tag == f"{{{W}}}txbxContent":
            return True
        current = current.getparent()
    return False


def test_a_document_made_by_python_docx_has_no_changes() -> None:
    made = docx.Document()
    made.add_heading("Plan", level=1)
    made.add_paragraph("First paragraph, with ").add_run("bold").bold = True
    grid = made.add_table(rows=2, cols=2)
    for i, c in enumerate(grid._cells):
        c.text = f"cell {i}"
    made.add_paragraph("Last.")
    out = BytesIO()
    made.save(out)
    document = read_document(out.getvalue())
    expected = [
        "Plan",
        "First paragraph, with bold",
        "cell 0",
        "cell 1",
        "cell 2",
        "cell 3",
        "Last.",
    ]
    assert not document.has_changes
    assert document.accept_view() == document.reject_view() == expected
    assert document.paragraphs[0].style == "Heading1"
    assert document.comments == 0 and document.notes == ()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", RefusalCode.NOT_ZIP),
        (b"not a zip at all", RefusalCode.NOT_ZIP),
        (b"PK\x03\x04truncated", RefusalCode.NOT_ZIP),
    ],
)
def test_not_a_package_is_refused(data: bytes, code: RefusalCode) -> None:
    with pytest.raises(DocumentRefused) as refused:
        read_document(data)
    assert refused.value.code is code
    assert refused.value.reason


def _replace_entry(data: bytes, name: str, content: bytes | None) -> bytes:
    source = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename == name:
                if content is not None:
                    target.writestr(item, content)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def test_a_package_without_its_document_is_refused() -> None:
    data = _replace_entry(build(p("x")), "word/document.xml", None)
    with pytest.raises(DocumentRefused) as refused:
        read_document(data)
    assert refused.value.code is RefusalCode.NOT_DOCX


@pytest.mark.parametrize(
    ("find", "replace"),
    [
        # python-docx raises an AttributeError on a relationships part with another root…
        (b"Relationships", b"Relations"),
        # …and a TypeError on a relationship without a target.
        (b' Target="styles.xml"', b""),
    ],
)
def test_a_part_python_docx_cannot_open_is_refused_as_damaged(find: bytes, replace: bytes) -> None:
    # Whatever python-docx raises while it opens the file is the file's doing, not a fault of
    # the engine (which `parsing_child` would report as an internal error).
    document = build(p("x"))
    rels = zipfile.ZipFile(BytesIO(document)).read("word/_rels/document.xml.rels")
    assert find in rels
    data = _replace_entry(document, "word/_rels/document.xml.rels", rels.replace(find, replace))
    with pytest.raises(DocumentRefused) as refused:
        read_document(data)
    assert refused.value.code is RefusalCode.CORRUPT


def test_malformed_xml_is_refused() -> None:
    data = _replace_entry(build(p("x")), "word/document.xml", b"<w:document><w:body><w:p>")
    with pytest.raises(DocumentRefused) as refused:
        read_document(data)
    assert refused.value.code is RefusalCode.CORRUPT


# --- the property -----------------------------------------------------------------------------

_text = st.text(alphabet="ab <&>\"'\t\n\u00e9", min_size=1, max_size=6)
_segment = st.tuples(st.sampled_from([UNCHANGED, INSERTED, DELETED]), _text)
# A paragraph: its segments and the state of its mark.
_paragraph = st.tuples(
    st.lists(_segment, max_size=4), st.sampled_from([UNCHANGED, UNCHANGED, INSERTED, DELETED])
)
_flow = st.lists(_paragraph, min_size=1, max_size=5)
Flow = list[tuple[list[tuple[SegmentState, str]], SegmentState]]


def _paragraph_xml(segments: list[tuple[SegmentState, str]], mark: SegmentState) -> Xml:
    content = [
        text if state is UNCHANGED else ins(text) if state is INSERTED else dele(text)
        for state, text in segments
    ]
    return p(*content, ins_mark=mark is INSERTED, del_mark=mark is DELETED)


def _expected(flow: Flow, *, accept: bool) -> list[str]:
    """The text as a stream, cut at the marks that exist in this view. The last mark of a flow
    (the end of the body or of a cell) is never tracked, as in Word."""
    gone = DELETED if accept else INSERTED
    out: list[str] = []
    current = ""
    for segments, mark in flow:
        current += "".join(text for state, text in segments if state is not gone)
        if mark is not gone:
            out.append(current)
            current = ""
    return out


def _normalised(flow: Flow) -> Flow:
    return [*flow[:-1], (flow[-1][0], UNCHANGED)]


@settings(max_examples=60, deadline=None)
@given(
    before=_flow, cells=st.lists(st.lists(_flow, min_size=1, max_size=2), max_size=2), after=_flow
)
def test_reject_gives_the_original_and_accept_the_new_text(
    before: Flow, cells: list[list[Flow]], after: Flow
) -> None:
    flows = [_normalised(before)]
    blocks = [_paragraph_xml(*x) for x in flows[0]]
    if cells:
        rows = []
        for cells_of_row in cells:
            row_cells = []
            for flow in cells_of_row:
                flows.append(_normalised(flow))
                row_cells.append(cell(*(_paragraph_xml(*x) for x in flows[-1])))
            rows.append(row(*row_cells))
        blocks.append(table(rows))
    flows.append(_normalised(after))
    blocks += [_paragraph_xml(*x) for x in flows[-1]]

    document = read_document(build(*blocks))

    assert document.reject_view() == [t for f in flows for t in _expected(f, accept=False)]
    assert document.accept_view() == [t for f in flows for t in _expected(f, accept=True)]

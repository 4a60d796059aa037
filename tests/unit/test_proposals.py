"""The proposal check of SPEC §3 (`documents.proposals`): the file's name, its tracked changes,
and whether rejecting them gives the base back — with a reason a delegate understands when not,
and a report (changes, paragraphs touched) when it does."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from documents.errors import DocumentRefused, RefusalCode
from documents.model import Document
from documents.proposals import (
    NoProposalsYet,
    NotPublished,
    WhichBase,
    check_proposal,
    delegation_of,
    expected_name,
    numbering,
    proposed_base,
    read_base,
    select_base,
    standing,
    supersedes,
)
from tests.unit import hostile_docx
from tests.unit.docx_builder import build, dele, ins, p
from tests.unit.engine_words import assert_worded

AG, BR = "Antigua and Barbuda (AG)", "Brazil (BR)"
BASE_NAME = "Matriz.docx"
BASE = [
    "The Member States shall cooperate in disaster prevention.",
    "The General Secretariat will support the working group.",
    "Member States should share their experiences.",
    "This paragraph is about risk.",
    "The working group shall report every year.",
    "The Plan shall be reviewed after five years.",
]


@pytest.fixture(scope="module")
def base() -> Document:
    return read_base(build(*BASE))


def a_proposal(author: str = AG) -> bytes:
    """A proposal with one change in paragraph 1 and one in paragraph 5."""
    return build(
        p(
            "The Member States ",
            dele("shall", author=author),
            ins("should", author=author),
            " cooperate in disaster prevention.",
        ),
        *BASE[1:4],
        p(
            "The working group shall report every ",
            ins("two ", author=author),
            "year",
            ins("s", author=author),
            ".",
        ),
        BASE[5],
    )


def refusal(
    base: Document, file_name: str, data: bytes, delegation: str | None = "AG"
) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as refused:
        check_proposal(base, BASE_NAME, data, file_name, delegation)
    assert_worded(refused.value)
    return refused.value


# --- names ------------------------------------------------------------------------------------


def test_names() -> None:
    assert expected_name("ag", BASE_NAME) == "AG_Matriz.docx"
    assert delegation_of("AG_Matriz.docx") == "AG"
    assert delegation_of("br_Matriz.docx") == "BR"
    assert delegation_of("Matriz.docx") is None
    assert delegation_of("XX_Matriz.docx") is None  # not an ISO 3166 code
    assert delegation_of("AGO_Matriz.docx") is None  # alpha-3, not alpha-2
    assert delegation_of("AG_") is None


@pytest.mark.parametrize(
    ("file_name", "code", "says"),
    [
        ("Matriz.docx", RefusalCode.WRONG_NAME, "does not start with an ISO 3166 country code"),
        ("XX_Matriz.docx", RefusalCode.WRONG_NAME, "does not start with an ISO 3166 country code"),
        ("AG_Matriz.pdf", RefusalCode.WRONG_NAME, "is not a Word document"),
        ("AG_Matriz.doc", RefusalCode.WRONG_NAME, "is not a Word document"),
        ("AG_Other.docx", RefusalCode.WRONG_NAME, "does not name the document “Matriz.docx”"),
        ("BR_Matriz.docx", RefusalCode.WRONG_DELEGATION, "named for BR, but you speak for AG"),
    ],
)
def test_a_wrong_name_is_refused_with_the_name_to_use(
    base: Document, file_name: str, code: RefusalCode, says: str
) -> None:
    refused = refusal(base, file_name, a_proposal())
    assert refused.code is code
    assert says in refused.reason
    assert "AG_Matriz.docx" in refused.reason
    assert "\n" not in refused.reason and "Traceback" not in refused.reason


def test_the_name_is_checked_before_the_file_is_read(base: Document) -> None:
    # A wrong name is answered without opening the file, even a hostile one.
    refused = refusal(base, "Matriz.docx", hostile_docx.zip_bomb(64))
    assert refused.code is RefusalCode.WRONG_NAME


def test_without_a_delegation_any_delegations_name_passes(base: Document) -> None:
    report = check_proposal(base, BASE_NAME, a_proposal(BR), "BR_Matriz.docx")
    assert report.delegation == "BR"


# --- contents ---------------------------------------------------------------------------------


def test_a_file_without_tracked_changes_is_refused(base: Document) -> None:
    refused = refusal(base, "AG_Matriz.docx", build(*BASE))
    assert refused.code is RefusalCode.NO_TRACKED_CHANGES
    assert "contains no tracked changes" in refused.reason
    assert "Track Changes" in refused.reason


def test_an_untracked_edit_is_named_with_its_paragraph(base: Document) -> None:
    data = build(
        p(
            "The Member States ",
            dele("shall", author=AG),
            ins("should", author=AG),
            " cooperate in disaster prevention.",
        ),
        BASE[1],
        "Member States must share all their experiences.",  # typed without Track Changes
        *BASE[3:],
    )
    refused = refusal(base, "AG_Matriz.docx", data)
    assert refused.code is RefusalCode.NOT_THE_BASE
    assert "without Track Changes in paragraph 3" in refused.reason
    assert "Member States must share all their experiences." in refused.reason


def test_an_untracked_edit_counts_paragraphs_as_delegates_do(base: Document) -> None:
    # Empty paragraphs carry no number: the third non-empty paragraph is paragraph 3.
    spaced = read_base(build(BASE[0], "", BASE[1], "", BASE[2]))
    data = build(BASE[0], "", p(BASE[1], ins(" Indeed.", author=AG)), "", "Changed.")
    with pytest.raises(DocumentRefused) as refused:
        check_proposal(spaced, BASE_NAME, data, "AG_Matriz.docx", "AG")
    assert "paragraph 3" in refused.value.reason


def test_another_version_of_the_base_is_named_as_such(base: Document) -> None:
    data = build(
        p("An older plan ", ins("entirely", author=AG), "."),
        "Its first paragraph.",
        "Its second paragraph.",
        "Its third paragraph.",
    )
    refused = refusal(base, "AG_Matriz.docx", data)
    assert refused.code is RefusalCode.NOT_THE_BASE
    assert "does not seem to be made on the current version" in refused.reason
    assert "from paragraph 1 on" in refused.reason
    assert "Download the current version" in refused.reason


def test_a_hostile_file_is_refused_by_the_safety_gate(base: Document) -> None:
    refused = refusal(base, "AG_Matriz.docx", hostile_docx.zip_bomb(64))
    assert refused.code is RefusalCode.ZIP_BOMB
    refused = refusal(base, "AG_Matriz.docx", hostile_docx.xxe())
    assert refused.code is RefusalCode.DOCTYPE
    refused = refusal(base, "AG_Matriz.docx", hostile_docx.not_zip_pdf())
    assert refused.code is RefusalCode.NOT_ZIP


# --- accepted ---------------------------------------------------------------------------------


def test_an_accepted_proposal_reports_its_changes_and_paragraphs(base: Document) -> None:
    report = check_proposal(base, BASE_NAME, a_proposal(), "AG_Matriz.docx", "AG")
    assert report.delegation == "AG"
    assert report.file_name == "AG_Matriz.docx"
    assert report.changes == 2  # shall → should; year → two years (words, not characters)
    assert report.paragraphs_touched == (1, 5)
    assert report.formatting_changes == 0
    assert report.document.reject_view() == BASE


def test_a_new_paragraph_counts_for_the_paragraph_it_follows(base: Document) -> None:
    data = build(
        *BASE[:3],
        p(ins("3 bis text: Member States may ask for help.", author=AG), ins_mark=True, author=AG),
        BASE[3],
        p(ins("Also, ", author=AG), BASE[4]),  # words at a paragraph's start are that paragraph's
        BASE[5],
    )
    report = check_proposal(base, BASE_NAME, data, "AG_Matriz.docx", "AG")
    assert report.changes == 2
    assert report.paragraphs_touched == (3, 5)


def test_a_deleted_paragraph_and_a_merge_are_changes(base: Document) -> None:
    data = build(
        BASE[0],
        p(dele(BASE[1], author=AG), del_mark=True, author=AG),
        p(BASE[2], ins(" ", author=AG), del_mark=True, author=AG),
        *BASE[3:],
    )
    report = check_proposal(base, BASE_NAME, data, "AG_Matriz.docx", "AG")
    assert report.document.accept_view() == [BASE[0], f"{BASE[2]} {BASE[3]}", *BASE[4:]]
    assert report.paragraphs_touched == (2, 3)
    assert report.changes == 2


def test_formatting_only_changes_are_counted(base: Document) -> None:
    data = build(
        p(
            "The Member States ",
            dele("shall", author=AG),
            ins("should", author=AG),
            " cooperate in disaster prevention.",
        ),
        p(
            BASE[1],
            ppr='<w:jc w:val="center"/><w:pPrChange w:id="77" w:author="AG"><w:pPr/></w:pPrChange>',
        ),
        *BASE[2:],
    )
    report = check_proposal(base, BASE_NAME, data, "AG_Matriz.docx", "AG")
    assert report.changes == 1
    assert report.formatting_changes == 1


# --- the base ---------------------------------------------------------------------------------


def test_a_base_with_tracked_changes_is_refused() -> None:
    with pytest.raises(DocumentRefused) as refused:
        read_base(a_proposal())
    assert refused.value.code is RefusalCode.BASE_HAS_CHANGES
    assert "accept or reject them" in refused.value.reason


def test_a_hostile_base_is_refused() -> None:
    with pytest.raises(DocumentRefused) as refused:
        read_base(hostile_docx.billion_laughs())
    assert refused.value.code is RefusalCode.DOCTYPE


def test_numbering_skips_empty_paragraphs() -> None:
    assert numbering(["Title", "", "One", " ", "Two"]) == [1, None, 2, None, 3]


# --- proposals on record: which base, which document to compile, which still stand -------------


def test_a_proposal_names_its_base_after_the_code() -> None:
    assert proposed_base("AG_Matriz.docx") == "Matriz.docx"
    assert proposed_base("Matriz.docx") == "Matriz.docx"  # no code: the document itself
    assert proposed_base("XX_Matriz.docx") == "XX_Matriz.docx"  # not a country code


def test_the_named_document_is_chosen_in_any_case_with_or_without_docx() -> None:
    published = ["Matriz.docx", "Plan.docx"]
    assert select_base(published, "matriz", set()) == "Matriz.docx"
    assert select_base(published, "PLAN.DOCX", {"Matriz.docx"}) == "Plan.docx"
    assert select_base(published, "Other", {"Matriz.docx"}) == NotPublished("Other.docx")


def test_without_a_name_the_only_document_with_proposals_is_chosen() -> None:
    published = ["Matriz.docx", "Plan.docx", "Report.docx"]
    assert select_base(published, None, {"Plan.docx"}) == "Plan.docx"
    assert select_base(published, None, set()) == NoProposalsYet()
    assert select_base(published, None, {"Report.docx", "Matriz.docx"}) == WhichBase(
        ("Matriz.docx", "Report.docx")
    )


@dataclass(frozen=True)
class _Filed:
    delegation: str
    base_version: int
    superseded_by: int | None = None
    base_file_name: str = "Matriz.docx"


def test_a_later_proposal_supersedes_the_standing_one_of_its_delegation_on_its_document() -> None:
    earlier = _Filed("AG", 1)
    assert supersedes(_Filed("AG", 2), earlier)
    assert not supersedes(_Filed("BR", 1), earlier)
    assert not supersedes(_Filed("AG", 1, base_file_name="Plan.docx"), earlier)
    assert not supersedes(_Filed("AG", 2), _Filed("AG", 1, superseded_by=7))


def test_the_standing_proposals_are_those_not_superseded_by_delegation() -> None:
    br, old_ag, ag, old_version = (
        _Filed("BR", 2),
        _Filed("AG", 2, superseded_by=4),
        _Filed("AG", 2),
        _Filed("CL", 1),
    )
    filed = [br, old_ag, ag, old_version]
    assert standing(filed) == [ag, br, old_version]
    assert standing(filed, base_version=2) == [ag, br]

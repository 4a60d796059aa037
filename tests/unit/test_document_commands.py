"""The document flow's words (SPEC §3): the handlers of the document commands, the receipts of
uploads, what the bot announces on its own and the refusals — all worded in `commands/` from the
services' typed results, here against small in-memory fakes. The texts are those the
integration tests (tests/integration/test_documents_flow.py) read in the chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from commands import (
    agree,
    announcements,
    check,
    distribute,
    documents,
    publish,
    receipts,
    status,
    suggestions,
)
from commands.document_refusals import (
    BaseNotChosen,
    FileRefused,
    FileTooLarge,
    InFile,
    NoBaseToPropose,
    OnlyFocalPoints,
    SuggestionDecided,
)
from commands.documents_deps import (
    Distributed,
    FolderUpload,
    ParagraphMarking,
    ProposalChecked,
    ProposalInfo,
    ProposalRefused,
    Publication,
    PublishedInfo,
    SuggestionAccepted,
    SuggestionInfo,
    UploadOutcome,
)
from commands.reply import Reply
from commands.table import MODERATION, PLENARY, Attachment, Invocation, Refusal
from documents.jobs import CheckedProposal, CheckResult
from documents.lifecycles import ParagraphStatus, SuggestionStatus
from documents.proposals import NoProposalsYet, NotPublished, WhichBase
from room_policies.roles import Role

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
FOLDERS = {"reference": "Reference documents", "supporting": "Supporting", "plan": "Plan"}
PUBLISHED = PublishedInfo(
    "plan", "Plan", "Matriz", "Matriz.docx", 2, "OEA/1", "public", "en", "f" * 64, "@c:x", WHEN
)
PROPOSAL = ProposalInfo("AG", "AG_Matriz.docx", "Matriz.docx", 1, 2, [1, 3], "a" * 64, WHEN, False)
SUGGESTION = SuggestionInfo(4, "AG", "Study.docx", WHEN, SuggestionStatus.PENDING, None)
FILE = Attachment("Matriz.docx", "application/octet-stream", 10, "$file", {})


def asked(place: str = MODERATION, delegation: str | None = None) -> Invocation:
    return Invocation("@c:x", "!room:x", "$command", "!x", 0, 0, Role.CHAIR, place, delegation)


@dataclass
class FakeDocuments:
    """The document flow, in memory: what each command's Protocol asks."""

    attached: Attachment | None = FILE
    refusal: Refusal | None = None
    published: list[Publication] = field(default_factory=list)
    marked: list[ParagraphMarking] = field(default_factory=list)

    classifications = ("public", "restricted")

    async def folder_names(self) -> dict[str, str]:
        return dict(FOLDERS)

    async def current_documents(self, folder: str | None) -> list[PublishedInfo]:
        return [PUBLISHED]

    async def attachment(self, invocation: Invocation) -> Attachment | None:
        return self.attached

    async def publish(
        self, invocation: Invocation, attachment: Attachment, publication: Publication
    ) -> PublishedInfo:
        self.published.append(publication)
        return PUBLISHED

    async def proposals_of(self, delegation: str) -> list[ProposalInfo]:
        return [PROPOSAL]

    async def check(self, invocation: Invocation) -> ProposalChecked:
        if self.refusal is not None:
            raise self.refusal
        report = CheckedProposal("AG", "AG_Matriz.docx", 2, (1, 3), 0)
        return ProposalChecked(CheckResult(report), "Matriz.docx", 1)

    async def distribute(self, invocation: Invocation, document: str | None) -> Distributed:
        return Distributed("Plan", "Matriz.docx", 2, "Matriz_rev1.docx")

    async def mark_paragraphs(self, invocation: Invocation, marking: ParagraphMarking) -> str:
        self.marked.append(marking)
        return "Matriz.docx"

    async def suggest(self, invocation: Invocation) -> SuggestionInfo:
        return SUGGESTION

    async def references(self) -> list[SuggestionInfo]:
        declined = SuggestionInfo(5, "BR", "Other.docx", WHEN, SuggestionStatus.DECLINED, "late")
        return [SUGGESTION, declined]

    async def accept_suggestion(
        self, invocation: Invocation, number: int, title: str | None, symbol: str | None
    ) -> SuggestionAccepted:
        return SuggestionAccepted(SUGGESTION, PUBLISHED)

    async def decline_suggestion(
        self, invocation: Invocation, number: int, reason: str
    ) -> SuggestionInfo:
        return SUGGESTION


# --- commands -------------------------------------------------------------------------------------


async def test_publish_words_the_publication_and_its_refusals() -> None:
    deps = FakeDocuments()
    args = publish.Args(folder="PLAN", title="Matriz", symbol="OEA/1")
    reply = await publish.handle(deps, asked(), args)
    assert deps.published == [Publication("plan", "Matriz", "OEA/1", "public", None)]
    assert reply == Reply.titled(
        "Published Matriz.docx in “Plan” and announced in the plenary.",
        [
            "title: Matriz",
            "version 2",
            "symbol: OEA/1",
            "classification: public",
            "sha256: " + "f" * 64,
        ],
    )
    nowhere = await publish.handle(deps, asked(), publish.Args(folder="attic"))
    assert (
        nowhere.text == "There is no folder “attic”. The folders are: reference, supporting, plan."
    )
    secret = await publish.handle(deps, asked(), publish.Args(folder="plan", classification="x"))
    assert secret.text == "Refused: the classification must be one of: public, restricted."
    no_file = await publish.handle(
        FakeDocuments(attached=None), asked(), publish.Args(folder="plan")
    )
    assert no_file.text.startswith("Send !publish as the caption of a file")


async def test_documents_lists_the_current_versions() -> None:
    reply = await documents.handle(FakeDocuments(), asked(), documents.Args(folder="plan"))
    assert reply.text == (
        "Published documents (current versions):\n• Plan: Matriz.docx v2 — Matriz (OEA/1), public, "
        "Mar 4, 2026"
    )
    wrong = await documents.handle(FakeDocuments(), asked(), documents.Args(folder="attic"))
    assert wrong.text == "There is no folder “attic”: reference, supporting, plan."


async def test_status_says_whether_each_proposal_stands() -> None:
    reply = await status.handle(FakeDocuments(), asked(PLENARY, "AG"), status.Args())
    assert reply.text.splitlines()[1] == (
        "• AG_Matriz.docx on Matriz.docx v1, Mar 4, 2026, 5:06\u202fAM: 2 change(s), "
        "paragraphs 1, 3 — standing (sha256 aaaaaaaaaaaa…)"
    )


async def test_check_words_what_would_be_accepted_or_refused() -> None:
    accepted = await check.handle(FakeDocuments(), asked(), check.Args())
    assert accepted == Reply.titled(
        "Would be accepted (nothing was submitted):",
        [
            "AG_Matriz.docx: a proposal of AG",
            "2 change(s); paragraphs touched: 1, 3",
            "base: Matriz.docx version 1",
        ],
    )
    refusal = InFile("AG_Matriz.docx", OnlyFocalPoints("submits proposals"))
    refused = await check.handle(FakeDocuments(refusal=refusal), asked(), check.Args())
    assert refused.text == (
        "Would be refused: AG_Matriz.docx: only a delegation's focal point submits proposals."
    )


async def test_distribute_words_both_publications() -> None:
    reply = await distribute.handle(FakeDocuments(), asked(), distribute.Args())
    assert reply.text == (
        "Distributed in Plan: Matriz.docx version 2 (the revised text: every change accepted, "
        "conflicts in brackets; proposals are now made on it) and Matriz_rev1.docx (the "
        "delegations' tracked changes). Both are announced in the plenary."
    )


async def test_agree_and_approve_pass_the_status_and_word_it() -> None:
    deps = FakeDocuments()
    agreed = await agree.agree(deps, asked(), agree.AgreeArgs(document="Matriz", paragraphs="3,1"))
    assert agreed.text == (
        "Matriz.docx: paragraph(s) 1, 3 agreed ad referendum. The next compilation matrix shows it."
    )
    approve = agree.ApproveArgs(document="Matriz", paragraphs="2", meeting="2026-12-12")
    approved = await agree.approve(deps, asked(), approve)
    assert approved.text == (
        "Matriz.docx: paragraph(s) 2 approved at the meeting of 2026-12-12. The next compilation "
        "matrix shows it."
    )
    assert deps.marked == [
        ParagraphMarking("Matriz", [1, 3], ParagraphStatus.AGREED_AD_REFERENDUM, None),
        ParagraphMarking("Matriz", [2], ParagraphStatus.APPROVED, "2026-12-12"),
    ]
    bad = await agree.agree(deps, asked(), agree.AgreeArgs(document="Matriz", paragraphs="3-1"))
    assert bad.text == "Refused: “3-1” is not a valid range."


async def test_suggestions_are_worded_for_the_delegation_and_the_chair() -> None:
    deps = FakeDocuments()
    queued = await suggestions.suggest(deps, asked(PLENARY, "AG"), suggestions.SuggestArgs())
    assert queued.text == (
        "Suggestion #4 (Study.docx) is with the Chair; you will be told in your desk whether it "
        "is accepted."
    )
    listing = await suggestions.references(deps, asked(), suggestions.ReferencesArgs())
    assert listing.text.splitlines()[1:] == [
        "• #4 AG: Study.docx, Mar 4, 2026 — pending",
        "• #5 BR: Other.docx, Mar 4, 2026 — declined (late)",
    ]
    accepted = await suggestions.accept(deps, asked(), suggestions.AcceptArgs(number=4))
    assert accepted.text == (
        "Suggestion #4 accepted: Matriz.docx is published in Plan; AG is told."
    )
    args = suggestions.DeclineArgs(number=4, reason="not within the mandate")
    declined = await suggestions.decline(deps, asked(), args)
    assert declined.text == "Suggestion #4 declined; AG is told why."


# --- receipts of uploads --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        (
            PROPOSAL,
            "Receipt: AG_Matriz.docx, the proposal of AG on Matriz.docx (version 1), is filed.\n"
            "• changes: 2\n• paragraphs touched: 1, 3\n• sha256: " + "a" * 64 + "\n"
            "• received: Mar 4, 2026, 5:06:07\u202fAM",  # the invocation's zone: UTC
        ),
        (
            ProposalRefused("AG_Matriz.docx: contains no tracked changes."),
            "Refused: AG_Matriz.docx: contains no tracked changes. Nothing was filed.",
        ),
        (
            FolderUpload(PUBLISHED),
            "Registered Matriz.docx as version 2 (public); announced in the plenary.",
        ),
    ],
)
async def test_an_upload_is_answered_with_a_receipt(outcome: UploadOutcome, text: str) -> None:
    @dataclass
    class Uploaded:
        async def upload(self, invocation: Invocation) -> UploadOutcome | None:
            return outcome

    reply = await receipts.answer_upload(Uploaded(), asked(PLENARY))
    assert reply is not None and reply.text == text


async def test_an_upload_left_alone_is_not_answered() -> None:
    @dataclass
    class Ignored:
        async def upload(self, invocation: Invocation) -> UploadOutcome | None:
            return None

    assert await receipts.answer_upload(Ignored(), asked()) is None


# --- what the bot posts on its own ----------------------------------------------------------------


def test_a_publication_is_noticed_in_its_folder_and_announced_in_the_plenary() -> None:
    notice = "Matriz — Matriz.docx, version 2, OEA/1, public."
    assert announcements.publication_notice(PUBLISHED).text == notice
    risky = PublishedInfo(
        "plan", "Plan <b>", "A & B", "A.docx", 1, None, "public", "en", "0", "@c:x", WHEN
    )
    announced = announcements.new_in_folder(risky, "!folder:x", "$event")
    assert announced.text == (
        "New in Plan <b>: A & B — A.docx, version 1, public. https://matrix.to/#/!folder:x/$event"
    )
    assert announced.html == (
        'New in <b>Plan &lt;b&gt;</b>: <a href="https://matrix.to/#/!folder:x/$event">'
        "A &amp; B — A.docx, version 1, public.</a>"
    )


def test_the_desk_and_the_chair_are_told_about_suggestions() -> None:
    assert announcements.suggestion_for_the_chair(SUGGESTION).text == (
        "Suggestion #4 from AG: Study.docx, as a reference document. !accept 4 or !decline 4 "
        "<reason>."
    )
    accepted = SuggestionAccepted(SUGGESTION, PUBLISHED)
    assert announcements.suggestion_accepted(accepted).text == (
        "Your suggestion #4 (Study.docx) was accepted and published in Plan (version 2)."
    )
    declined = SuggestionInfo(4, "AG", "Study.docx", WHEN, SuggestionStatus.DECLINED, "too late")
    assert announcements.suggestion_declined(declined).text == (
        "Your suggestion #4 (Study.docx) was declined: too late"
    )


# --- refusals -------------------------------------------------------------------------------------


def test_refusals_word_their_facts() -> None:
    assert FileTooLarge(200_000, 250_000).reason == "the file is 250 kB; the limit is 200 kB."
    assert FileTooLarge(25_000_000).reason == "the file is larger than 25.0 MB."
    assert FileRefused("A.docx", "macros.").reason == "A.docx: macros."
    assert FileRefused("A.docx", "“A.docx” has macros.").reason == "“A.docx” has macros."
    assert NoBaseToPropose("Unknown.docx", "Plan").reason == (
        "there is no published document “Unknown.docx” in the Plan folder to propose changes to."
    )
    assert SuggestionDecided(1, SuggestionStatus.ACCEPTED).reason == (
        "suggestion #1 was already accepted."
    )


@pytest.mark.parametrize(
    ("choice", "reason"),
    [
        (NotPublished("X.docx"), "there is no published document X.docx in the plan folder."),
        (NoProposalsYet(), "no document has proposals to compile yet."),
        (WhichBase(("A.docx", "B.docx")), "say which document to compile: A.docx, B.docx."),
    ],
)
def test_the_base_not_chosen_says_why(
    choice: NotPublished | NoProposalsYet | WhichBase, reason: str
) -> None:
    assert BaseNotChosen(choice).reason == reason

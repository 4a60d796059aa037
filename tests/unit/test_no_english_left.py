"""A sweep of the command table in Spanish (issue #11): each command's typical replies, and the
refusals of the roster and the rules, are run in English and in Spanish over the unit tests'
fakes, and no run of four plain English words of the English reply may be left in the Spanish
one. Data (user ids, file and room names, country names, codes, command syntax) is not made of
plain lower-case words, so it never counts.

Covered: every command of the table (`test_the_sweep_runs_every_command`), most with a reply
and a refusal; the breach reports and the membership refusals of `room_policies`
(tests/unit/policy_words.py) in every working language.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from commands import trust
from commands.builtin import default_table
from commands.corrections import breach_report
from commands.document_refusals import BaseNotChosen, NoStandingProposal
from commands.documents_deps import (
    AwaitingApproval,
    ParagraphStory,
    PendingApprovals,
    ShownProposal,
)
from commands.get_document import NoSuchDocument, NoSuchVersion, NotYourFolder, SentDocument
from commands.guide import Reader
from commands.i18n import translator
from commands.policy_reasons import decision_reason
from commands.roster_reasons import problem_reason
from commands.round_refusals import RoundUnderWay
from commands.rounds_deps import RoundInfo, RoundRequest, RoundState
from commands.support import Requester, TicketInfo
from commands.table import DIRECT, Invocation, Refusal, UsageError
from documents.excerpts import MarkedParagraph
from documents.proposals import WhichBase
from room_policies.roles import Role, RoomKind, UserId
from room_policies.room_plan import Correction, Fix
from room_policies.rooms import RoomRef
from tests.unit.engine_words import english_runs
from tests.unit.policy_words import breaches, refusals, roster_problems
from tests.unit.services import services
from tests.unit.test_breaches import PLATFORM
from tests.unit.test_breaches import ROSTER as RULES_ROSTER
from tests.unit.test_document_commands import FakeDocuments
from tests.unit.test_governance_commands import (
    AG_EXP,
    AG_FP,
    CHAIR,
    Entry,
    FakeDeps,
    in_desk,
    in_moderation,
    make_roster,
)
from tests.unit.test_history import AGREED_AT, STORY
from tests.unit.test_support import FakeDesk

TABLE = default_table()
# A delegate's words are data, as they wrote them: short, so that they never count as English.
PIECES = (("The Parties ", "same"), ("shall", "deleted"), ("should", "inserted"), (" act.", "same"))
WHEN = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)


class Languages:
    async def set_language(self, user_id: str, language: str) -> None:
        pass


class Identities:
    def __init__(self, refusal: trust.RetrustRefused | None = None) -> None:
        self.refusal = refusal

    async def changed_identities(self) -> Sequence[trust.ChangedIdentity]:
        return []

    async def retrust(self, chair: str, user_id: str, fingerprint_given: str) -> object:
        if self.refusal is not None:
            raise self.refusal
        return None


class Compiler:
    async def compile(self, invocation: Invocation, document: str | None) -> Any:
        raise BaseNotChosen(WhichBase(("A.docx", "B.docx")))


class Guide:
    async def reader(self, user_id: str) -> Reader | None:
        return Reader(UserId(user_id), make_roster(), PLATFORM, TABLE)


ROUND = RoundInfo(
    3,
    "Matriz.docx",
    2,
    datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
    datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
    (timedelta(hours=72), timedelta(hours=2)),
    date(2026, 12, 12),
    RoundState.OPEN,
)


class Rounds:
    """`!round` and `!schedule`: one round open; a second one refused with the first's window."""

    async def open_round(self, invocation: Invocation, request: RoundRequest) -> RoundInfo:
        raise RoundUnderWay(ROUND, invocation.timezone)

    async def rounds(self) -> list[RoundInfo]:
        return [ROUND]

    async def extend_round(
        self, invocation: Invocation, document: str | None, closes: str
    ) -> RoundInfo:
        return ROUND

    async def close_round(self, invocation: Invocation, document: str | None) -> RoundInfo:
        return ROUND

    async def cancel_round(self, invocation: Invocation, document: str | None) -> RoundInfo:
        return ROUND

    async def schedule(self) -> list[RoundInfo]:
        return [ROUND]


class Histories:
    async def story(self, document: str, paragraph: str) -> ParagraphStory:
        return STORY

    async def pending(self, document: str | None) -> PendingApprovals:
        return PendingApprovals("Matriz.docx", 2, "2026-12-12", [AwaitingApproval(3, 2, AGREED_AT)])

    async def show(self, delegation: str, document: str, paragraph: int | None) -> ShownProposal:
        if delegation != "AG":
            raise NoStandingProposal(delegation, "Matriz.docx")
        changes = [MarkedParagraph(str(n), PIECES) for n in range(1, 12)]
        if paragraph is not None:
            changes = [c for c in changes if c.paragraph == str(paragraph)][:1]
        label = None if paragraph is None else str(paragraph)
        return ShownProposal("AG", "AG_Matriz.docx", "Matriz.docx", 2, label, changes)


class Fetcher:
    """`!get`: Matriz.docx, version 3 the current one; the refusals on cue."""

    async def send_document(
        self, invocation: Invocation, document: str, version: int | None
    ) -> SentDocument:
        if document == "Nothing":
            raise NoSuchDocument(document)
        if version == 9:
            raise NoSuchVersion("Matriz.docx", 9, 3)
        if invocation.role is Role.EXPERT:
            raise NotYourFolder("Matriz.docx", "Plan")
        return SentDocument("Matriz.docx", version or 3, 3, "Plan")


def _services() -> Any:
    roster = FakeDeps(make_roster())
    roster.reconcile_answer = [Correction(RoomRef(RoomKind.PLENARY), Fix.INVITE, AG_FP)]
    roster.entries = [Entry(WHEN, CHAIR, "invite", "Plenary", AG_FP, "ok", "")]
    docs = FakeDocuments()
    desk = FakeDesk()
    desk.tickets = [TicketInfo(1, Requester(AG_EXP, Role.EXPERT, "Antigua and Barbuda"), WHEN, 2)]
    return services(
        TABLE,
        roster=roster,
        rooms=roster,
        audit_log=roster,
        documents=docs,
        compilation=Compiler(),
        receipts=docs,
        suggestions=docs,
        proposals=docs,
        distribution=docs,
        paragraphs=docs,
        identities=Identities(),
        languages=Languages(),
        support=desk,
        guide=Guide(),
        rounds=Rounds(),
        schedule=Rounds(),
        histories=Histories(),
        showing=Histories(),
        fetching=Fetcher(),
    )


def chair(body: str) -> Invocation:
    return in_moderation(body)


def focal_point(body: str) -> Invocation:
    return in_desk(body)


def expert(body: str) -> Invocation:
    return Invocation(AG_EXP, "!dm:example.org", "$c", body, 0, 0, Role.EXPERT, DIRECT)


def secretariat(body: str) -> Invocation:
    return Invocation("@sec:example.org", "!s:x", "$c", body, 0, 0, Role.SECRETARIAT, "support")


# (who asks, what): a typical reply, and a refusal where the command has one.
SWEEP: list[tuple[Callable[[str], Invocation], str]] = [
    (chair, "!help"),
    (expert, "!ping"),
    (chair, "!delegations"),
    (chair, "!delegation add CA @ca.fp:example.org"),
    (chair, "!delegation add XX @xx.fp:example.org"),
    (chair, f"!delegation add CA {AG_EXP}"),
    (chair, "!delegation remove ZZ"),
    (chair, "!delegation remove BR"),
    (chair, "!focal-point AG @ag.new:example.org"),
    (chair, f"!focal-point BR {CHAIR}"),
    (chair, "!reconcile"),
    (chair, "!reconcile --dry-run"),
    (chair, "!audit 5"),
    (chair, "!publish plan --title Matriz --symbol OEA/1"),
    (chair, "!documents"),
    (chair, "!compile"),
    (chair, "!agree Matriz.docx 1,3"),
    (chair, "!approve Matriz.docx 1 --meeting 2026-12-12"),
    (focal_point, "!suggest"),
    (chair, "!references"),
    (chair, "!accept 4"),
    (chair, "!decline 4 it arrived too late"),
    (focal_point, "!check"),
    (chair, "!distribute"),
    (focal_point, "!status"),
    (focal_point, "!experts"),
    (focal_point, "!experts add @ag.exp2:example.org"),
    (focal_point, "!experts add @br.fp:example.org"),
    (focal_point, f"!experts remove {AG_EXP}"),
    (chair, "!trust"),
    (chair, "!trust @fp:example.org ABCD"),
    (expert, "!lang es"),
    (expert, "!support I cannot open the document"),
    (secretariat, "!tickets"),
    (secretariat, "!close 1"),
    (secretariat, "!close 9"),
    (focal_point, "!guide"),
    (chair, "!round open Matriz.docx --closes 2026-12-10T18:00"),
    (chair, "!round status"),
    (chair, "!round extend --closes 2026-12-11T18:00"),
    (focal_point, "!schedule"),
    (focal_point, "!history Matriz 2"),
    (chair, "!pending Matriz"),
    (focal_point, "!show AG Matriz.docx"),
    (chair, "!show AG Matriz.docx 3"),
    (chair, "!show AG Matriz.docx 99"),
    (chair, "!show BR Matriz.docx"),
    (focal_point, "!get Matriz"),
    (focal_point, "!get Matriz 2"),
    (chair, "!get Nothing"),
    (chair, "!get Matriz 9"),
    (expert, "!get Matriz"),
]


async def reply_to(ask: Callable[[str], Invocation], body: str, language: str) -> str:
    invocation = dataclasses.replace(ask(body), language=language)
    _ = translator(language)
    try:
        bound = TABLE.bind(body, invocation)
        reply = await bound.run(_services(), invocation)
    except Refusal as refusal:
        reply = refusal.reply(_)
    except UsageError as error:
        reply = error.reply
    return reply.text


def test_the_sweep_runs_every_command() -> None:
    swept = {body.split()[0].removeprefix("!") for _, body in SWEEP}
    assert swept == {command.name for command in TABLE}


@pytest.mark.parametrize(("ask", "body"), SWEEP, ids=[body for _, body in SWEEP])
async def test_no_english_is_left_in_the_spanish_reply(
    ask: Callable[[str], Invocation], body: str
) -> None:
    english = await reply_to(ask, body, "en")
    spanish = await reply_to(ask, body, "es")
    if body.startswith("!lang"):
        # !lang answers in the language it sets, whatever the asker's was.
        english = await reply_to(ask, "!lang en", "es")
    if len(_PLAIN.findall(english)) >= 4:  # `pong (0 ms)` is the same in every language
        assert english != spanish
    assert not english_runs(english, spanish), spanish
    assert not english_lines(english, spanish), spanish


_PLAIN = re.compile(r"(?<![\w@.!-])[a-z]+(?![\w@.:-])")


def english_lines(english: str, worded: str) -> list[str]:
    """Lines of the English reply with three plain words or more that the worded reply holds
    as they are (a short English line such as "2 change(s); paragraphs touched: 1, 3")."""
    lines = {line.strip() for line in worded.splitlines()}
    return [
        line.strip()
        for line in english.splitlines()
        if len(_PLAIN.findall(line)) >= 3 and line.strip() in lines
    ]


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_no_english_is_left_in_the_rules_refusals_and_reports(language: str) -> None:
    _ = translator(language)
    texts: list[tuple[str, str]] = [(d.reason, decision_reason(d, _)) for d in refusals()]
    # A YAML parser's message is quoted as it is (the CLI's case: a file that is not YAML).
    texts += [
        (p.reason, problem_reason(p, _)) for p in roster_problems() if "error" not in p.params
    ]
    plenary = RoomRef(RoomKind.PLENARY)
    for breach in breaches():
        english = breach_report(RULES_ROSTER, plenary, breach, [], "")
        texts.append((english, breach_report(RULES_ROSTER, plenary, breach, [], "", _)))
    left = [(worded, english_runs(english, worded)) for english, worded in texts]
    assert [item for item in left if item[1]] == []

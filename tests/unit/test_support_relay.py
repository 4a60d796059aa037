"""The relay of the Secretariat's answers (bot/governance/support.py), with small fakes for the
homeserver side and the real repository on SQLite: who is answered, who is ignored, what a
closed ticket, a refused sender and a replay do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.governance.languages import Languages
from bot.governance.support import SUPPORT_ROOM, SupportDesk
from bot.storage.database import AuditRecord, Database
from bot.storage.support import SupportRepository
from bot.sync.classify import CommandEvent
from commands.reply import Reply
from room_policies.roles import Platform, UserId
from room_policies.roster import Roster, load_roster
from room_policies.trust import Trust, TrustVerdict

BOT = "@plenaria:example.org"
PLATFORM = Platform(UserId(BOT), UserId("@plenaria-warden:example.org"))
SEC, CHAIR, EXPERT = "@sec:example.org", "@chair:example.org", "@ag.exp:example.org"
SUPPORT, DM = "!support:example.org", "!dm:example.org"
ROSTER = load_roster(
    f"""\
working_group: WG
chairs: ["{CHAIR}"]
secretariat: ["{SEC}"]
delegations:
  - {{code: AG, focal_point: "@ag.fp:example.org", experts: ["{EXPERT}"]}}
""",
    "example.org",
    bot_id=PLATFORM.bot_id,
    warden_id=PLATFORM.warden_id,
)


@dataclass
class Member:
    invited: bool = False


@dataclass
class Room:
    users: dict[str, Member]


@dataclass
class Client:
    rooms: dict[str, Room] = field(default_factory=dict)


class Gateway:
    user_id = BOT

    def __init__(self) -> None:
        self.client = Client({DM: Room({EXPERT: Member(), BOT: Member()})})
        self.sent: list[tuple[str, Reply, dict[str, Any]]] = []
        self.by_txn: dict[str, str] = {}

    def encrypted(self, room_id: str) -> bool:
        return True

    async def send_notice(self, room_id: str, reply: Reply, **kwargs: Any) -> str:
        txn = kwargs.get("txn_id")
        if txn in self.by_txn:  # the homeserver drops a transaction it has seen
            return self.by_txn[txn]
        self.sent.append((room_id, reply, kwargs))
        event_id = f"$sent{len(self.sent)}"
        self.by_txn[txn] = event_id
        return event_id


class Directory:
    def room_id(self, ref: object) -> str | None:
        return SUPPORT if ref == SUPPORT_ROOM else None


class Audit:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> None:
        self.records.append(record)


class Governance:
    def __init__(self) -> None:
        self.bot = Gateway()
        self.rooms = Directory()
        self.platform = PLATFORM
        self.audit = Audit()

    async def roster(self) -> Roster:
        return ROSTER


class Chosen:
    async def all(self) -> dict[str, str]:
        return {EXPERT: "es"}


class Trusting:
    def __init__(self) -> None:
        self.verdict = TrustVerdict(Trust.TRUSTED, "T0")

    async def judge(self, sender: str, proof: object) -> TrustVerdict:
        return self.verdict


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[SupportDesk]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await database.migrate()
    tickets = SupportRepository(database)
    await tickets.open(EXPERT, DM, "$request", has_attachment=False)
    await tickets.posted(1, "$ticket")
    yield SupportDesk(
        governance=Governance(),  # type: ignore[arg-type]
        tickets=tickets,
        languages=Languages(Chosen(), "en"),  # type: ignore[arg-type]
        transfer=None,  # type: ignore[arg-type]
        trust=Trusting(),  # type: ignore[arg-type]
        timezone="America/New_York",
    )
    await database.close()


def answer(sender: str = SEC, to: str = "$ticket", event_id: str = "$answer") -> CommandEvent:
    return CommandEvent(SUPPORT, event_id, sender, "Pruebe con LibreOffice.", 0, None, answers=to)


def sent(desk: SupportDesk) -> list[tuple[str, Reply, dict[str, Any]]]:
    return desk.gateway.sent  # type: ignore[attr-defined, no-any-return]


async def test_an_answer_is_relayed_in_the_askers_language_once(desk: SupportDesk) -> None:
    assert await desk.relay(answer()) == "relayed"
    (room, relayed, _), (where, confirmed, how) = sent(desk)
    assert room == DM and relayed.text == (
        "Respuesta de la Secretaría Técnica a su solicitud n.º 1:\n\nPruebe con LibreOffice."
    )
    assert where == SUPPORT and confirmed.text == f"Relayed to {EXPERT} (ticket #1)."
    assert how["in_reply_to"] == "$answer" and how["thread_root"] == "$ticket"
    # Handled again (a crash before the ledger said so): nothing new reaches anyone.
    assert await desk.relay(answer()) == "relayed"
    assert len(sent(desk)) == 2
    assert (await desk.tickets.by_number(1)).answers == 1  # type: ignore[union-attr]
    audit = desk.governance.audit.records  # type: ignore[attr-defined]
    assert audit[0].action == "support.answer" and audit[0].decision == "relayed"
    assert "LibreOffice" not in repr(audit)


@pytest.mark.parametrize(
    ("sender", "to"),
    [(CHAIR, "$ticket"), (EXPERT, "$ticket"), (SEC, "$listing"), (SEC, "$unknown")],
)
async def test_what_is_ignored(desk: SupportDesk, sender: str, to: str) -> None:
    assert await desk.relay(answer(sender, to)) == "ignored"
    assert sent(desk) == []


async def test_an_answer_to_a_closed_ticket_is_not_relayed(desk: SupportDesk) -> None:
    await desk.tickets.close(1, SEC)
    assert await desk.relay(answer()) == "refused"
    [(room, reply, _)] = sent(desk)
    assert room == SUPPORT and reply.text == "Ticket #1 is closed: this reply was not relayed."


async def test_an_answer_the_platform_cannot_attribute_is_not_relayed(desk: SupportDesk) -> None:
    desk.trust.verdict = TrustVerdict(Trust.UNSIGNED_DEVICE, "T3")  # type: ignore[union-attr]
    assert await desk.relay(answer()) == "refused"
    [(room, reply, _)] = sent(desk)
    assert room == SUPPORT and reply.text.startswith("Refused: ")
    assert (await desk.tickets.answer("$answer")) is None


async def test_an_answer_to_someone_who_left_is_not_delivered(desk: SupportDesk) -> None:
    del desk.gateway.client.rooms[DM].users[EXPERT]  # type: ignore[attr-defined]
    assert await desk.relay(answer()) == "undelivered"
    [(room, reply, _)] = sent(desk)
    assert room == SUPPORT and reply.text.startswith(f"Not delivered: {EXPERT} is no longer")
    desk.gateway.client.rooms[DM].users["@someone:example.org"] = Member()  # type: ignore[attr-defined]
    assert not desk._private(DM, EXPERT)

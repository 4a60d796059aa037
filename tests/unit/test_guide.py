"""The guide (`!guide` and the welcome, issue #11): for each role, in each language, it names the
reader's rooms and who is in each, and the commands the table grants them there; the welcome is
sent once, and recorded after it was sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.governance.welcome import Welcomer, welcome_txn_id
from bot.storage.database import Database
from bot.storage.welcomes import WelcomeRepository
from commands import guide
from commands.builtin import default_table
from commands.guide import Reader, compose
from commands.guide_proposals import example_receipt
from commands.i18n import LANGUAGES, translator
from commands.receipts import receipt
from commands.table import DESK, DIRECT, MODERATION, PLENARY, Invocation
from room_policies.roles import DelegationCode, Platform, Role, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import load_roster
from tests.unit.services import services

ROSTER = """working_group: "Working Group on Disaster Prevention"
chairs: ["@chair:example.org"]
secretariat: ["@sec:example.org"]
delegations:
  - code: AG
    focal_point: "@ag.fp:example.org"
    experts: ["@ag.exp:example.org"]
  - code: BR
    focal_point: "@br.fp:example.org"
"""
PLATFORM = Platform(UserId("@plenaria:example.org"), UserId("@warden:example.org"))
TABLE = default_table()
SEATS = {
    Role.CHAIR: "@chair:example.org",
    Role.SECRETARIAT: "@sec:example.org",
    Role.FOCAL_POINT: "@ag.fp:example.org",
    Role.EXPERT: "@ag.exp:example.org",
}
# The Organization's own terms, as the reader of each language reads them.
TERMS = {
    "es": ("Presidencia", "Secretaría Técnica", "usted"),
    "fr": ("Présidence", "Secrétariat technique", "vous"),
    "pt": ("Presidência", "Secretaria Técnica", "Suas salas"),
    "en": ("the Chair", "the Technical Secretariat", "Your rooms"),
}


def roster(extra: str = "") -> Any:
    return load_roster(
        ROSTER + extra, "example.org", bot_id=PLATFORM.bot_id, warden_id=PLATFORM.warden_id
    )


def guide_of(role: Role, language: str = "en", extra: str = "") -> tuple[str, str]:
    reply = compose(
        Reader(UserId(SEATS[role]), roster(extra), PLATFORM, TABLE), translator(language)
    )
    return reply.text, reply.html


def granted(role: Role, place: str) -> list[str]:
    asked = Invocation("@x:example.org", "", "", "", 0, 0, role=role, place=place)
    return [f"!{c.name}" for c in TABLE.allowed(asked)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(SEATS))
def test_each_role_reads_its_guide_in_each_language(role: Role, language: str) -> None:
    text, html = guide_of(role, language)
    for term in TERMS[language][:2] if role is not Role.EXPERT else ():
        assert term in text
    if language != "en":
        assert "Your rooms" not in text and "Welcome to" not in text  # translated
    assert "<h3>" in html and "<h4>" in html and "<ul>" in html
    assert "!lang es" in text and "!support" in text and "!guide" in text
    # Every command the table grants the role in a direct message, named as it is.
    for name in granted(role, DIRECT):
        assert name in text


def test_the_focal_point_reads_their_rooms_their_commands_and_how_to_propose() -> None:
    text, html = guide_of(Role.FOCAL_POINT)
    for room in (
        "“Plenary”",
        "“Desk — Antigua and Barbuda”",
        "“Experts — Antigua and Barbuda”",
        "“Inter-American Plan”",
    ):
        assert room in text
    assert "“Moderation”" not in text  # not theirs
    assert "your desk, a private room with the platform: you and the bot." in text
    assert "you and the experts of Antigua and Barbuda. You moderate this room." in text
    assert "the Chair, the Technical Secretariat, the focal point of each delegation" in text
    desk = next(line for line in text.splitlines() if "“Desk — " in line)
    assert desk.endswith("Commands here: " + ", ".join(granted(Role.FOCAL_POINT, DESK)) + ".")
    plenary = next(line for line in text.splitlines() if "“Plenary”" in line)
    assert ", ".join(granted(Role.FOCAL_POINT, PLENARY)) in plenary
    assert "AG_Matriz.docx" in text and "Track Changes" in text and "!check" in text
    assert "upload it in the plenary" in text
    # The receipt's lines, as the platform words them.
    for line in receipt(example_receipt("AG")).text.splitlines():
        assert line.removeprefix("• ") in text
    assert "<ol>" in html


def test_the_chair_and_the_secretariat_read_the_moderation_room_and_its_commands() -> None:
    for role in (Role.CHAIR, Role.SECRETARIAT):
        text, _ = guide_of(role)
        moderation = next(line for line in text.splitlines() if "“Moderation”" in line)
        assert "the Chair, the Technical Secretariat and the bot" in moderation
        assert ", ".join(granted(role, MODERATION)) in moderation
        assert "You moderate this room." in next(
            line for line in text.splitlines() if "“Plenary”" in line
        )
        assert "You post documents here" in text
        assert "“Desk" not in text and "“Experts" not in text and "AG_Matriz" not in text
    assert "!trust" in guide_of(Role.CHAIR)[0] and "!trust" not in guide_of(Role.SECRETARIAT)[0]


def test_the_expert_reads_their_experts_room_and_the_folders_only_if_allowed() -> None:
    text, _ = guide_of(Role.EXPERT)
    assert "“Experts — Antigua and Barbuda”" in text
    assert "the focal point of Antigua and Barbuda and the experts of Antigua and Barbuda" in text
    assert "the bot is not in it, and the platform cannot read it" in text
    assert "“Plenary”" not in text and "“Inter-American Plan”" not in text
    assert "!experts" not in text and "AG_Matriz" not in text
    allowed, _ = guide_of(Role.EXPERT, extra="experts_read_folders: true\n")
    assert "“Inter-American Plan”" in allowed and "You read the documents here" in allowed
    # and the focal points read that the experts are in the folders too
    assert (
        "the experts of each delegation"
        in guide_of(Role.FOCAL_POINT, extra="experts_read_folders: true\n")[0]
    )


def test_spanish_french_portuguese_use_the_organization_terms() -> None:
    es = guide_of(Role.FOCAL_POINT, "es")[0]
    assert "Usted participa como punto focal de Antigua and Barbuda." in es
    assert "su despacho" in es and "plenario" in es and "Control de cambios" in es
    fr = guide_of(Role.FOCAL_POINT, "fr")[0]
    assert "point focal" in fr and "votre bureau" in fr and "plénière" in fr
    pt = guide_of(Role.FOCAL_POINT, "pt")[0]
    assert "ponto focal" in pt and "seu gabinete" in pt and "plenário" in pt


# --- !guide ---------------------------------------------------------------------------------


class Readers:
    async def reader(self, user_id: str) -> Reader | None:
        rost = roster()
        found = Reader(UserId(user_id), rost, PLATFORM, TABLE)
        return found if found.role in guide.PEOPLE else None


async def test_guide_answers_a_person_of_the_roster_in_their_language() -> None:
    invocation = Invocation(
        "@ag.exp:example.org", "!dm:example.org", "$e", "!guide", 0, 0,
        role=Role.EXPERT, place=DIRECT, language="fr",
    )  # fmt: skip
    bound = TABLE.bind("!guide", invocation)
    reply = await bound.run(services(guide=Readers()), invocation)
    assert "Vous participez en tant qu'expert" in reply.text
    refused = Invocation(
        "@ag.exp:example.org", "!p:example.org", "$e", "!guide", 0, 0,
        role=Role.EXPERT, place=PLENARY,
    )  # fmt: skip
    assert TABLE.get("guide") is not None
    assert TABLE.get("guide").refusal(refused) is not None  # type: ignore[union-attr]


# --- the welcome, once --------------------------------------------------------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await database.migrate()
    yield database
    await database.close()


async def test_the_repository_records_a_welcome_once(db: Database) -> None:
    repository = WelcomeRepository(db)
    assert await repository.get("@a:example.org") is None
    assert await repository.record("@a:example.org", "expert", "!dm:example.org")
    assert not await repository.record("@a:example.org", "expert", "!other:example.org")
    record = await repository.get("@a:example.org")
    assert record is not None and record.room_id == "!dm:example.org" and record.role == "expert"
    assert [r.user_id for r in await repository.all()] == ["@a:example.org"]


class FakeGateway:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.fail = False

    async def refresh_keys(self, user_ids: list[str]) -> None:
        pass

    async def send_notice(self, room_id: str, reply: Any, *, txn_id: str | None = None) -> str:
        if self.fail:
            raise RuntimeError("the homeserver went away")
        self.sent.append((room_id, reply.text, txn_id))
        return "$sent"


class FakeRooms:
    DESK = "!desk-ag:example.org"

    def ref_of(self, room_id: str) -> RoomRef | None:
        if room_id == self.DESK:
            return RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
        return RoomRef(RoomKind.PLENARY) if room_id == "!plenary:example.org" else None

    def room_id(self, ref: RoomRef) -> str | None:
        return self.DESK if ref.kind is RoomKind.DESK and ref.delegation == "AG" else None


class FakeDirect:
    def __init__(self) -> None:
        self.made: list[str] = []

    async def room_with(self, user_id: str) -> str:
        self.made.append(user_id)
        return f"!dm-{user_id}"


class FakeLanguages:
    async def of(self, user_id: str) -> str:
        return "es" if user_id == "@ag.exp:example.org" else "en"


async def welcomer(db: Database) -> tuple[Welcomer, FakeGateway, FakeDirect]:
    gateway, direct = FakeGateway(), FakeDirect()

    async def current() -> Any:
        return roster()

    made = Welcomer(
        gateway=gateway,  # type: ignore[arg-type]
        rooms=FakeRooms(),  # type: ignore[arg-type]
        roster=current,
        platform=PLATFORM,
        languages=FakeLanguages(),  # type: ignore[arg-type]
        welcomes=WelcomeRepository(db),
        catalog=TABLE,
        direct=direct,  # type: ignore[arg-type]
    )
    return made, gateway, direct


async def test_the_welcome_is_sent_once_where_the_role_reads_it(db: Database) -> None:
    made, gateway, direct = await welcomer(db)
    fp, expert = "@ag.fp:example.org", "@ag.exp:example.org"
    await made.member_joined("!plenary:example.org", fp, "$1")
    await made.member_joined(FakeRooms.DESK, fp, "$2")
    assert [(room, txn) for room, _, txn in gateway.sent] == [(FakeRooms.DESK, welcome_txn_id(fp))]
    await made.member_joined("!plenary:example.org", expert, "$3")
    assert direct.made == [expert]
    assert gateway.sent[-1][1].startswith("Working Group on Disaster Prevention: le damos")
    # Never the platform's accounts, nor outsiders, nor a join of a room it does not govern.
    for who in (PLATFORM.bot_id, PLATFORM.warden_id, "@stranger:example.org"):
        await made.member_joined("!plenary:example.org", who, "$4")
    await made.member_joined("!elsewhere:example.org", "@chair:example.org", "$5")
    assert len(gateway.sent) == 2
    assert {r.user_id for r in await WelcomeRepository(db).all()} == {fp, expert}


async def test_a_failed_send_records_nothing_and_the_replay_uses_the_same_transaction(
    db: Database,
) -> None:
    made, gateway, _ = await welcomer(db)
    gateway.fail = True
    with pytest.raises(RuntimeError):
        await made.welcome("@chair:example.org")
    assert await WelcomeRepository(db).get("@chair:example.org") is None
    gateway.fail = False
    assert await made.welcome("@chair:example.org")
    assert gateway.sent[0][2] == welcome_txn_id("@chair:example.org")
    assert welcome_txn_id("@chair:example.org") != welcome_txn_id("@sec:example.org")
    assert not await made.welcome("@chair:example.org")


async def test_the_join_handlers_compose_and_a_failing_one_keeps_the_others() -> None:
    from bot.sync.router import every

    seen: list[str] = []

    async def folders(room_id: str, user_id: str, event_id: str) -> None:
        seen.append("folders")
        raise RuntimeError("the folder's documents could not be sent")

    async def welcome(room_id: str, user_id: str, event_id: str) -> None:
        seen.append("welcome")

    with pytest.raises(RuntimeError):
        await every(folders, welcome)("!r:example.org", "@a:example.org", "$1")
    assert seen == ["folders", "welcome"]

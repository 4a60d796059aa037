"""`!get DOCUMENT [VERSION]` (issue #14): where it may be asked, what it answers, and the shell's
`DocumentFetcher` over a real registry (SQLite) with a small fake gateway: the file posted in
the asker's room and thread, the version asked for, and the refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any, cast

import pytest

from bot.docflow.fetching import DocumentFetcher
from bot.docflow.publishing import FolderNames
from bot.docflow.tools import DocumentTools
from bot.storage.database import Database
from bot.storage.files import FileStore
from bot.storage.registry import Registry
from commands.get_document import NoSuchDocument, NoSuchVersion, NotYourFolder, SentDocument
from commands.table import DIRECT, Invocation, Refusal, Refused
from room_policies.roles import Role, UserId
from room_policies.roster import Roster
from tests.unit.services import services
from tests.unit.test_breaches import PLATFORM
from tests.unit.test_governance_commands import (
    AG_EXP,
    AG_FP,
    TABLE,
    in_desk,
    in_moderation,
    make_roster,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Sent:
    def __init__(self) -> None:
        self.asked: list[tuple[str, int | None]] = []

    async def send_document(
        self, invocation: Invocation, document: str, version: int | None
    ) -> SentDocument:
        self.asked.append((document, version))
        return SentDocument("Matriz.docx", version or 3, 3, "Plan")


async def ask(invocation: Invocation) -> str:
    try:
        bound = TABLE.bind(invocation.body, invocation)
        reply = await bound.run(services(fetching=Sent()), invocation)
    except Refusal as refusal:
        reply = refusal.reply()
    return reply.text


def in_direct(body: str, sender: str, role: Role) -> Invocation:
    return Invocation(sender, "!dm:example.org", "$command", body, 0, 0, role, DIRECT)


async def test_get_in_the_desk_the_direct_room_and_the_moderation_room() -> None:
    assert (await ask(in_desk("!get Matriz"))).startswith(
        "Matriz.docx, version 3 (the current one), from the folder “Plan”"
    )
    older = await ask(in_moderation("!get Matriz.docx 2"))
    assert older.startswith("Matriz.docx, version 2 (the current one is version 3)")
    assert "readable on the sessions you have now" in older
    assert (await ask(in_direct("!get Matriz", AG_EXP, Role.EXPERT))).startswith("Matriz.docx")


async def test_get_is_refused_in_the_plenary() -> None:
    plenary = Invocation(
        AG_FP, "!p:example.org", "$c", "!get Matriz", 0, 0, Role.FOCAL_POINT, "plenary"
    )
    with pytest.raises(Refused) as refused:
        await ask(plenary)
    assert "!get is used in a direct message with the bot or your desk" in refused.value.reply.text


def test_the_help_lists_get_where_it_may_be_used() -> None:
    names = {c.name for c in TABLE.allowed(in_desk("!help"))}
    assert "get" in names
    direct = {c.name for c in TABLE.allowed(in_direct("!help", AG_EXP, Role.EXPERT))}
    assert "get" in direct


# -- the shell ----------------------------------------------------------------------------------


class FakeGateway:
    def __init__(self) -> None:
        self.files: list[tuple[str, str, dict[str, Any], str | None, str | None]] = []
        self.refreshed: list[str] = []

    async def refresh_keys(self, user_ids: list[str]) -> None:
        self.refreshed += user_ids

    async def send_file(
        self,
        room_id: str,
        filename: str,
        file: dict[str, Any],
        size: int,
        mimetype: str,
        *,
        txn_id: str | None = None,
        thread_root: str | None = None,
    ) -> str:
        self.files.append((room_id, filename, file, txn_id, thread_root))
        return "$file"


class FakeRoster:
    def __init__(self, roster: Roster) -> None:
        self.roster = roster

    async def __call__(self) -> Roster | None:
        return self.roster


@pytest.fixture
async def fetcher(tmp_path: Path) -> AsyncIterator[tuple[DocumentFetcher, FakeGateway, list[str]]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await db.migrate()
    registry = Registry(db)
    for n in (1, 2):
        published = await registry.publish(
            folder="plan",
            title="Matriz",
            file_name="Matriz.docx",
            symbol=None,
            classification="public",
            language="es",
            sha256=str(n) * 64,
            size=10 * n,
            mimetype=DOCX,
            publisher="@chair:example.org",
            source_event_id=f"$publish{n}",
        )
        await registry.posted(published.id, "!plan", f"$posted{n}", {"url": f"mxc://x/v{n}"})
    gateway = FakeGateway()
    forgotten: list[str] = []

    def keys_changed(users: Iterable[str]) -> None:
        forgotten.extend(users)

    roster = FakeRoster(make_roster())
    tools = DocumentTools(registry, FileStore(tmp_path / "files"), cast(Any, None), cast(Any, None))
    yield (
        DocumentFetcher(
            gateway=cast(Any, gateway),
            tools=tools,
            folders=FolderNames(roster),
            roster=roster,
            platform=PLATFORM,
            keys_changed=keys_changed,
        ),
        gateway,
        forgotten,
    )
    await db.close()


async def test_the_file_goes_to_the_askers_room_in_the_commands_thread(
    fetcher: tuple[DocumentFetcher, FakeGateway, list[str]],
) -> None:
    service, gateway, forgotten = fetcher
    sent = await service.send_document(in_desk("!get matriz"), "matriz", None)
    assert (sent.file_name, sent.version, sent.current) == ("Matriz.docx", 2, 2)
    room, name, file, txn, thread = gateway.files[-1]
    assert (room, name, file["url"], thread) == ("!desk-AG:example.org", "Matriz.docx",
                                                 "mxc://x/v2", "$command")  # fmt: skip
    assert txn is not None and txn.startswith("plenaria-get-")
    # The asker's keys are asked afresh: the session made after the document gets its key.
    assert forgotten == [AG_FP] and gateway.refreshed == [AG_FP]
    first = await service.send_document(in_desk("!get Matriz.docx 1"), "Matriz.docx", 1)
    assert (first.version, first.current) == (1, 2)
    assert gateway.files[-1][2]["url"] == "mxc://x/v1"


async def test_the_refusals(fetcher: tuple[DocumentFetcher, FakeGateway, list[str]]) -> None:
    service, gateway, _ = fetcher
    with pytest.raises(NoSuchDocument) as unknown:
        await service.send_document(in_desk("!get Nada"), "Nada", None)
    assert "!get" in unknown.value.reason and "!documents" in unknown.value.reason
    with pytest.raises(NoSuchVersion) as version:
        await service.send_document(in_desk("!get Matriz 7"), "Matriz", 7)
    assert version.value.reason == (
        "Matriz.docx has no version 7; its versions are 1 to 2 (!get Matriz.docx sends the "
        "current one)."
    )
    # An expert reads no folder unless the roster says `experts_read_folders` (R12).
    expert = in_direct("!get Matriz", AG_EXP, Role.EXPERT)
    with pytest.raises(NotYourFolder) as folder:
        await service.send_document(expert, "Matriz", None)
    assert "!get" in folder.value.reason
    stranger = in_direct("!get Matriz", UserId("@who:example.org"), Role.OUTSIDER)
    with pytest.raises(NotYourFolder):
        await service.send_document(stranger, "Matriz", None)
    assert gateway.files == []

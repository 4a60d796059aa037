"""The bot sends nothing into a room it does not see as end-to-end encrypted (SPEC §2; issue #9:
a redacted `m.room.encryption` reads as no encryption, and nio would then send plaintext), and
a report it could not send for that reason is in the audit log. No homeserver: the gateway is
refused before it would reach one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from nio import MatrixRoom

from bot.governance.directory import RoomDirectory
from bot.governance.reconciler import Reconciler
from bot.governance.service import Governance
from bot.matrix.errors import HomeserverUnreachable, NotEncrypted
from bot.matrix.gateway import Gateway
from bot.runtime.settings import load_settings
from bot.storage.database import Database, RoomRepository
from commands.reply import Reply
from room_policies.roles import DelegationCode, Platform, RoomKind, UserId
from room_policies.rooms import RoomRef

BOT = UserId("@plenaria:example.org")
PLATFORM = Platform(BOT, UserId("@plenaria-warden:example.org"))
NOWHERE = "http://127.0.0.1:9"  # nothing listens there: a send that got past the check fails
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("AG"))
AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    gateway = Gateway(NOWHERE, BOT, "unused", tmp_path / "store", "test")
    yield gateway
    await gateway.close()


def signed_in(gateway: Gateway) -> Gateway:
    # The saved device, as `Gateway.start` restores it (nio loads its E2EE store, offline).
    gateway.client.restore_login(BOT, "BOTDEVICE", "token")
    assert gateway.client.olm is not None
    return gateway


def room(gateway: Gateway, room_id: str, *, encrypted: bool) -> str:
    gateway.client.rooms[room_id] = MatrixRoom(room_id, BOT, encrypted=encrypted)
    return room_id


async def test_the_bot_sends_nothing_into_a_room_it_does_not_see_as_encrypted(
    gateway: Gateway,
) -> None:
    signed_in(gateway)
    plain = room(gateway, "!plain:example.org", encrypted=False)
    for room_id in (plain, "!unknown:example.org"):
        assert not gateway.encrypted(room_id)
        with pytest.raises(NotEncrypted) as refused:
            await gateway.send_notice(room_id, Reply.plain("The report of a breach."))
        assert refused.value.code == "not_encrypted" and refused.value.room_id == room_id
    # An encrypted room gets past the check (and fails only for want of a homeserver).
    encrypted = room(gateway, "!encrypted:example.org", encrypted=True)
    assert gateway.encrypted(encrypted)
    with pytest.raises(HomeserverUnreachable):
        await gateway.send_notice(encrypted, Reply.plain("The report of a breach."))


async def test_an_account_without_encryption_sends_nothing(tmp_path: Path) -> None:
    # The warden's gateway: no E2EE at all, so no room is encrypted as it sees it.
    warden = Gateway(NOWHERE, PLATFORM.warden_id, "unused", tmp_path / "w", "w", encryption=False)
    try:
        warden.client.restore_login(PLATFORM.warden_id, "WARDENDEVICE", "token")
        room_id = room(warden, "!experts:example.org", encrypted=True)
        with pytest.raises(NotEncrypted):
            await warden.send(room_id, "m.room.message", {"body": "x"}, None)
    finally:
        await warden.close()


async def test_a_report_not_sent_in_plaintext_is_audited(gateway: Gateway, tmp_path: Path) -> None:
    (tmp_path / "bot-password").write_text("unused", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "homeserver_url": NOWHERE,
                "server_name": "example.org",
                "data_dir": str(tmp_path / "data"),
                "bot": {"user_id": BOT, "password_file": str(tmp_path / "bot-password")},
            }
        ),
        encoding="utf-8",
    )
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await db.migrate()
    try:
        reconciler = Reconciler(
            bot=gateway,
            warden=None,
            directory=RoomDirectory(RoomRepository(db), PLATFORM),
            platform=PLATFORM,
            server_name="example.org",
        )
        desk = room(signed_in(gateway), "!desk:example.org", encrypted=False)
        await reconciler.directory.record(AG_DESK, desk)
        governance = Governance(
            settings=load_settings(config),
            db=db,
            bot=gateway,
            reconciler=reconciler,
            rooms=reconciler.directory,
            platform=PLATFORM,
        )
        with pytest.raises(NotEncrypted):
            await governance.report(
                AG_EXPERTS, lambda _: Reply.plain("⚠ In the experts room of Antigua and Barbuda …")
            )
        [record] = await governance.audit_latest(5)
        assert (record.actor, record.room, record.target) == (BOT, AG_DESK.key, AG_EXPERTS.key)
        assert (record.decision, record.rule) == ("refused", "R27")
        assert "plaintext" in record.reason
        assert "⚠" not in record.reason  # the report's words stay out of the log
    finally:
        await db.close()

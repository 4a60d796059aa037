"""SIGKILL in the middle of provisioning 35 delegations, then a restart, then the database lost:
no duplicate room, and every room complete (issue #3)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from bot.demo.synapse_server import LocalSynapse, free_port
from bot.governance.directory import RoomDirectory
from bot.governance.reconciler import Reconciler
from bot.matrix.gateway import Gateway
from bot.runtime.settings import load_settings
from bot.storage.database import Database, RoomRepository
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import load_roster
from tests.integration import bot_database
from tests.integration.conftest import BotProcess
from tests.integration.working_group import OAS, WorkingGroup, wait_for

# SQLite only: what survives the SIGKILL is Matrix's room markers, not the database (the test
# even loses the database), and 35 delegations take two minutes; `--stacks=all` runs it on both.
pytestmark = pytest.mark.stacks("sqlite")


def rooms_recorded(database_url: str) -> int:
    return bot_database.count(database_url, "governed_rooms")


async def provisioned(http_port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{http_port}/metrics") as resp,
        ):
            return "plenaria_provisioned 1.0" in await resp.text()
    except aiohttp.ClientError:
        return False


async def test_sigkill_during_provisioning_leaves_no_duplicate_and_no_half_room(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    assert len(OAS) == 35
    group = WorkingGroup(synapse, tmp_path, OAS)
    await group.create_accounts()
    http_port = free_port()
    config = group.write_config(http_port)
    settings = load_settings(config)
    database = settings.database_url
    bot = BotProcess(config, http_port)
    bot.start()
    try:
        await wait_for(lambda: rooms_recorded(database) >= 20, 120, "20 rooms made")
        bot.kill()
        made_before_kill = rooms_recorded(database)
        assert made_before_kill < 2 * len(OAS) + 7, "killed too late to mean anything"
        bot.start()
        await bot.healthy()
        await wait_for(lambda: provisioned(http_port), 180, "provisioning after the restart")
        # Then the database is lost: the platform finds its rooms again by their markers.
        bot.terminate()
        bot_database.lose(database)
        bot.start()
        await bot.healthy()
        await wait_for(lambda: provisioned(http_port), 180, "provisioning with a new database")
        assert rooms_recorded(database) == 2 * len(OAS) + 7
    finally:
        bot.terminate()

    # Check from Matrix itself, as the platform's own accounts (their saved devices).
    roster = load_roster(
        (tmp_path / "roster.yaml").read_text(),
        settings.server_name,
        bot_id=group.id("bot"),
        warden_id=group.id("warden"),
    )
    gateways = [
        Gateway(
            synapse.url,
            *group.accounts[seat],
            settings.data_dir / "matrix" / seat,
            "check",
            encryption=False,
        )
        for seat in ("bot", "warden")
    ]
    db = Database(settings.database_url)
    try:
        for gateway in gateways:
            await gateway.start()
        markers: Counter[RoomRef] = Counter()
        reconciler = Reconciler(
            bot=gateways[0],
            warden=gateways[1],
            directory=RoomDirectory(RoomRepository(db), group.platform),
            platform=group.platform,
            server_name=settings.server_name,
        )
        for gateway in gateways:
            rooms = await gateway.joined_rooms()
            found = await asyncio.gather(*(reconciler._marker_of(gateway, r) for r in rooms))
            markers.update(ref for ref in found if ref is not None)
        assert set(markers) == set(desired_rooms(roster))
        assert max(markers.values()) == 1, [ref.key for ref, n in markers.items() if n > 1]
        # Every room complete: a dry run finds nothing to change.
        assert await reconciler.reconcile(roster, dry_run=True) == []
    finally:
        for gateway in gateways:
            await gateway.close()
        await db.close()

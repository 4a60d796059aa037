"""SIGKILL of the bot right after a proposal is uploaded: after the restart, exactly one receipt
and one filed copy (issue #5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nio import RoomEncryptedFile

from bot.demo.synapse_server import LocalSynapse, free_port
from bot.runtime.settings import load_settings
from tests.integration import bot_database
from tests.integration.conftest import BotProcess
from tests.integration.test_documents_flow import AG, BASE
from tests.integration.working_group import WorkingGroup, wait_for

# The ledger that makes a restart answer once is plenaria's database: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")


def _handled(database_url: str) -> set[str]:
    """The event ids the bot's ledger says it handled."""
    ledger = bot_database.rows(database_url, "select event_id from handled_events")
    return {row[0] for row in ledger}


async def test_sigkill_after_an_upload_gives_one_receipt_and_one_copy(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    group = WorkingGroup(synapse, tmp_path, ("AG",))
    await group.create_accounts()
    http_port = free_port()
    config = group.write_config(http_port)
    bot = BotProcess(config, http_port)
    bot.start()
    try:
        await bot.healthy()
        settings = load_settings(config)
        # The rooms exist once the chair and the focal point are invited to them.

        async def invited() -> bool:
            return len(await (await group.as_http("ag.fp")).invited_rooms()) >= 6

        await wait_for(invited, 120, "the focal point's invitations")
        await group.accept_invites(["chair", "ag.fp"])
        chair = await group.matrix_user("chair")
        ag = await group.matrix_user("ag.fp")
        rooms = {r.display_name: rid for rid, r in chair.client.rooms.items()}
        moderation, plenary = rooms["Moderation"], rooms["Plenary"]
        published = await chair.send_file(moderation, BASE, "Matriz.docx", "!publish plan")
        assert "Published" in (await chair.wait_reply(published, timeout=90)).body

        sent = await ag.send_file(plenary, AG, "AG_Matriz.docx")
        bot.kill()
        bot.start()
        await bot.healthy()
        receipt = await ag.wait_reply(sent, timeout=120)
        assert receipt.body.startswith("Receipt: AG_Matriz.docx")
        plan = next(
            rid for rid, r in ag.client.rooms.items() if r.display_name == "Inter-American Plan"
        )

        def copies() -> list[object]:
            return [
                ev
                for rid, ev in ag.events
                if rid == plan
                and isinstance(ev, RoomEncryptedFile)
                and ev.source["content"].get("filename") == "AG_Matriz.docx"
            ]

        await wait_for(lambda: bool(copies()), 60, "the filed copy")
        # A positive marker instead of a fixed wait: a command sent after the restart has been
        # answered, and the bot had handled the upload again, if ever, before it (the upload
        # came first in the plenary's timeline, and the ledger says it was handled).
        marker = await ag.send_text(plenary, "!status")
        status = await ag.wait_reply(marker, timeout=60)
        assert "AG_Matriz.docx" in status.body
        assert sent in _handled(settings.database_url)
        assert len(ag.replies_to(sent)) == 1
        assert len(copies()) == 1
    finally:
        bot.terminate()
        await group.stop()
    assert bot_database.count(settings.database_url, "proposals") == 1

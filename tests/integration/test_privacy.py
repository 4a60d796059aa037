"""What delegates write never lies in the clear on the homeserver or in the bot's database."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.integration.test_ping import room_with_bot


def _files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


async def test_no_plaintext_of_messages_or_commands_at_rest(
    synapse, make_user, start_bot, tmp_path
) -> None:
    bot = await start_bot()
    alice = await make_user("alice")
    room_id = await room_with_bot(alice, bot)
    chat = f"confidential position {secrets.token_hex(8)}"
    command = f"!help {secrets.token_hex(8)}"

    await alice.send_text(room_id, chat)
    reply = await alice.wait_reply(await alice.send_text(room_id, command))
    assert command.split()[1] in reply.body  # the bot read it, so it was delivered

    for needle in (chat, command, reply.body):
        raw = needle.encode()
        assert _files_holding(synapse.directory, raw) == [], "plaintext on the homeserver"
        assert _files_holding(tmp_path, raw) == [], "plaintext in the bot's files"


async def test_a_delegate_cannot_change_their_display_name(make_user) -> None:
    from nio import ProfileSetDisplayNameError

    alice = await make_user("alice")
    result = await alice.client.set_displayname("Not really Alice")
    assert isinstance(result, ProfileSetDisplayNameError)
    assert result.status_code == "M_FORBIDDEN"

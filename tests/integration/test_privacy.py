"""What delegates write never lies in the clear on the homeserver or in the bot's database: in
their files, and on the postgresql stack in Synapse's and the bot's PostgreSQL databases too."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml

from tests.integration.test_ping import room_with_bot

pytestmark = pytest.mark.stacks("sqlite", "postgresql")


def _files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _databases_at_rest(synapse, bot, stack: str, request: pytest.FixtureRequest) -> bytes:
    """pg_dump of Synapse's database and of the bot's (b"" on the sqlite stack: their files are
    in the folders the test reads)."""
    if stack != "postgresql":
        return b""
    postgres = request.getfixturevalue("postgres")
    config = yaml.safe_load(synapse.config_path.read_text(encoding="utf-8"))
    names = [config["database"]["args"]["dbname"], bot.app.settings.database_url.rsplit("/", 1)[1]]
    dumps = [postgres.dump(name) for name in names]
    assert all(b"CREATE TABLE" in dump for dump in dumps)
    return b"\n".join(dumps)


async def test_no_plaintext_of_messages_or_commands_at_rest(
    synapse, stack, request, make_user, start_bot, tmp_path
) -> None:
    bot = await start_bot()
    alice = await make_user("alice")
    room_id = await room_with_bot(alice, bot)
    chat = f"confidential position {secrets.token_hex(8)}"
    command = f"!help {secrets.token_hex(8)}"

    await alice.send_text(room_id, chat)
    reply = await alice.wait_reply(await alice.send_text(room_id, command))
    assert command.split()[1] in reply.body  # the bot read it, so it was delivered

    databases = _databases_at_rest(synapse, bot, stack, request)
    for needle in (chat, command, reply.body):
        raw = needle.encode()
        assert _files_holding(synapse.directory, raw) == [], "plaintext on the homeserver"
        assert _files_holding(tmp_path, raw) == [], "plaintext in the bot's files"
        assert raw not in databases, "plaintext in a PostgreSQL database"


async def test_a_delegate_cannot_change_their_display_name(make_user) -> None:
    from nio import ProfileSetDisplayNameError

    alice = await make_user("alice")
    result = await alice.client.set_displayname("Not really Alice")
    assert isinstance(result, ProfileSetDisplayNameError)
    assert result.status_code == "M_FORBIDDEN"

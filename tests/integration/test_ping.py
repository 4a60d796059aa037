"""Commands end to end: an encrypted room, a command, a decrypted threaded notice."""

from __future__ import annotations

from typing import Protocol

import pytest
from nio import RoomMessageNotice

from commands.builtin import builtin_commands
from commands.reply import Reply
from commands.table import CommandTable, Invocation, NoArgs, command
from tests.integration.conftest import RunningBot
from tests.integration.matrix_user import MatrixUser

pytestmark = pytest.mark.stacks("sqlite", "postgresql")


async def room_with_bot(user: MatrixUser, bot: RunningBot) -> str:
    room_id = await user.create_encrypted_room([bot.user_id])
    await user.wait_joined(room_id, bot.user_id)
    return room_id


async def test_ping_gets_a_threaded_encrypted_notice(make_user, start_bot) -> None:
    bot = await start_bot()
    alice = await make_user("alice")
    room_id = await room_with_bot(alice, bot)

    event_id = await alice.send_text(room_id, "!ping")
    reply = await alice.wait_reply(event_id)

    assert isinstance(reply, RoomMessageNotice)
    assert reply.decrypted, "the reply must arrive end-to-end encrypted"
    assert reply.body.startswith("pong (")
    assert reply.body.endswith(" ms)")
    content = reply.source["content"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert content["m.relates_to"]["rel_type"] == "m.thread"
    assert content["m.relates_to"]["event_id"] == event_id


async def test_help_unknown_command_and_usage(make_user, start_bot) -> None:
    bot = await start_bot()
    alice = await make_user("alice")
    room_id = await room_with_bot(alice, bot)

    help_reply = await alice.wait_reply(await alice.send_text(room_id, "!help"))
    assert "!ping" in help_reply.body and "!help" in help_reply.body
    assert "<ul>" in help_reply.source["content"]["formatted_body"]

    typo = await alice.wait_reply(await alice.send_text(room_id, "!pnig"))
    assert "Did you mean !ping?" in typo.body

    usage = await alice.wait_reply(await alice.send_text(room_id, "!ping now please"))
    assert "Usage: !ping" in usage.body

    # Plain chat is not a command and gets no answer; the next command still does.
    chat = await alice.send_text(room_id, "good morning, colleagues")
    pong = await alice.wait_reply(await alice.send_text(room_id, "!ping"))
    assert pong.body.startswith("pong")
    assert alice.replies_to(chat) == []


class _Nothing(Protocol):
    pass


def _itself(services: object) -> object:
    return services


async def _boom(deps: _Nothing, invocation: Invocation, args: NoArgs) -> Reply:
    raise RuntimeError("a handler that fails")


async def test_a_failing_handler_answers_with_a_reference_and_the_bot_goes_on(
    make_user, start_bot
) -> None:
    table = CommandTable(
        [*builtin_commands(), command("boom", "always fails", NoArgs, _boom, needs=_itself)]
    )
    bot = await start_bot(commands=table)
    alice = await make_user("alice")
    room_id = await room_with_bot(alice, bot)

    failed = await alice.wait_reply(await alice.send_text(room_id, "!boom"))
    assert failed.body.startswith("Internal error (ref ")
    pong = await alice.wait_reply(await alice.send_text(room_id, "!ping"))
    assert pong.body.startswith("pong")
    assert bot.app.metrics.errors._value.get() == 1


async def test_history_before_the_bot_joined_is_not_taken_as_commands(make_user, start_bot) -> None:
    bot = await start_bot()
    alice = await make_user("alice")
    room_id = await alice.create_encrypted_room([])
    old = await alice.send_text(room_id, "!ping")
    await alice.client.room_invite(room_id, bot.user_id)
    await alice.wait_joined(room_id, bot.user_id)
    new = await alice.send_text(room_id, "!ping")
    await alice.wait_reply(new)
    assert alice.replies_to(old) == []

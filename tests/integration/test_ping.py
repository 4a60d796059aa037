"""The foundation end to end: an encrypted room, a command, a decrypted threaded reply."""

from __future__ import annotations

from nio import RoomMessageNotice

from tests.integration.conftest import RunningBot
from tests.integration.matrix_user import MatrixUser


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
    content = reply.source["content"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert content["m.relates_to"]["rel_type"] == "m.thread"
    assert content["m.relates_to"]["event_id"] == event_id

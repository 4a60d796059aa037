"""E2EE beyond nio: the bot cross-signs its device; commands whose key arrives late still run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nio import ShareGroupSessionResponse
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import verify_signed_json
from unpaddedbase64 import decode_base64

from tests.integration.conftest import query_keys
from tests.integration.test_ping import room_with_bot

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")


def _verify(obj: dict, user_id: str, public: str) -> None:
    key = decode_verify_key_bytes(f"ed25519:{public}", decode_base64(public))
    verify_signed_json(obj, user_id, key)  # raises SignatureVerifyException if wrong


async def test_keys_query_shows_the_bot_device_signed_by_its_self_signing_key(
    synapse, make_user, start_bot
) -> None:
    bot = await start_bot()
    observer = await make_user("observer")
    keys = await query_keys(synapse.url, observer, bot.user_id)

    master = keys["master_keys"][bot.user_id]
    ssk = keys["self_signing_keys"][bot.user_id]
    assert master["usage"] == ["master"]
    assert ssk["usage"] == ["self_signing"]
    (master_public,) = master["keys"].values()
    (ssk_public,) = ssk["keys"].values()
    _verify(ssk, bot.user_id, master_public)

    device = keys["device_keys"][bot.user_id][bot.app.gateway.device_id]
    assert f"ed25519:{ssk_public}" in device["signatures"][bot.user_id]
    _verify(device, bot.user_id, ssk_public)


async def test_cross_signing_is_idempotent_across_restarts(start_bot) -> None:
    from bot.matrix.e2ee import ensure_cross_signed

    bot = await start_bot()
    first = await ensure_cross_signed(bot.app.gateway)
    again = await ensure_cross_signed(bot.app.gateway)
    assert first == again


async def test_a_command_whose_room_key_arrives_late_is_answered_once(make_user, start_bot) -> None:
    bot = await start_bot()
    alice = await make_user("alice")
    room_id = await room_with_bot(alice, bot)

    # Hold back alice's room-key to-device messages: the bot gets the event, not the key.
    client = alice.client
    original = client._send
    held: list[tuple[Any, ...]] = []

    async def holding_send(
        response_class: Any,
        method: str,
        path: str,
        data: Any = None,
        response_data: Any = None,
        **kwargs: Any,
    ) -> Any:
        if response_class is ShareGroupSessionResponse:
            held.append((method, path, data, response_data))
            room, sharing_with = response_data
            response = ShareGroupSessionResponse(room, set(sharing_with))
            await client.receive_response(response)
            return response
        return await original(response_class, method, path, data, response_data, **kwargs)

    client._send = holding_send
    event_id = await alice.send_text(room_id, "!ping")
    client._send = original
    assert held, "the room key should have been held back"

    deadline = asyncio.get_running_loop().time() + 20
    while len(bot.app.router.undecrypted) == 0:
        assert asyncio.get_running_loop().time() < deadline, "the bot never queued the event"
        await asyncio.sleep(0.2)
    assert alice.replies_to(event_id) == []
    assert len(await bot.app.db.pending()) == 1

    for method, path, data, response_data in held:
        await original(ShareGroupSessionResponse, method, path, data, response_data)

    reply = await alice.wait_reply(event_id)
    assert reply.body.startswith("pong")
    await alice.wait_reply(await alice.send_text(room_id, "!ping"))
    assert len(alice.replies_to(event_id)) == 1
    assert len(bot.app.router.undecrypted) == 0
    assert await bot.app.db.pending() == []


async def test_the_warden_has_no_device_keys_and_keeps_its_device(
    synapse, make_account, make_user, tmp_path
) -> None:
    from bot.runtime.app import build_app
    from bot.runtime.settings import load_settings
    from tests.integration.conftest import RunningBot, write_bot_config

    bot_id, bot_password = await make_account("bot")
    warden_id, warden_password = await make_account("warden")
    config = write_bot_config(
        tmp_path / "bot", synapse, bot_id, bot_password, warden=(warden_id, warden_password)
    )
    observer = await make_user("observer")
    devices, masters = [], []
    for _ in range(2):  # a restart must restore the same warden device, still without keys
        bot = await RunningBot(build_app(load_settings(config))).ready()
        assert bot.app.warden is not None
        devices.append(bot.app.warden.device_id)
        keys = await query_keys(synapse.url, observer, warden_id)
        assert keys["device_keys"].get(warden_id, {}) == {}
        # SPEC §2: a sealed cross-signing identity, made once; its private keys kept nowhere.
        masters.append(keys["master_keys"][warden_id]["keys"])
        assert not list((tmp_path / "bot").rglob("warden/cross_signing*"))
        await bot.stop()
    assert devices[0] == devices[1]
    assert masters[0] == masters[1]

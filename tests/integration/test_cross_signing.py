"""The bot's device is cross-signed by the bot, so Element trusts it (SPEC §1, issue #2)."""

from __future__ import annotations

from signedjson.key import decode_verify_key_bytes
from signedjson.sign import verify_signed_json
from unpaddedbase64 import decode_base64

from tests.integration.conftest import query_keys


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
    from bot.e2ee import ensure_cross_signed

    bot = await start_bot()
    first = await ensure_cross_signed(bot.app.gateway)
    again = await ensure_cross_signed(bot.app.gateway)
    assert first == again

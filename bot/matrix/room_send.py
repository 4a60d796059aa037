"""Sending into an encrypted room in two steps: encrypt under the room's lock, send outside it.

nio's `room_send` encrypts and then waits for the homeserver, and the gateway serialises a
room's sends (so that its megolm session is shared once, after the trust check). Holding the
room's lock for the homeserver's answer as well made a busy room's sends queue one after
another: at a deadline, 35 receipts in the plenary went out half a second apart
(`tests/benchmarks/bench_intake.py`). Here the lock covers only what must be ordered — the
members, their keys, the session's sharing and the encryption itself — and the event is then
`PUT` with its transaction id while the next one is encrypted. Each task still awaits its own
send, so one reply's several messages keep their order.
"""

from __future__ import annotations

import asyncio
from typing import Any

from nio import AsyncClient

from bot.matrix.client_server import ClientServerApi, path_quote
from bot.matrix.errors import MatrixError

# As nio's own `max_limit_exceeded` for the bot's client (bot/matrix/gateway.py).
RATE_LIMITED_RETRIES = 5
_DEFAULT_RETRY_MS = 1000
_MAX_RETRY_MS = 30_000


async def ready_to_encrypt(client: AsyncClient, room_id: str) -> None:
    """What nio's `room_send` does before it encrypts: the room's members loaded, their device
    keys queried, and the room's megolm session shared with their devices (once, if another
    task is sharing it already)."""
    olm = client.olm
    room = client.rooms.get(room_id)
    if olm is None or room is None:
        return  # `client.encrypt` then says why it cannot encrypt
    if not room.members_synced:
        await client.joined_members(room_id)
        if client.should_query_keys:
            await client.keys_query()
    if olm.should_share_group_session(room_id):
        sharing = client.sharing_session.get(room_id)
        if sharing is not None:
            await sharing.wait()
        else:
            await client.share_group_session(room_id, ignore_unverified_devices=True)


async def put_event(
    api: ClientServerApi, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
) -> str:
    """`PUT /rooms/{room}/send/{type}/{txn}` (idempotent by its transaction id), waiting as the
    homeserver asks when it limits the rate; the new event's id."""
    path = (
        f"/_matrix/client/v3/rooms/{path_quote(room_id)}/send/{path_quote(event_type)}/"
        + path_quote(txn_id)
    )
    for attempt in range(RATE_LIMITED_RETRIES + 1):
        status, data = await api.request("PUT", path, content)
        event_id = data.get("event_id")
        if status == 200 and isinstance(event_id, str):
            return event_id
        code = str(data.get("errcode", status))
        if status != 429 or attempt == RATE_LIMITED_RETRIES:
            raise MatrixError("send", code, str(data.get("error", "")))
        wait_ms = data.get("retry_after_ms")
        if not isinstance(wait_ms, int) or wait_ms <= 0:
            wait_ms = _DEFAULT_RETRY_MS
        await asyncio.sleep(min(wait_ms, _MAX_RETRY_MS) / 1000)
    raise AssertionError("unreachable")  # pragma: no cover

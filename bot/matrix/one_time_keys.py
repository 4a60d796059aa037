"""The device's one-time keys on the homeserver, replaced when they may not be the store's own.

Other devices claim one of the bot's one-time keys (`/keys/claim`) to open an Olm session with it,
the channel room keys travel in; nio publishes a new one for each one claimed, numbered on from a
counter in the device's account (vodozemac). A store older than the device the homeserver knows
(one brought back by `plenaria restore`, or any older copy of the data folder) has the counter as
it was: the homeserver still holds keys the newer store published, with ids the older one will
use again. Synapse refuses such an upload ("One time key signed_curve25519:… already exists",
errcode M_UNKNOWN), and it hands out its oldest keys first: keys whose private half the device
no longer has, so whoever claims one opens a session the bot cannot read.

No client can delete keys on the homeserver, but a claim removes the key it returns, and a device
may claim its own: `renew` claims them until none is left and then publishes a full batch of new
ones, so every key handed out from then on is the store's own. It runs at the first start after
`plenaria restore` (which leaves `RENEW_MARKER` in the store) and whenever an upload is refused
because an id is taken, whatever the cause. A sender that claimed a lost key before that has a
session the bot cannot open: its key share fails to decrypt, nio marks that device "wedged",
opens a new session to it and sends it a dummy message, and the bot asks for the room key again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nio import AsyncClient, ErrorResponse, KeysUploadResponse

from bot.matrix.errors import MatrixError

log = logging.getLogger(__name__)

# Left in a device's store by `plenaria restore`: replace its one-time keys at the next start.
RENEW_MARKER = "renew-one-time-keys"
ALGORITHM = "signed_curve25519"
# Synapse keeps at most 500 one-time keys a device and algorithm; nio keeps 50 there.
MAX_CLAIMS = 500

Request = Callable[[str, str, dict[str, Any] | None], Awaitable[tuple[int, dict[str, Any]]]]


def mark_for_renewal(store_dir: Path) -> None:
    """Have the device whose store this is replace its one-time keys when it next starts."""
    if store_dir.is_dir():
        (store_dir / RENEW_MARKER).touch(mode=0o600)


def renewal_pending(store_dir: Path) -> bool:
    return (store_dir / RENEW_MARKER).exists()


def id_taken(response: object) -> bool:
    """Was a keys upload refused because the homeserver holds another key under one of its ids?"""
    return isinstance(response, ErrorResponse) and "already exists" in str(response.message)


async def drain(request: Request, user_id: str, device_id: str) -> int:
    """Claim the device's own one-time keys, one a request, until the homeserver has none left;
    how many it held."""
    claimed = 0
    wanted = {"one_time_keys": {user_id: {device_id: ALGORITHM}}}
    for _ in range(MAX_CLAIMS):
        status, body = await request("POST", "/_matrix/client/v3/keys/claim", wanted)
        if status != 200:
            raise MatrixError("keys claim", str(status), str(body.get("errcode", "")))
        keys = body.get("one_time_keys", {}).get(user_id, {}).get(device_id) or {}
        # A fallback key (nio uploads none) would be handed out again and again: not one-time.
        if not keys or any(isinstance(k, dict) and k.get("fallback") for k in keys.values()):
            break
        claimed += 1
    return claimed


async def renew(client: AsyncClient, request: Request) -> None:
    """Replace every one-time key the homeserver holds for the device with new ones."""
    olm = client.olm
    if olm is None or not olm.account.shared:
        return  # nothing published yet: the first upload publishes the device's own
    removed = await drain(request, str(client.user_id), str(client.device_id))
    # Keys made for an upload the homeserver refused are dropped (their ids may be taken);
    # a full batch of new ones goes up, numbered on from them.
    olm.mark_keys_as_published()
    olm.uploaded_key_count = 0
    response = await client.keys_upload()
    if not isinstance(response, KeysUploadResponse):
        code = response.status_code if isinstance(response, ErrorResponse) else "unexpected"
        raise MatrixError("keys upload", str(code), "after renewing the one-time keys")
    log.warning(
        "replaced the one-time keys of device %s: %d on the homeserver may not have been this "
        "store's own (an older store, e.g. a restored backup); %d new ones published",
        client.device_id,
        removed,
        response.signed_curve25519_count,
    )

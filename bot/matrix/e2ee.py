"""End-to-end encryption beyond what nio does alone.

- Cross-signing of the bot's own device: Element's "exclude insecure devices" mode neither shares
  room keys with nor shows messages from a device its owner has not cross-signed. nio has no
  helper, so this module makes the master, self-signing and user-signing keys (kept under the
  store, mode 0600), uploads them (`/keys/device_signing/upload`, with password UIA when Synapse
  asks) and signs the device (`/keys/signatures/upload`). Idempotent: a start whose keys are
  already on the server and whose device is already signed sends nothing.
- The undecryptable-event queue: a command whose room key has not arrived yet is kept (ciphertext
  only, in the database) and retried after every sync, so a late key loses nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from nio import Event, MegolmEvent
from nio.exceptions import EncryptionError
from signedjson.key import (
    decode_signing_key_base64,
    encode_signing_key_base64,
    encode_verify_key_base64,
    generate_signing_key,
    get_verify_key,
)
from signedjson.sign import sign_json

from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from bot.matrix.private_files import write_private
from bot.storage.database import Database, PendingEvent

log = logging.getLogger(__name__)

CROSS_SIGNING_FILE = "cross_signing.json"
USAGES = ("master", "self_signing", "user_signing")


@dataclass(frozen=True)
class CrossSigningKeys:
    """The three private keys, as unpadded base64 seeds."""

    seeds: dict[str, str]

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(
            {usage: encode_signing_key_base64(generate_signing_key("0")) for usage in USAGES}
        )

    def signing_key(self, usage: str) -> Any:
        # The key id of a cross-signing key is its own public key: decode once to learn it,
        # then again with that as the "version" so signedjson writes `ed25519:<public key>`.
        probe = decode_signing_key_base64("ed25519", "0", self.seeds[usage])
        public = encode_verify_key_base64(get_verify_key(probe))
        return decode_signing_key_base64("ed25519", public, self.seeds[usage])

    def public(self, usage: str) -> str:
        return str(self.signing_key(usage).version)

    def key_object(self, user_id: str, usage: str) -> dict[str, Any]:
        public = self.public(usage)
        obj: dict[str, Any] = {
            "user_id": user_id,
            "usage": [usage],
            "keys": {f"ed25519:{public}": public},
        }
        if usage != "master":
            obj = sign_json(obj, user_id, self.signing_key("master"))
        return obj


def _load_keys(path: Path) -> CrossSigningKeys | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return CrossSigningKeys({usage: str(data[usage]) for usage in USAGES})


def own_cross_signing_keys(store_dir: Path) -> CrossSigningKeys:
    """The account's private cross-signing keys kept in its store (made and saved, mode 0600, the
    first time): the same identity for every device the account ever signs."""
    path = store_dir / CROSS_SIGNING_FILE
    keys = _load_keys(path)
    if keys is None:
        keys = CrossSigningKeys.generate()
        write_private(path, json.dumps(keys.seeds))
    return keys


def _signed_by(obj: dict[str, Any], user_id: str, public: str) -> bool:
    return f"ed25519:{public}" in obj.get("signatures", {}).get(user_id, {})


# A raw client-server call: (method, path, body) -> (status, JSON body).
Requester = Callable[[str, str, dict[str, Any] | None], Awaitable[tuple[int, dict[str, Any]]]]


async def ensure_cross_signed(gateway: Gateway) -> str:
    """Make sure the bot's device is signed by its own self-signing key; returns the master key."""
    keys = own_cross_signing_keys(gateway.store_dir)
    await cross_sign_device(
        gateway.request, gateway.user_id, gateway.device_id, gateway.password, keys
    )
    return keys.public("master")


async def cross_sign_device(
    request: Requester, user_id: str, device_id: str, password: str, keys: CrossSigningKeys
) -> None:
    """Upload `keys` as the account's cross-signing identity unless they already are, and sign
    `device_id` with the self-signing key unless it already is. Idempotent."""
    published = await _keys_query(request, user_id)
    server_master = published.get("master_keys", {}).get(user_id, {}).get("keys", {})
    if f"ed25519:{keys.public('master')}" not in server_master:
        await upload_cross_signing_keys(request, user_id, password, keys)
        published = await _keys_query(request, user_id)
        log.info("uploaded cross-signing keys for %s", user_id)
    device = published.get("device_keys", {}).get(user_id, {}).get(device_id)
    if device is None:
        raise MatrixError("cross-signing", "no_device_keys", f"device {device_id} has no keys")
    ssk = keys.public("self_signing")
    if not _signed_by(device, user_id, ssk):
        unsigned = {k: v for k, v in device.items() if k not in ("signatures", "unsigned")}
        signed = sign_json(unsigned, user_id, keys.signing_key("self_signing"))
        status, body = await request(
            "POST", "/_matrix/client/v3/keys/signatures/upload", {user_id: {device_id: signed}}
        )
        failures = body.get("failures") or {}
        if status != 200 or failures:
            raise MatrixError("signatures upload", str(status), json.dumps(failures)[:200])
        log.info("cross-signed device %s", device_id)


async def seal_identity(gateway: Gateway) -> str:
    """Give the warden a cross-signing identity whose private keys nobody keeps (SPEC §2).

    The warden never has device keys; an identity of its own, whose private keys are destroyed
    right after the upload, means no device of the warden can ever look cross-signed by its
    owner — not even one the operator makes — without a visible identity reset, which the
    platform watches for. Returns the sealed master key; an account that already has one keeps
    it (the caller compares it with the one it recorded)."""
    published = await _keys_query(gateway.request, gateway.user_id)
    current = published.get("master_keys", {}).get(gateway.user_id, {}).get("keys", {})
    if current:
        return str(next(iter(current.values())))
    keys = CrossSigningKeys.generate()
    await upload_cross_signing_keys(gateway.request, gateway.user_id, gateway.password, keys)
    master = keys.public("master")
    del keys  # the seeds lived only in this frame; nothing wrote them anywhere
    log.info("sealed the cross-signing identity of %s", gateway.user_id)
    return master


def http_requester(session: aiohttp.ClientSession, homeserver: str, token: str) -> Requester:
    """A `Requester` for an account known only by its access token (test users, the demo's
    simulated delegates)."""

    async def request(
        method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"}
        async with session.request(
            method, homeserver.rstrip("/") + path, json=body, headers=headers
        ) as resp:
            data = await resp.json(content_type=None)
            return resp.status, data if isinstance(data, dict) else {}

    return request


async def _keys_query(request: Requester, user_id: str) -> dict[str, Any]:
    status, data = await request(
        "POST", "/_matrix/client/v3/keys/query", {"device_keys": {user_id: []}}
    )
    if status != 200:
        raise MatrixError("keys query", str(status), str(data.get("errcode", "")))
    return data


async def upload_cross_signing_keys(
    request: Requester, user_id: str, password: str, keys: CrossSigningKeys
) -> None:
    """Make `keys` the account's cross-signing identity (replacing any it had), answering
    Synapse's user-interactive auth with the password when it asks."""
    body: dict[str, Any] = {
        "master_key": keys.key_object(user_id, "master"),
        "self_signing_key": keys.key_object(user_id, "self_signing"),
        "user_signing_key": keys.key_object(user_id, "user_signing"),
    }
    path = "/_matrix/client/v3/keys/device_signing/upload"
    status, answer = await request("POST", path, body)
    if status == 401 and "session" in answer:
        # User-interactive auth: replacing keys (or older Synapse) asks for the password.
        body["auth"] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": password,
            "session": answer["session"],
        }
        status, answer = await request("POST", path, body)
    if status != 200:
        raise MatrixError("device signing upload", str(status), str(answer.get("errcode", "")))


class UndecryptedQueue:
    """Events waiting for their room key; persisted as ciphertext, retried after each sync."""

    MAX_AGE_S = 7 * 24 * 3600

    def __init__(self, gateway: Gateway, db: Database) -> None:
        self._gateway = gateway
        self._db = db
        self._waiting: dict[str, tuple[str, MegolmEvent]] = {}
        self._requested: set[str] = set()

    def __len__(self) -> int:
        return len(self._waiting)

    async def load(self) -> None:
        for pending in await self._db.pending():
            event = MegolmEvent.from_dict(json.loads(pending.source))
            if isinstance(event, MegolmEvent):
                event.room_id = pending.room_id
                self._waiting[pending.event_id] = (pending.room_id, event)

    async def add(self, room_id: str, event: MegolmEvent) -> None:
        if event.event_id in self._waiting:
            return
        event.room_id = room_id
        self._waiting[event.event_id] = (room_id, event)
        await self._db.add_pending(
            PendingEvent(event.event_id, room_id, event.session_id, json.dumps(event.source))
        )
        if event.session_id not in self._requested:
            self._requested.add(event.session_id)
            try:
                await self._gateway.client.request_room_key(event)
            except Exception:  # a key request is best effort; the sender's client may answer
                log.debug("room key request failed", exc_info=True)

    async def retry(self) -> list[tuple[str, Event]]:
        """Decrypt what now can be; give up on events older than a week."""
        done: list[tuple[str, Event]] = []
        now_ms = time.time() * 1000
        for event_id, (room_id, event) in list(self._waiting.items()):
            try:
                decrypted = self._gateway.client.decrypt_event(event)
            except EncryptionError:
                if now_ms - event.server_timestamp > self.MAX_AGE_S * 1000:
                    log.warning("giving up on undecryptable event %s", event_id)
                    await self.forget(event_id)
                continue
            decrypted.room_id = room_id
            done.append((room_id, decrypted))
            # The database row stays until the router has handled the event (`forget`).
            self._waiting.pop(event_id, None)
        return done

    async def forget(self, event_id: str) -> None:
        """Drop the event for good: handled, or too old to ever be decrypted."""
        self._waiting.pop(event_id, None)
        await self._db.drop_pending(event_id)

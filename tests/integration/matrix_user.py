"""A real end-to-end-encrypted Matrix user for the tests (matrix-nio with vodozemac)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadResponse,
    Event,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessage,
    RoomSendResponse,
    SyncResponse,
    ToDeviceResponse,
    UploadResponse,
)
from nio.crypto.attachments import decrypt_attachment

from bot.matrix.e2ee import (
    CrossSigningKeys,
    cross_sign_device,
    http_requester,
    own_cross_signing_keys,
)


class MatrixUser:
    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.user_id = user_id
        self.password = password
        self.client = AsyncClient(
            homeserver,
            user_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True),
        )
        self.events: list[tuple[str, Event]] = []
        self._new = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.identity: CrossSigningKeys | None = None

    async def login(self, *, cross_sign: bool = True) -> MatrixUser:
        """Log in as a new device; unless told otherwise, the device is cross-signed by its owner,
        as Element does once a person verifies a session (the platform acts only on those)."""
        resp = await self.client.login(self.password, device_name="test device")
        assert isinstance(resp, LoginResponse), resp
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if cross_sign:
            await self.cross_sign()
        await self.sync_once(timeout=0)
        self._task = asyncio.create_task(self._loop())
        return self

    async def cross_sign(self, keys: CrossSigningKeys | None = None) -> CrossSigningKeys:
        """Sign this device with the account's cross-signing identity (a new one unless `keys`
        is given, e.g. the identity another session of the same person holds)."""
        if keys is None:
            # The same person keeps one identity across sessions (kept in the store).
            keys = self.identity or own_cross_signing_keys(self.store)
        async with aiohttp.ClientSession() as session:
            request = http_requester(session, self.client.homeserver, self.client.access_token)
            await cross_sign_device(
                request, self.user_id, str(self.client.device_id), self.password, keys
            )
        self.identity = keys
        return keys

    async def request_room_key(self, owner: str, event: MegolmEvent) -> None:
        """Ask `owner`'s devices for the key of `event`, as a client asking the message's sender
        does (the older matrix-js-sdk crypto did; nio's `request_room_key` and Element's Rust
        crypto ask only their own user's devices), and take the key back from the device that
        created the session (nio alone takes forwarded keys only from its own user's devices)."""
        olm = self.client.olm
        assert olm is not None
        sent = await self.client.to_device(event.as_key_request(owner, str(self.client.device_id)))
        assert isinstance(sent, ToDeviceResponse), sent
        own_rule = olm._should_accept_forward

        def from_creator(sender: str, sender_key: str, forwarded: Any) -> bool:
            creator = forwarded.source.get("content", {}).get("sender_key")
            if sender == owner and creator == sender_key:
                return forwarded.session_id in olm.outgoing_key_requests
            return bool(own_rule(sender, sender_key, forwarded))

        olm._should_accept_forward = from_creator  # type: ignore[method-assign]

    async def sync_once(self, timeout: int = 1000) -> None:
        resp = await self.client.sync(timeout=timeout, full_state=False)
        if not isinstance(resp, SyncResponse):
            await asyncio.sleep(0.5)
            return
        for room_id, info in resp.rooms.join.items():
            for event in info.timeline.events:
                self.events.append((room_id, event))
        c = self.client
        if c.should_upload_keys:
            await c.keys_upload()
        if c.should_query_keys:
            await c.keys_query()
        if c.should_claim_keys:
            await c.keys_claim(c.get_users_for_key_claiming())
        await c.send_to_device_messages()
        # Retry what arrived before its key.
        for i, (room_id, event) in enumerate(self.events):
            if isinstance(event, MegolmEvent):
                with contextlib.suppress(Exception):
                    decrypted = c.decrypt_event(event)
                    self.events[i] = (room_id, decrypted)
        self._new.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.sync_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.5)

    async def wait_for(
        self, predicate: Callable[[str, Event], bool], timeout: float = 30.0
    ) -> tuple[str, Event]:
        deadline = time.monotonic() + timeout
        while True:
            for room_id, event in self.events:
                if predicate(room_id, event):
                    return room_id, event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the awaited event did not arrive")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), timeout=min(remaining, 1.0))

    def replies_to(self, event_id: str) -> list[Event]:
        out = []
        for _, event in self.events:
            if not isinstance(event, RoomMessage):
                continue
            rel = event.source.get("content", {}).get("m.relates_to", {})
            if rel.get("m.in_reply_to", {}).get("event_id") == event_id:
                out.append(event)
        return out

    async def wait_reply(self, event_id: str, timeout: float = 30.0) -> Event:
        def is_reply(_: str, event: Event) -> bool:
            rel = event.source.get("content", {}).get("m.relates_to", {})
            return (
                isinstance(event, RoomMessage)
                and rel.get("m.in_reply_to", {}).get("event_id") == event_id
            )

        return (await self.wait_for(is_reply, timeout))[1]

    async def create_encrypted_room(self, invite: list[str], name: str = "test") -> str:
        resp = await self.client.room_create(
            name=name,
            invite=invite,
            initial_state=[
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        )
        assert isinstance(resp, RoomCreateResponse), resp
        return str(resp.room_id)

    async def wait_joined(self, room_id: str, user_id: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            room = self.client.rooms.get(room_id)
            if room is not None and user_id in room.users:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"{user_id} did not join {room_id}")

    async def send_text(self, room_id: str, body: str, **extra: Any) -> str:
        content = {"msgtype": "m.text", "body": body, **extra}
        for _ in range(3):
            # Make sure the bot's newest device is known before encrypting to it.
            await self.client.keys_query() if self.client.should_query_keys else None
            resp = await self.client.room_send(
                room_id, "m.room.message", content, ignore_unverified_devices=True
            )
            if isinstance(resp, RoomSendResponse):
                return str(resp.event_id)
            await asyncio.sleep(0.5)
        raise AssertionError(f"could not send: {resp}")

    async def send_file(
        self, room_id: str, data: bytes, filename: str, caption: str | None = None
    ) -> str:
        """Upload `data` encrypted and post it as an m.file (with a caption: MSC2530)."""
        resp, keys = await self.client.upload(
            lambda *_: io.BytesIO(data),
            content_type="application/octet-stream",
            encrypt=True,
            filesize=len(data),
        )
        assert isinstance(resp, UploadResponse), resp
        assert keys is not None
        content = {
            "msgtype": "m.file",
            "body": caption or filename,
            "filename": filename,
            "file": {**keys, "url": resp.content_uri},
            "info": {
                "size": len(data),
                "mimetype": "application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document",
            },
        }
        for _ in range(3):
            await self.client.keys_query() if self.client.should_query_keys else None
            sent = await self.client.room_send(
                room_id, "m.room.message", content, ignore_unverified_devices=True
            )
            if isinstance(sent, RoomSendResponse):
                return str(sent.event_id)
            await asyncio.sleep(0.5)
        raise AssertionError(f"could not send the file: {sent}")

    async def download(self, event: Event) -> bytes:
        """The decrypted bytes of an encrypted file event."""
        file = event.source["content"]["file"]
        resp = await self.client.download(mxc=file["url"])
        assert isinstance(resp, DownloadResponse), resp
        return bytes(
            decrypt_attachment(resp.body, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
        )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

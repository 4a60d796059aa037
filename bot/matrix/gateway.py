"""The one place that calls nio: login or restore, sync, send, files, join and leave.

nio reports failures as response *values*; the gateway turns each into a raised `MatrixError`
(bot/matrix/errors.py), so no caller can log "joined" after a join that failed. A room's
encryptions are serialised (one `asyncio.Lock` each) so that its megolm session is shared once,
after the trust check; the homeserver's answers are awaited side by side
(bot/matrix/room_send.py). What nio lacks (room state, invites, kicks, raw key queries) the
gateway calls over plain HTTP, as the `ClientServerApi` it also is (bot/matrix/client_server.py).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadResponse,
    ErrorResponse,
    JoinResponse,
    KeysQueryResponse,
    KeysUploadResponse,
    LoginResponse,
    RoomLeaveResponse,
    RoomMessagesResponse,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)
from nio.crypto.attachments import decrypt_attachment

from bot.matrix import one_time_keys, room_send
from bot.matrix.client_server import ClientServerApi
from bot.matrix.errors import HomeserverUnreachable, MatrixError, NotEncrypted
from bot.matrix.private_files import write_private
from commands.reply import Reply

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def _expect(response: object, expected: type[_T], what: str) -> _T:
    if isinstance(response, expected):
        return response
    if isinstance(response, ErrorResponse):
        raise MatrixError(what, str(response.status_code), str(response.message))
    raise MatrixError(what, "unexpected", type(response).__name__)


def new_txn() -> str:
    return uuid.uuid4().hex


def _in_thread(thread_root: str, in_reply_to: str) -> dict[str, Any]:
    """`m.relates_to` of a message in the thread of `thread_root`, answering `in_reply_to` (with
    the reply fallback for clients that show no threads)."""
    return {
        "rel_type": "m.thread",
        "event_id": thread_root,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": in_reply_to},
    }


@dataclass(frozen=True)
class Credentials:
    user_id: str
    device_id: str
    access_token: str


class Gateway(ClientServerApi):
    """A logged-in, end-to-end-encrypted Matrix account of the platform."""

    def __init__(
        self,
        homeserver: str,
        user_id: str,
        password: str,
        store_dir: Path,
        device_name: str,
        *,
        encryption: bool = True,
    ) -> None:
        super().__init__(homeserver, lambda: str(self.client.access_token))
        self.user_id = user_id
        self._password = password
        self.store_dir = store_dir
        self.device_name = device_name
        store_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(store_dir, 0o700)
        config = AsyncClientConfig(
            encryption_enabled=encryption,
            store_sync_tokens=False,  # the platform's database keeps the token (with its ledger)
            max_timeouts=0,  # connection errors surface at once; the sync loop backs off
            max_limit_exceeded=5,
            request_timeout=60,
        )
        self.client = AsyncClient(
            self.homeserver, user_id, store_path=str(store_dir), config=config
        )
        self._room_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Called (under the room's lock) before anything is encrypted in a room: the trust
        # service excludes the sessions their owners did not verify (bot/governance/trust.py).
        self.before_send: Callable[[str], Awaitable[None]] | None = None

    @property
    def credentials_path(self) -> Path:
        return self.store_dir / "credentials.json"

    @property
    def device_id(self) -> str:
        return str(self.client.device_id)

    @property
    def password(self) -> str:
        return self._password

    async def start(self) -> Credentials:
        """Restore the saved device, or log in once and save it; never a new device per start."""
        saved = self._load_credentials()
        if saved is not None:
            self.client.restore_login(saved.user_id, saved.device_id, saved.access_token)
            who = await self._reach(self.client.whoami(), "whoami")
            if isinstance(who, WhoamiResponse):
                creds = saved
                log.info("restored device %s of %s", saved.device_id, saved.user_id)
            elif isinstance(who, ErrorResponse) and who.status_code in (
                "M_UNKNOWN_TOKEN",
                "M_MISSING_TOKEN",
            ):
                # The token was revoked (e.g. a password reset): log in again *as the same
                # device*, so the E2EE store stays valid.
                log.warning("saved access token was rejected; logging in again as the same device")
                creds = await self._login()
                await self._republish_lost_device_keys()
            else:
                raise MatrixError("whoami", str(getattr(who, "status_code", "?")))
        else:
            creds = await self._login()
            # The platform's account starts with this one session: any other (e.g. the one that
            # registering the account made) goes, so that from now on a session the platform did
            # not make stands out (bot/governance/platform_watch.py).
            await self._delete_other_devices(creds.device_id)
        if one_time_keys.renewal_pending(self.store_dir):
            # The first start of a restored store: the homeserver may hold keys it lacks.
            await self._reach(one_time_keys.renew(self.client, self.request), "keys upload")
            (self.store_dir / one_time_keys.RENEW_MARKER).unlink()
        if self.client.should_upload_keys:
            await self.upload_keys()
        return creds

    async def _login(self) -> Credentials:
        resp = await self._reach(self.client.login(self._password, self.device_name), "login")
        login = _expect(resp, LoginResponse, "login")
        creds = Credentials(login.user_id, login.device_id, login.access_token)
        write_private(
            self.credentials_path,
            json.dumps(
                {
                    "user_id": creds.user_id,
                    "device_id": creds.device_id,
                    "access_token": creds.access_token,
                    "homeserver": self.homeserver,
                }
            ),
        )
        log.info("logged in as %s, device %s", creds.user_id, creds.device_id)
        return creds

    async def _delete_other_devices(self, own: str) -> None:
        status, body = await self.request("GET", "/_matrix/client/v3/devices")
        others = [
            str(d["device_id"])
            for d in body.get("devices") or []
            if isinstance(d, dict) and d.get("device_id") != own
        ]
        if status != 200 or not others:
            return
        path = "/_matrix/client/v3/delete_devices"
        status, answer = await self.request("POST", path, {"devices": others})
        if status == 401 and "session" in answer:
            status, answer = await self.request(
                "POST",
                path,
                {
                    "devices": others,
                    "auth": {
                        "type": "m.login.password",
                        "identifier": {"type": "m.id.user", "user": self.user_id},
                        "password": self._password,
                        "session": answer["session"],
                    },
                },
            )
        if status != 200:
            raise MatrixError("delete devices", str(status), str(answer.get("errcode", "")))
        log.info("signed out %d earlier session(s) of %s", len(others), self.user_id)

    async def _republish_lost_device_keys(self) -> None:
        """After signing in again as the same device: a session revoked with its device (a
        sign-out, a password reset, the admin API) took the device's keys off the homeserver,
        and nio still believes them published. Publish them again (the same keys: the E2EE
        store stays valid), or no client would encrypt to the platform again."""
        olm = self.client.olm
        if olm is None:
            return
        keys = await self.keys_of(self.user_id)
        published = keys.get("device_keys", {}).get(self.user_id, {})
        if self.device_id not in published:
            log.warning(
                "device %s had lost its keys on the homeserver; publishing them again",
                self.device_id,
            )
            olm.account.shared = False

    def _load_credentials(self) -> Credentials | None:
        try:
            data = json.loads(self.credentials_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        if data.get("user_id") != self.user_id:
            raise MatrixError(
                "restore", "wrong_store", f"{self.credentials_path} belongs to another account"
            )
        return Credentials(data["user_id"], data["device_id"], data["access_token"])

    async def _reach(self, call: Any, what: str) -> Any:
        try:
            return await call
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise HomeserverUnreachable(what, "unreachable", type(exc).__name__) from None

    async def upload_keys(self) -> None:
        resp = await self._reach(self.client.keys_upload(), "keys upload")
        if one_time_keys.id_taken(resp):
            # The homeserver holds keys this store did not make (bot/matrix/one_time_keys.py).
            await self._reach(one_time_keys.renew(self.client, self.request), "keys upload")
            return
        _expect(resp, KeysUploadResponse, "keys upload")

    async def sync(
        self, since: str | None, timeout_ms: int, full_state: bool, timeline_limit: int = 100
    ) -> SyncResponse:
        resp = await self._reach(
            self.client.sync(
                timeout=timeout_ms,
                since=since,
                full_state=full_state,
                sync_filter={"room": {"timeline": {"limit": timeline_limit}}},
            ),
            "sync",
        )
        sync = _expect(resp, SyncResponse, "sync")
        await self.after_sync()
        return sync

    async def after_sync(self) -> None:
        """The key housekeeping nio's sync_forever would do: upload, query, claim, to-device."""
        client = self.client
        if client.should_upload_keys:
            await self.upload_keys()
        if client.should_query_keys:
            _expect(
                await self._reach(client.keys_query(), "keys query"),
                KeysQueryResponse,
                "keys query",
            )
        if client.should_claim_keys:
            await self._reach(client.keys_claim(client.get_users_for_key_claiming()), "claim")
        await self._reach(client.send_to_device_messages(), "to-device")

    def encrypted(self, room_id: str) -> bool:
        """Does this account see the room as end-to-end encrypted (and can it encrypt)?"""
        room = self.client.rooms.get(room_id)
        return self.client.olm is not None and room is not None and bool(room.encrypted)

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str | None
    ) -> str:
        """Send an event into a room, encrypted; raises `NotEncrypted` rather than send
        plaintext (nio would send it as is into a room it does not see as encrypted)."""
        if not self.encrypted(room_id):
            log.error("not sending into %s: not end-to-end encrypted as the bot sees it", room_id)
            raise NotEncrypted(room_id)
        async with self._room_locks[room_id]:
            if self.before_send is not None:
                await self.before_send(room_id)
            await self._reach(room_send.ready_to_encrypt(self.client, room_id), "send")
            sent_type, encrypted = self.client.encrypt(room_id, event_type, content)
        # The homeserver's answer is awaited outside the lock (bot/matrix/room_send.py).
        return await room_send.put_event(self, room_id, sent_type, encrypted, txn_id or new_txn())

    async def send_notice(
        self,
        room_id: str,
        reply: Reply,
        *,
        in_reply_to: str | None = None,
        thread_root: str | None = None,
        txn_id: str | None = None,
    ) -> str:
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": reply.text,
            "format": "org.matrix.custom.html",
            "formatted_body": reply.html,
            "m.mentions": {},
        }
        if in_reply_to is not None:
            content["m.relates_to"] = _in_thread(thread_root or in_reply_to, in_reply_to)
        return await self.send(room_id, "m.room.message", content, txn_id)

    async def older_events(
        self, room_id: str, token: str, not_before_ms: int, max_pages: int = 20
    ) -> list[Any]:
        """Events before `token` back to `not_before_ms`, oldest first (filling a sync gap)."""
        found: list[Any] = []
        for _ in range(max_pages):
            resp = await self._reach(
                self.client.room_messages(room_id, start=token, limit=100), "messages"
            )
            page = _expect(resp, RoomMessagesResponse, "messages")
            found.extend(e for e in page.chunk if e.server_timestamp >= not_before_ms)
            if not page.chunk or not page.end or page.chunk[-1].server_timestamp < not_before_ms:
                break
            token = page.end
        found.reverse()
        return found

    # -- files (always end-to-end encrypted: the homeserver stores ciphertext only) ---------

    async def upload_encrypted(self, data: bytes, filename: str, mimetype: str) -> dict[str, Any]:
        """Encrypt and upload; the `file` object of an encrypted m.file (url, key, iv, hashes)."""
        resp, keys = await self._reach(
            self.client.upload(
                lambda *_: io.BytesIO(data),
                content_type="application/octet-stream",
                filename=None,
                encrypt=True,
                filesize=len(data),
            ),
            "upload",
        )
        upload = _expect(resp, UploadResponse, "upload")
        if keys is None:
            raise MatrixError("upload", "unencrypted")
        return {**keys, "url": upload.content_uri}

    async def send_file(
        self,
        room_id: str,
        filename: str,
        file: dict[str, Any],
        size: int,
        mimetype: str,
        *,
        txn_id: str | None = None,
        thread_root: str | None = None,
    ) -> str:
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": filename,
            "filename": filename,
            "file": file,
            "info": {"size": size, "mimetype": mimetype},
            "m.mentions": {},
        }
        if thread_root is not None:
            content["m.relates_to"] = _in_thread(thread_root, thread_root)
        return await self.send(room_id, "m.room.message", content, txn_id)

    async def download_encrypted(self, file: dict[str, Any], max_bytes: int) -> bytes:
        """Download and decrypt an encrypted attachment (refusing more than `max_bytes`)."""
        url = str(file.get("url", ""))
        if not url.startswith("mxc://"):
            raise MatrixError("download", "bad_url")
        resp = await self._reach(self.client.download(mxc=url), "download")
        download = _expect(resp, DownloadResponse, "download")
        body = download.body if isinstance(download.body, bytes) else bytes(download.body)
        if len(body) > max_bytes:
            raise MatrixError("download", "too_large")
        try:
            return bytes(
                decrypt_attachment(body, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MatrixError("download", "undecryptable", type(exc).__name__) from None

    async def refresh_keys(self, user_ids: list[str]) -> None:
        """Fetch these users' device keys now (e.g. someone who just joined), so that what is
        sent next is encrypted to their devices too."""
        olm = self.client.olm
        if olm is None:
            return
        olm.users_for_key_query.update(user_ids)
        if self.client.should_query_keys:
            _expect(
                await self._reach(self.client.keys_query(), "keys query"),
                KeysQueryResponse,
                "keys query",
            )

    async def join(self, room_id: str) -> None:
        resp = await self._reach(self.client.join(room_id), "join")
        _expect(resp, JoinResponse, f"join {room_id}")

    async def leave(self, room_id: str) -> None:
        resp = await self._reach(self.client.room_leave(room_id), "leave")
        _expect(resp, RoomLeaveResponse, f"leave {room_id}")

    async def close(self) -> None:
        await super().close()
        await self.client.close()

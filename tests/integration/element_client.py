"""Element's own crypto in the tests: matrix-js-sdk (Rust crypto, WebAssembly) in a Node process.

`ElementClient` drives `tests/element/bridge.mjs` over JSON lines: one request a line on stdin,
one answer a line on stdout, the bridge's logs in a file. The client behaves as Element does in
its "exclude insecure devices" mode (`OnlySignedDevicesIsolationMode`): it shares room keys only
with devices cross-signed by their owner, and shows no message sent from any other device (it
reports a decryption failure, e.g. `UNSIGNED_SENDER_DEVICE`, instead). `isolation=ALL_DEVICES`
gives matrix-js-sdk's default instead, Element's when "exclude insecure devices" is off: every
device of every member gets the room keys.

    element = await ElementClient.open(homeserver, user_id, password, log_path)
    await element.login()                    # ElementError(errcode, status) when refused
    await element.start_sync()
    await element.bootstrap_cross_signing()  # its own device, cross-signed by its owner
    await element.accept_invites()           # joins every room it is (and will be) invited to
    event_id = (await element.send_text(room_id, "hello")).event_id
    seen = await element.wait_for_message(room_id, body_contains="pong")
    await element.close()

`open_element(...)` does the first five steps; the `make_element` fixture (conftest) calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ELEMENT_DIR = Path(__file__).resolve().parents[1] / "element"
BRIDGE = ELEMENT_DIR / "bridge.mjs"

# Decryption failure codes of matrix-js-sdk (`DecryptionFailureCode`) that the tests name.
UNSIGNED_SENDER_DEVICE = "UNSIGNED_SENDER_DEVICE"
UNKNOWN_SENDER_DEVICE = "UNKNOWN_SENDER_DEVICE"
UNKNOWN_SESSION = "MEGOLM_UNKNOWN_INBOUND_SESSION_ID"

# Whom the client encrypts to (matrix-js-sdk's device isolation modes, as Element names them).
EXCLUDE_INSECURE = "exclude_insecure"  # "exclude insecure devices": owner-signed devices only
ALL_DEVICES = "all_devices"  # the SDK's default (the setting off): every device of every member


class ElementError(Exception):
    """An operation the bridge refused or that failed (a Matrix error keeps errcode and status)."""

    def __init__(self, op: str, error: dict[str, Any]) -> None:
        super().__init__(op, error)
        self.op = op
        self.message = str(error.get("message", ""))
        self.errcode: str | None = error.get("errcode")
        self.status: int | None = error.get("status")
        self.code: str | None = error.get("code")  # "timeout" for waits that ran out
        self.name: str | None = error.get("name")  # the JavaScript error's class, if not Error
        self.data: dict[str, Any] = dict(error.get("data") or {})  # a Matrix error's whole body

    def __str__(self) -> str:
        what = " ".join(str(x) for x in (self.errcode, self.status, self.code, self.name) if x)
        return (
            f"{self.op} refused ({what}): {self.message}" if what else f"{self.op}: {self.message}"
        )


@dataclass(frozen=True)
class ElementEvent:
    """An event as the Element client sees it (decrypted when it could be)."""

    event_id: str
    room_id: str
    type: str
    sender: str
    content: dict[str, Any]
    encrypted: bool
    decryption_failure: str | None  # None: shown; otherwise matrix-js-sdk's reason code

    @classmethod
    def of(cls, data: dict[str, Any]) -> ElementEvent:
        return cls(
            event_id=data["event_id"],
            room_id=data["room_id"],
            type=data["type"],
            sender=data["sender"],
            content=dict(data.get("content") or {}),
            encrypted=bool(data["encrypted"]),
            decryption_failure=data.get("decryption_failure"),
        )

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def format(self) -> str | None:
        return self.content.get("format")

    @property
    def formatted_body(self) -> str | None:
        return self.content.get("formatted_body")

    @property
    def msgtype(self) -> str | None:
        return self.content.get("msgtype")

    @property
    def relates_to(self) -> dict[str, Any]:
        return dict(self.content.get("m.relates_to") or {})


@dataclass(frozen=True)
class Sent:
    """A message the client sent, and the to-device traffic that sending it caused.

    `olm_sent_to` lists, by user, the devices the client sent Olm-encrypted to-device messages to
    while it sent this message (the room key, when a new one was shared); `withheld` the devices
    it told, by code (e.g. `m.unverified`), that it withholds the key from.
    """

    event_id: str
    olm_sent_to: dict[str, list[str]] = field(default_factory=dict)
    withheld: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Sent:
        return cls(
            event_id=str(data["event_id"]),
            olm_sent_to=dict(data.get("olm_sent_to") or {}),
            withheld=dict(data.get("withheld") or {}),
        )


@dataclass(frozen=True)
class Device:
    device_id: str
    display_name: str | None
    signed_by_owner: bool  # what "exclude insecure devices" requires of a device
    cross_signing_verified: bool  # signed by its owner, and the owner verified by this client
    locally_verified: bool

    @classmethod
    def of(cls, data: dict[str, Any]) -> Device:
        return cls(
            device_id=data["device_id"],
            display_name=data.get("display_name"),
            signed_by_owner=bool(data["signed_by_owner"]),
            cross_signing_verified=bool(data["cross_signing_verified"]),
            locally_verified=bool(data["locally_verified"]),
        )


class ElementClient:
    """One matrix-js-sdk client for one account, in its own Node process."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        homeserver: str,
        user_id: str,
        password: str,
        log_path: Path,
        isolation: str = EXCLUDE_INSECURE,
    ) -> None:
        self.process = process
        self.isolation = isolation
        self.homeserver = homeserver
        self.user_id = user_id
        self.password = password
        self.log_path = log_path
        self.device_id: str | None = None
        self.sdk_version: str | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(
        cls,
        homeserver: str,
        user_id: str,
        password: str,
        log_path: Path,
        timeout: float = 60.0,
        *,
        isolation: str = EXCLUDE_INSECURE,
    ) -> ElementClient:
        """Start the bridge (node_modules must be installed: `make element`). `isolation` is
        whom the session will encrypt to: EXCLUDE_INSECURE (the tests' default) or ALL_DEVICES
        (matrix-js-sdk's default, Element's with "exclude insecure devices" off)."""
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed for the Element client (see `make element`)")
        if not (ELEMENT_DIR / "node_modules" / "matrix-js-sdk").is_dir():
            raise RuntimeError("matrix-js-sdk is not installed: run `make element`")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                node,
                str(BRIDGE),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                cwd=ELEMENT_DIR,
                limit=16 * 1024 * 1024,
            )
        client = cls(process, homeserver, user_id, password, log_path, isolation)
        client._reader = asyncio.create_task(client._read())
        try:
            ready = await asyncio.wait_for(asyncio.shield(client._ready), timeout)
        except BaseException:
            await client.close()
            raise
        client.sdk_version = ready.get("sdk")
        return client

    async def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            while line := await self.process.stdout.readline():
                message = json.loads(line)
                if message.get("event") == "ready":
                    if not self._ready.done():
                        self._ready.set_result(message)
                    continue
                future = self._pending.pop(message.get("id"), None)
                if future is None or future.done():
                    continue
                if message.get("ok"):
                    future.set_result(message.get("result"))
                else:
                    future.set_exception(ElementError(message.get("op", ""), message["error"]))
        finally:
            gone = RuntimeError(f"the Element bridge exited; see {self.log_path}")
            if not self._ready.done():
                self._ready.set_exception(gone)
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(gone)
            self._pending.clear()

    async def request(self, op: str, timeout: float = 60.0, **args: Any) -> Any:
        """Send one operation and await its answer (raises ElementError when refused)."""
        assert self.process.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self.process.stdin.write(json.dumps({"id": request_id, "op": op, **args}).encode() + b"\n")
        await self.process.stdin.drain()
        try:
            return await asyncio.wait_for(future, timeout)
        except ElementError as err:
            err.op = op
            raise
        finally:
            self._pending.pop(request_id, None)

    # ---- the session ----------------------------------------------------------------------

    async def login(self, device_name: str = "Element (tests)") -> str:
        """Password login; a refusal raises ElementError with the errcode and HTTP status."""
        result = await self.request(
            "login",
            homeserver=self.homeserver,
            user=self.user_id,
            password=self.password,
            device_name=device_name,
            isolation=self.isolation,
        )
        self.device_id = str(result["device_id"])
        return self.device_id

    async def use_token(self, access_token: str) -> str:
        """A session from a token obtained elsewhere (e.g. the admin login API, with a device)."""
        result = await self.request(
            "use_token",
            homeserver=self.homeserver,
            access_token=access_token,
            isolation=self.isolation,
        )
        self.device_id = str(result["device_id"])
        return self.device_id

    async def bootstrap_cross_signing(self, password: str | None = None) -> dict[str, Any]:
        """A new cross-signing identity for the account (password UIA when the homeserver asks),
        this device signed by it. On an account that already has one, this is an identity reset.
        """
        result: dict[str, Any] = await self.request(
            "bootstrap_cross_signing", password=password or self.password or None
        )
        return result

    async def start_sync(self) -> None:
        await self.request("start_sync", timeout=120)

    async def accept_invites(self) -> list[str]:
        """Join the rooms it is invited to now, and from now on every new invitation."""
        result = await self.request("accept_invites")
        return list(result["joined"])

    async def join(self, room_id: str) -> None:
        await self.request("join", room_id=room_id)

    async def invite(self, room_id: str, user_id: str) -> None:
        await self.request("invite", room_id=room_id, user_id=user_id)

    async def create_encrypted_room(self, invite: list[str], name: str = "test") -> str:
        result = await self.request("create_room", invite=invite, name=name, encrypted=True)
        return str(result["room_id"])

    async def wait_joined(self, room_id: str, user_id: str, timeout: float = 30.0) -> None:
        await self.request(
            "wait_joined", room_id=room_id, user_id=user_id, timeout=timeout + 10, timeout_s=timeout
        )

    # ---- messages -------------------------------------------------------------------------

    async def send_text(
        self,
        room_id: str,
        body: str,
        *,
        thread_root: str | None = None,
        reply_to: str | None = None,
        html: str | None = None,
    ) -> Sent:
        """Send an m.text as Element does (encrypted in an encrypted room), in a thread if asked."""
        result = await self.request(
            "send_text",
            room_id=room_id,
            body=body,
            thread_root=thread_root,
            reply_to=reply_to,
            html=html,
        )
        return Sent.of(result)

    async def send_event(self, room_id: str, type: str, content: dict[str, Any]) -> Sent:
        """Any room event, encrypted as Element encrypts it when the room is encrypted."""
        result = await self.request("send_event", room_id=room_id, type=type, content=content)
        return Sent.of(result)

    async def send_state(
        self, room_id: str, type: str, content: dict[str, Any], state_key: str = ""
    ) -> str:
        result = await self.request(
            "send_state", room_id=room_id, type=type, content=content, state_key=state_key
        )
        return str(result["event_id"])

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        result = await self.request("redact", room_id=room_id, event_id=event_id, reason=reason)
        return str(result["event_id"])

    async def leave(self, room_id: str) -> None:
        await self.request("leave", room_id=room_id)

    async def wait_for_message(
        self,
        room_id: str | None = None,
        *,
        sender: str | None = None,
        event_id: str | None = None,
        type: str | None = None,
        msgtype: str | None = None,
        body_contains: str | None = None,
        relates_to: str | None = None,
        decryption_failure: str | None = None,
        timeout: float = 30.0,
    ) -> ElementEvent:
        """The first event (already seen or still to come) that matches every given field.

        By default only events the client shows (decrypted, or sent in the clear) match;
        `decryption_failure="any"` matches only events it could not decrypt, a code (e.g.
        UNSIGNED_SENDER_DEVICE) only that failure. `relates_to` is an event id the event replies
        to or relates to (a thread root, an edited event). TimeoutError when nothing came.
        """
        predicate = {
            "room_id": room_id,
            "sender": sender,
            "event_id": event_id,
            "type": type,
            "msgtype": msgtype,
            "body_contains": body_contains,
            "relates_to": relates_to,
            "decryption_failure": decryption_failure,
        }
        args = {k: v for k, v in predicate.items() if v is not None}
        try:
            result = await self.request(
                "wait_for_message", timeout=timeout + 10, **args, timeout_s=timeout
            )
        except ElementError as err:
            if err.code == "timeout":
                raise TimeoutError(f"no matching event within {timeout:.0f}s: {args}") from err
            raise
        return ElementEvent.of(result)

    async def messages(self, room_id: str) -> list[ElementEvent]:
        """Every non-state event of the room the client has seen, in arrival order."""
        result = await self.request("messages", room_id=room_id)
        return [ElementEvent.of(e) for e in result["events"]]

    async def encryption_info(self, event_id: str) -> tuple[str | None, str | None]:
        """The shield Element shows beside a message: (colour, reason), e.g. ("RED", ...)."""
        result = await self.request("encryption_info", event_id=event_id)
        return result["shield"], result["reason"]

    # ---- devices and identities -----------------------------------------------------------

    async def devices(self, user_id: str) -> list[Device]:
        """A user's devices as this client's crypto knows them (downloaded afresh if unknown)."""
        result = await self.request("devices", user_id=user_id)
        return [Device.of(d) for d in result["users"].get(user_id, [])]

    async def room_devices(self, room_id: str) -> dict[str, list[Device]]:
        """Every device of the room's members; the client encrypts only to the owner-signed ones."""
        result = await self.request("room_devices", room_id=room_id)
        return {user: [Device.of(d) for d in devices] for user, devices in result["users"].items()}

    async def key_recipients(self, room_id: str) -> dict[str, set[str]]:
        """The devices, by user, that this client shares the room's keys with (owner-signed)."""
        return {
            user: {d.device_id for d in devices if d.signed_by_owner}
            for user, devices in (await self.room_devices(room_id)).items()
        }

    async def user_verification(self, user_id: str) -> dict[str, Any]:
        """matrix-js-sdk's UserVerificationStatus of a user, as a dict."""
        result: dict[str, Any] = await self.request("user_verification", user_id=user_id)
        return result

    async def pin_identity(self, user_id: str) -> None:
        """Accept a user's new identity, as Element's "OK" on an identity-reset warning does."""
        await self.request("pin_identity", user_id=user_id)

    # ---- the end --------------------------------------------------------------------------

    async def close(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                await self.request("stop", timeout=10)
            if self.process.stdin is not None:
                with contextlib.suppress(Exception):
                    self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader


async def open_element(
    homeserver: str,
    user_id: str,
    password: str,
    log_path: Path,
    *,
    cross_sign: bool = True,
    accept_invites: bool = True,
    device_name: str = "Element (tests)",
    isolation: str = EXCLUDE_INSECURE,
) -> ElementClient:
    """A logged-in, syncing Element client; its device cross-signed by its owner unless asked."""
    element = await ElementClient.open(homeserver, user_id, password, log_path, isolation=isolation)
    try:
        await element.login(device_name)
        # Syncing first, as Element does, lets the crypto's own key queries finish (bootstrapping
        # before the first sync waits for them: ~3 s more).
        await element.start_sync()
        if cross_sign:
            status = await element.bootstrap_cross_signing()
            if not status["device_signed_by_owner"]:
                raise RuntimeError(f"{user_id}'s Element device is not cross-signed: {status}")
        if accept_invites:
            await element.accept_invites()
    except BaseException:
        await element.close()
        raise
    return element

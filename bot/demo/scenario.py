"""`plenaria demo --scenario`: a scripted round, played by simulated delegates.

Real end-to-end-encrypted clients (matrix-nio) log in as the demo's chair, a member of the
Technical Secretariat, three focal points and an expert, accept their invitations and do what
people do. First a round: the focal points of Antigua and Barbuda and Brazil upload proposals on
the published base and get receipts; Canada's is refused, with its reason (an edit made without
Track Changes); the chair compiles. Then languages and support: Brazil's focal point reads the
welcome, chooses Portuguese and asks for help; an expert of Antigua and Barbuda chooses Spanish
and writes to the Technical Secretariat with `!support`; the Secretariat answers the ticket in
the Support room and the expert reads the answer. Everything said is printed, and the documents
are written to `.demo/out/`, so a newcomer sees the whole job without a Matrix client.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
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
    InviteMemberEvent,
    LoginResponse,
    MegolmEvent,
    RoomEncryptedFile,
    RoomMessage,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)
from nio.crypto.attachments import decrypt_attachment

from bot.demo.documents import BASE_NAME, proposal
from bot.matrix.e2ee import cross_sign_device, http_requester, own_cross_signing_keys

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Delegate:
    """One simulated person: an E2EE client that accepts invitations and reads everything."""

    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.password = password
        self.client = AsyncClient(
            homeserver, user_id, store_path=str(store), config=AsyncClientConfig()
        )
        self.events: list[tuple[str, Event]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        resp = await self.client.login(self.password, device_name="plenaria scenario")
        if not isinstance(resp, LoginResponse):
            raise RuntimeError(f"{self.client.user_id} could not log in: {resp}")
        # The device's keys first, then the invitations: the platform encrypts what it sends a
        # newcomer to the devices it can see at that moment.
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        # Each simulated person cross-signs the new session with the identity they keep, as a
        # person does in Element: the platform acts only on sessions their owner has verified.
        async with aiohttp.ClientSession() as session:
            request = http_requester(session, self.client.homeserver, self.client.access_token)
            await cross_sign_device(
                request,
                self.client.user_id,
                str(self.client.device_id),
                self.password,
                own_cross_signing_keys(self.store),
            )
        await self._sync(0)
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                await self._sync(1000)
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.5)

    async def _sync(self, timeout: int) -> None:
        c = self.client
        resp = await c.sync(timeout=timeout)
        if not isinstance(resp, SyncResponse):
            await asyncio.sleep(0.5)
            return
        for room_id, info in resp.rooms.join.items():
            self.events += [(room_id, e) for e in info.timeline.events]
        keys_arrived = bool(resp.to_device_events)
        if c.should_upload_keys:
            await c.keys_upload()
        for room_id, invite in resp.rooms.invite.items():
            if any(isinstance(e, InviteMemberEvent) for e in invite.invite_state):
                await c.join(room_id)
        if c.should_query_keys:
            await c.keys_query()
        if c.should_claim_keys:
            await c.keys_claim(c.get_users_for_key_claiming())
        await c.send_to_device_messages()
        # Retry what could not be read only when keys have arrived (history from before one's
        # join never becomes readable: Matrix gives a late joiner no keys to it).
        if keys_arrived:
            for i, (room_id, event) in enumerate(self.events):
                if isinstance(event, MegolmEvent):
                    with contextlib.suppress(Exception):
                        self.events[i] = (room_id, c.decrypt_event(event))

    def room(self, name: str) -> str:
        for room_id, room in self.client.rooms.items():
            if room.display_name == name or room.name == name:
                return str(room_id)
        raise LookupError(name)

    async def wait(self, predicate: Callable[[str, Event], bool], timeout: float = 120) -> Event:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for room_id, event in self.events:
                if predicate(room_id, event):
                    return event
            await asyncio.sleep(0.2)
        raise TimeoutError("the platform did not answer in time")

    async def wait_room(self, name: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(LookupError):
                return self.room(name)
            await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.client.user_id} never got into {name}")

    async def send(self, room_id: str, content: dict[str, Any]) -> str:
        for _ in range(5):
            if self.client.should_query_keys:
                await self.client.keys_query()
            resp = await self.client.room_send(
                room_id, "m.room.message", content, ignore_unverified_devices=True
            )
            if isinstance(resp, RoomSendResponse):
                return str(resp.event_id)
            await asyncio.sleep(0.5)
        raise RuntimeError(f"could not send in {room_id}")

    async def send_file(
        self, room_id: str, data: bytes, filename: str, caption: str | None = None
    ) -> str:
        resp, keys = await self.client.upload(
            lambda *_: io.BytesIO(data),
            content_type="application/octet-stream",
            encrypt=True,
            filesize=len(data),
        )
        if not isinstance(resp, UploadResponse) or keys is None:
            raise RuntimeError(f"upload failed: {resp}")
        return await self.send(
            room_id,
            {
                "msgtype": "m.file",
                "body": caption or filename,
                "filename": filename,
                "file": {**keys, "url": resp.content_uri},
                "info": {"size": len(data), "mimetype": DOCX},
            },
        )

    async def ask(self, room_id: str, command: str) -> str:
        """Send a command, and the platform's answer to it."""
        return await self.reply(await self.send(room_id, {"msgtype": "m.text", "body": command}))

    async def notice(self, starts: str, room_id: str | None = None) -> tuple[str, str, str]:
        """(room id, event id, body) of the first notice whose body starts with `starts`."""

        def found(rid: str, event: Event) -> bool:
            content = event.source.get("content", {})
            return (
                isinstance(event, RoomMessage)
                and (room_id is None or rid == room_id)
                and content.get("msgtype") == "m.notice"
                and str(content.get("body", "")).startswith(starts)
            )

        event = await self.wait(found)
        room = next(rid for rid, ev in self.events if ev is event)
        return room, str(event.event_id), str(event.source["content"]["body"])

    async def reply(self, event_id: str, prefix: str = "") -> str:
        def answers(_: str, event: Event) -> bool:
            content = event.source.get("content", {})
            relates = content.get("m.relates_to", {})
            return (
                isinstance(event, RoomMessage)
                and content.get("msgtype") == "m.notice"
                and relates.get("m.in_reply_to", {}).get("event_id") == event_id
                and str(content.get("body", "")).startswith(prefix)
            )

        return str((await self.wait(answers)).source["content"]["body"])

    async def download(self, room_id: str, filename: str) -> bytes:
        def is_file(rid: str, event: Event) -> bool:
            return (
                rid == room_id
                and isinstance(event, RoomEncryptedFile)
                and event.source["content"].get("filename") == filename
            )

        event = await self.wait(is_file)
        file = event.source["content"]["file"]
        resp = await self.client.download(mxc=file["url"])
        if not isinstance(resp, DownloadResponse):
            raise RuntimeError(f"download failed: {resp}")
        return bytes(
            decrypt_attachment(resp.body, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
        )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()


def _say(who: str, text: str) -> None:
    first, *rest = text.splitlines() or [""]
    print(f"  {who:8} {first}", flush=True)
    for line in rest:
        print(f"  {'':8} {line}", flush=True)


async def play(
    homeserver: str, server_name: str, passwords: dict[str, str], directory: Path
) -> None:
    """The scripted round; the outputs go to `directory / "out"`."""
    out = directory / "out"
    out.mkdir(parents=True, exist_ok=True)
    people = {
        name: Delegate(
            homeserver,
            f"@{name}:{server_name}",
            passwords[name],
            directory / "scenario" / name,
        )
        for name in ("chair", "sec.ana", "ag.fp", "br.fp", "ca.fp", "ag.exp1")
    }
    print("\nScenario: a round of proposals on the Inter-American Plan", flush=True)
    # The simulated clients see history they cannot read (sent before they joined): quiet.
    logging.getLogger("nio").setLevel(logging.ERROR)
    try:
        await asyncio.gather(*(p.start() for p in people.values()))
        chair, ag, br, ca = (people[n] for n in ("chair", "ag.fp", "br.fp", "ca.fp"))
        plenary = await ag.wait_room("Plenary")
        plan = await ag.wait_room("Inter-American Plan")
        base = await ag.download(plan, BASE_NAME)
        (out / BASE_NAME).write_bytes(base)
        _say("ag.fp", f"downloads {BASE_NAME} from the Inter-American Plan folder")
        submissions = [
            (
                ag,
                "ag.fp",
                "AG_Matriz.docx",
                proposal(
                    "Antigua and Barbuda",
                    {
                        "shall cooperate": ("The Member States", "should cooperate"),
                        "a national focal point": ("Each Member", "one national focal point"),
                    },
                ),
            ),
            (
                br,
                "br.fp",
                "BR_Matriz.docx",
                proposal(
                    "Brasil",
                    {
                        "shall cooperate": ("The Member States", "will cooperate"),
                        "every four years": ("The Plan", "every five years"),
                    },
                ),
            ),
            (
                ca,
                "ca.fp",
                "CA_Matriz.docx",
                proposal(
                    "Canada",
                    {"in a timely manner": ("The Member", "promptly")},
                    untracked={"four years": ("The Plan", "three years")},
                ),
            ),
        ]
        for who, name, file_name, data in submissions:
            (out / file_name).write_bytes(data)
            _say(name, f"uploads {file_name} in the Plenary")
            answer = await who.reply(await who.send_file(plenary, data, file_name))
            _say("plenaria", answer)
        moderation = await chair.wait_room("Moderation")
        _say("chair", "!compile  (in the Moderation room)")
        compiled = await chair.send(moderation, {"msgtype": "m.text", "body": "!compile"})
        _say("plenaria", await chair.reply(compiled, "Compiled"))
        for file_name in ("Matriz_rev1.docx", "Matriz_compilation.docx"):
            (out / file_name).write_bytes(await chair.download(moderation, file_name))
        print(f"\nThe documents are in {out}/ (open them in Word or LibreOffice).", flush=True)
        await _languages_and_support(people)
    finally:
        for person in people.values():
            await person.close()


async def _languages_and_support(people: dict[str, Delegate]) -> None:
    """The welcome, a person's own language, and a request to the Technical Secretariat."""
    print("\nScenario: the welcome, languages and support", flush=True)
    br, expert, secretariat = people["br.fp"], people["ag.exp1"], people["sec.ana"]
    desk, _, welcome = await br.notice("Welcome to")
    _say("plenaria", "\n".join(welcome.splitlines()[:2]) + "\n…  (the guide, in the desk)")
    _say("br.fp", "!lang pt  (in the desk)")
    _say("plenaria", await br.ask(desk, "!lang pt"))
    _say("br.fp", "!help")
    _say("plenaria", (await br.ask(desk, "!help")).splitlines()[0] + "\n…")
    direct, _, welcome = await expert.notice("Welcome to")
    _say("ag.exp1", "reads the welcome in a direct room with the bot, then: !lang es")
    _say("plenaria", await expert.ask(direct, "!lang es"))
    request = "!support No puedo abrir el documento Matriz"
    _say("ag.exp1", request)
    _say("plenaria", await expert.ask(direct, request))
    support = await secretariat.wait_room("Support — Technical Secretariat")
    _, ticket, text = await secretariat.notice("Ticket #1", support)
    _say("plenaria", text + "\n  (in the Support room)")
    answer = "Buenos días: descárguelo de nuevo desde la carpeta del Plan; ya está disponible."
    _say("sec.ana", f"replies to the ticket: {answer}")
    await secretariat.send(
        support,
        {
            "msgtype": "m.text",
            "body": answer,
            "m.relates_to": {"m.in_reply_to": {"event_id": ticket}},
        },
    )
    _, _, relayed = await expert.notice("Respuesta de la Secretaría Técnica", direct)
    _say("plenaria", relayed)

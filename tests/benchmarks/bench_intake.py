"""Proposal upload → receipt with every focal point uploading at once, against a floor measured
in the same run: a minimal E2EE bot that downloads, decrypts, hashes and answers each upload
(SPEC §8, issue 14).

    .venv/bin/python -m tests.benchmarks.bench_intake [--delegations 35 [193]] [--rounds 3]
        [--warmup 1]

For each size, a local Synapse (SQLite, with the platform's policy module) is started in a
temporary folder with a working group of that many delegations (the OAS's 35; above that, ISO
country codes); plenaria's bot runs as a process of its own (`plenaria run`), and so does the
floor: bench_roundtrip's minimal E2EE answerer, here answering each `.docx` uploaded in its room
with the file's sha256 (downloaded and decrypted, the file's own encryption, as plenaria does),
each in a task of its own. Once the bot has provisioned:
- the Chair publishes a base of 30 paragraphs, `Matriz.docx`, in the Inter-American Plan folder,
  and opens an encrypted room with the floor and every focal point (the plenary's members);
- every focal point logs in (a real E2EE nio client), accepts its invitations, says hello in the
  plenary and in the floor's room (so that the room keys are exchanged, as in a group that has
  been talking) and prepares `<CODE>_Matriz.docx`: tracked changes on a few paragraphs of its own.
  It follows, and shares its room keys with, the two answerers only, and from the hello on
  syncs the plenary and the floor's room only: on one machine, N clients doing otherwise would
  cost the run N² olm sessions, N³ key queries (hours at 193) and every filed copy decrypted N
  times, work that real delegates do on machines of their own;
- after one uncounted warm-up round on each side (each answerer's first answers share its room
  key with every focal point's new device), rounds alternate plenaria, floor, plenaria, floor…:
  in each, all focal points upload the round's file at once (the same bytes on both sides;
  plenaria's rounds supersede the earlier version) in the plenary, or in the floor's room, and
  wait for the decrypted threaded answer: a receipt from plenaria, the right sha256 from the
  floor. Every upload counts: one without its answer counts as the timeout, and is printed.
  After plenaria's round the run waits for its filed copies (which follow the receipts), so that
  the floor's round starts on a quiet bot.
Printed, for both: median, p95 and max of upload → answer, and where the time goes, from
timestamps the run can observe: the client's clock, the events' `origin_server_ts`, and the
homeserver's access log (each request's end and duration), in which the answerer's download of
each file (its media id), its filing (plenaria: the transaction id derived from the proposal),
its reply (transaction id) and its syncs are found. The delivery to the answerer is an estimate
(the end of its first sync after the event); plenaria's check includes the storing, the registry
and the upload of the filed copy when that comes before the receipt (its log has no timings to
split them); since issue #14 the copy follows the receipt, and its time is printed apart. Then
the p95 ratio (goal ≤ 1.5 at 35) and the answerer's key queries and claims during its rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import yaml
from nio import AsyncClient, DownloadResponse, Event, MegolmEvent, RoomEncryptedFile
from nio.crypto import decrypt_attachment

from bot.demo.synapse_server import LocalSynapse, free_port
from bot.docflow.transfer import txn_id
from bot.sync.classify import reply_txn_id
from tests.benchmarks.bench_provision import codes as iso_codes
from tests.benchmarks.bench_roundtrip import answerer, threaded_notice
from tests.integration.conftest import SERVER_NAME, BotProcess
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import OAS, WorkingGroup, wait_for
from tests.unit.docx_builder import build, dele, ins, p

BASE_NAME = "Matriz.docx"

_SUBJECTS = (
    "The Member States",
    "The General Secretariat",
    "The Inter-American Committee for Natural Disaster Reduction",
    "National disaster risk management agencies",
    "The Permanent Council",
    "The focal points of the delegations",
)
_VERBS = ("shall", "should", "will", "may")
_ACTIONS = (
    "strengthen early warning systems for hurricanes, floods and droughts",
    "exchange information on hazards, exposure and vulnerability in a timely manner",
    "promote the inclusion of disaster risk reduction in public investment planning",
    "support the training of first responders and community volunteers",
    "facilitate the rapid movement of humanitarian assistance across borders",
    "develop common standards for the assessment of damage and losses",
    "encourage the participation of women, youth and persons with disabilities",
    "report on the progress made to the General Assembly at its next regular session",
    "mobilise technical and financial cooperation from the international community",
    "coordinate with the subregional mechanisms of Central America and the Caribbean",
)
_CLOSINGS = (
    "in accordance with their national legislation",
    "within the resources allocated in the program-budget",
    "taking into account the Sendai Framework for Disaster Risk Reduction 2015-2030",
    "in close coordination with the Inter-American Development Bank",
    "on the basis of the principles of solidarity and mutual assistance",
)
PARAGRAPHS = 30


def base_paragraphs(count: int = PARAGRAPHS) -> list[str]:
    out = []
    for i in range(count):
        subject = _SUBJECTS[i % len(_SUBJECTS)]
        verb = _VERBS[(i // 2) % len(_VERBS)]
        action = _ACTIONS[(i * 7) % len(_ACTIONS)]
        closing = _CLOSINGS[(i * 3) % len(_CLOSINGS)]
        out.append(f"{i + 1}. {subject} {verb} {action}, {closing}.")
    return out


def proposal(code: str, version: int, texts: list[str]) -> bytes:
    """`<code>_Matriz.docx`: a word replaced in two paragraphs and a phrase inserted in a third,
    at places that depend on the delegation; `version` changes the inserted text (new bytes)."""
    author = f"Delegation ({code})"
    seed = zlib.crc32(code.encode())
    chosen = sorted({(seed + k * 11) % len(texts) for k in range(3)})
    blocks = []
    for i, text in enumerate(texts):
        if i not in chosen:
            blocks.append(p(text))
        elif i == chosen[-1]:
            blocks.append(
                p(
                    text[:-1],
                    ins(f", and report on it by the end of {2026 + version}", author=author),
                    ".",
                )
            )
        else:
            words = text.split(" ")
            k = 2 + (seed + i) % (len(words) - 4)
            before, word, after = (
                " ".join(words[:k]) + " ",
                words[k],
                " " + " ".join(words[k + 1 :]),
            )
            blocks.append(
                p(
                    before,
                    dele(word, author=author),
                    ins(f"{word}-{code.lower()}{version}", author=author),
                    after,
                )
            )
    return build(*blocks)


class Delegate(MatrixUser):
    """A test user whose syncs carry up to 500 events a room. A round fills the plenary with 35
    uploads and 35 receipts at once; with Synapse's default of 10 a sync comes back "limited",
    and MatrixUser, which does not page back, would miss its own receipt."""

    TIMELINE: ClassVar[dict[str, Any]] = {"room": {"timeline": {"limit": 500}}}
    # Once the rounds begin, only the rooms where it uploads and reads its answers: the folder
    # rooms' traffic (the filed copies) is its own machine's work, not the one running the
    # measurement, where N clients decrypting every copy would slow every delivery it times.
    followed: ClassVar[list[str] | None] = None

    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        super().__init__(homeserver, user_id, password, store)
        plain = self.client.sync

        async def sync(*args: Any, **kwargs: Any) -> Any:
            rooms = {"rooms": Delegate.followed} if Delegate.followed is not None else {}
            kwargs.setdefault("sync_filter", {"room": {**self.TIMELINE["room"], **rooms}})
            return await plain(*args, **kwargs)

        self.client.sync = sync

    async def login(self, *, cross_sign: bool = True) -> MatrixUser:
        logged_in = await super().login(cross_sign=cross_sign)
        olm = self.client.olm
        assert olm is not None
        # Room keys go to the answerers only (the bot, the floor): each delegate works on a
        # machine of its own, where sharing with the others is its own machine's work, but one
        # process simulating them all would spend its time on their N² olm sessions (hours at
        # 193) and slow every delivery it measures.
        olm.is_device_blacklisted = _not_an_answerer
        # For the same reason, it follows the answerers' devices only: each login of N would
        # otherwise have all the others query and store every member's keys again (N³).
        query = self.client.keys_query

        async def keys_query(*args: Any, **kwargs: Any) -> Any:
            olm.users_for_key_query.intersection_update(ANSWERERS)
            if not olm.users_for_key_query:
                return None
            return await query(*args, **kwargs)

        self.client.keys_query = keys_query  # type: ignore[method-assign]
        return logged_in

    async def sync_once(self, timeout: int = 1000) -> None:
        await super().sync_once(timeout)
        # The others' uploads stay undecryptable here (their keys go to the answerers only):
        # kept, they would be tried again at every sync, more each round, on both sides.
        self.events = [
            (room_id, event)
            for room_id, event in self.events
            if not (isinstance(event, MegolmEvent) and event.sender not in ANSWERERS)
        ]


ANSWERERS: set[str] = set()


def _not_an_answerer(device: Any) -> bool:
    return device.user_id not in ANSWERERS


GOAL = 1.5
TIMELINE_500: dict[str, Any] = {"room": {"timeline": {"limit": 500}}}


def floor_txn(event_id: str) -> str:
    return "floor-" + hashlib.sha256(event_id.encode()).hexdigest()[:32]


def sha256_answer(data: bytes) -> str:
    return "sha256 " + hashlib.sha256(data).hexdigest()


async def floor(homeserver: str, user_id: str, password: str, store: str) -> None:
    """The floor: each `.docx` uploaded, in a task of its own, downloaded, decrypted, hashed and
    answered in its thread with its sha256."""
    running: set[asyncio.Task[None]] = set()

    async def answer(client: AsyncClient, room_id: str, event: RoomEncryptedFile) -> None:
        resp = await client.download(mxc=event.url)
        assert isinstance(resp, DownloadResponse), resp
        body = resp.body if isinstance(resp.body, bytes) else bytes(resp.body)
        data = decrypt_attachment(body, event.key["k"], event.hashes["sha256"], event.iv)
        content = threaded_notice(event.event_id, sha256_answer(bytes(data)))
        await client.room_send(
            room_id,
            "m.room.message",
            content,
            tx_id=floor_txn(event.event_id),
            ignore_unverified_devices=True,
        )

    async def respond(client: AsyncClient, room_id: str, event: Event) -> None:
        if isinstance(event, RoomEncryptedFile) and event.body.endswith(".docx"):
            task = asyncio.create_task(answer(client, room_id, event))
            running.add(task)
            task.add_done_callback(running.discard)

    await answerer(homeserver, user_id, password, store, respond, sync_filter=TIMELINE_500)


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _fmt(values: list[float]) -> str:
    if not values:
        return "no values"
    return (
        f"median {statistics.median(values):7.0f} ms   p95 {_p95(values):7.0f} ms   "
        f"max {max(values):7.0f} ms"
    )


@dataclass
class Request:
    """One line of the homeserver's access log: when the request ended, and how long it took."""

    end: float  # ms, wall clock
    seconds: float
    who: str
    method: str
    path: str

    @property
    def start(self) -> float:
        return self.end - self.seconds * 1000


_ACCESS = re.compile(
    r"^(?P<t>\d+\.\d+) .*? - \{(?P<who>[^}]*)\} Processed request: (?P<s>[\d.]+)sec/"
    r'.*?"(?P<method>[A-Z]+) (?P<path>\S+) HTTP'
)


def access_log(path: Path) -> list[Request]:
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if m := _ACCESS.match(line):
            who = m["who"].split("|")[-1]
            out.append(Request(float(m["t"]) * 1000, float(m["s"]), who, m["method"], m["path"]))
    return out


async def filed(access: Path, batch: list[Upload], timeout: float = 120.0) -> None:
    """Wait until plenaria has filed the copy of every upload of its round (it does so after
    the receipts): the floor's round then starts on a quiet bot, not in plenaria's wake."""
    pending = {txn_id("file-proposal", u.event_id) for u in batch if u.ok}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        pending -= {r.path.rsplit("/", 1)[-1] for r in access_log(access) if r.method == "PUT"}
    if pending:
        print(f"  {len(pending)} copies not filed {timeout:.0f} s after the round", flush=True)


def with_access_log(synapse: LocalSynapse) -> Path:
    """The homeserver's config, with its access log (INFO) in a file of its own."""
    synapse.write_config()
    path = synapse.directory / "access.log"
    config = yaml.safe_load((synapse.directory / "log.config").read_text(encoding="utf-8"))
    config["formatters"]["stamped"] = {"format": "%(created).3f %(message)s"}
    config["handlers"]["access"] = {
        "class": "logging.FileHandler",
        "filename": str(path),
        "formatter": "stamped",
    }
    config["loggers"] = {
        "synapse.access": {"level": "INFO", "handlers": ["access"], "propagate": False}
    }
    (synapse.directory / "log.config").write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@dataclass
class Upload:
    side: str  # "plenaria" or "floor"
    code: str
    round: int
    started: float  # ms, wall clock (one machine: the homeserver's timestamps compare)
    expected: str  # what a right answer starts with
    total_ms: float | None = None  # start of the upload → decrypted answer
    answer: str = ""
    event_id: str = ""
    media_id: str = ""
    event_ts: float | None = None  # the upload's origin_server_ts
    reply_ts: float | None = None
    arrived: float | None = None
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.total_ms is not None and self.answer.startswith(self.expected)


async def upload(
    user: MatrixUser,
    room_id: str,
    side: str,
    code: str,
    number: int,
    data: bytes,
    timeout: float,
) -> Upload:
    expected = "Receipt:" if side == "plenaria" else sha256_answer(data)
    result = Upload(side, code, number, time.time() * 1000, expected)
    started = time.perf_counter()
    try:
        result.event_id = await user.send_file(room_id, data, f"{code}_{BASE_NAME}")
        reply = await user.wait_reply(result.event_id, timeout=timeout)
        result.arrived = time.time() * 1000
    except (TimeoutError, AssertionError) as exc:
        result.answer = f"no answer ({type(exc).__name__}: {str(exc)[:80]})"
        return result
    result.total_ms = (time.perf_counter() - started) * 1000
    result.answer = str(getattr(reply, "body", ""))
    result.reply_ts = float(reply.server_timestamp)
    own = next((ev for _, ev in user.events if ev.event_id == result.event_id), None)
    if own is not None:
        result.event_ts = float(own.server_timestamp)
        url = str(own.source.get("content", {}).get("file", {}).get("url", ""))
        result.media_id = url.rsplit("/", 1)[-1]
    return result


PHASES = (
    "upload (client: encrypt, upload, send)",
    "delivery to the answerer (est.)",
    "queued before the download",
    "download",
    "check (plenaria: + store, registry)",
    "filing before the reply (send of the copy)",
    "after filing, before the reply",
    "reply sent",
    "delivery back to the client",
    "filed copy sent after the reply (not waited)",
)


def split(u: Upload, answerer_id: str, log: list[Request]) -> None:
    """Where the time of one upload went, from the timestamps the run can observe."""
    if u.event_ts is None or u.reply_ts is None or u.arrived is None:
        return
    mine = [r for r in log if r.who == answerer_id]
    syncs = sorted(r.end for r in mine if r.method == "GET" and "/sync" in r.path)
    seen = next((t for t in syncs if t >= u.event_ts), None)
    download = next(
        (r for r in mine if r.method == "GET" and u.media_id and u.media_id in r.path), None
    )
    txn = reply_txn_id(u.event_id) if u.side == "plenaria" else floor_txn(u.event_id)
    reply = next((r for r in mine if r.method == "PUT" and r.path.endswith("/" + txn)), None)
    filed_txn = txn_id("file-proposal", u.event_id)
    filed = next((r for r in mine if r.method == "PUT" and r.path.endswith("/" + filed_txn)), None)
    ph = u.phases
    ph[PHASES[0]] = u.event_ts - u.started
    if seen is None or download is None or reply is None:
        return
    ph[PHASES[1]] = seen - u.event_ts
    ph[PHASES[2]] = download.start - seen
    ph[PHASES[3]] = download.end - download.start
    if filed is not None and filed.start < reply.start:  # filed, then the receipt (before #14)
        ph[PHASES[4]] = filed.start - download.end
        ph[PHASES[5]] = filed.end - filed.start
        ph[PHASES[6]] = reply.start - filed.end
    else:  # the receipt, then the filed copy (uploaded and sent) while the client reads it
        ph[PHASES[4]] = reply.start - download.end
        if filed is not None:
            ph[PHASES[9]] = filed.end - reply.start
    ph[PHASES[7]] = u.reply_ts - reply.start
    ph[PHASES[8]] = u.arrived - u.reply_ts


def requests_during(log: list[Request], who: str, windows: list[tuple[float, float]]) -> str:
    counted: dict[str, list[float]] = {}
    kinds: tuple[tuple[str, Callable[[Request], bool]], ...] = (
        ("keys/query", lambda r: "/keys/query" in r.path),
        ("keys/claim", lambda r: "/keys/claim" in r.path),
        ("sendToDevice", lambda r: "/sendToDevice/" in r.path),
        ("sync", lambda r: "/sync" in r.path),
        ("media upload", lambda r: r.method == "POST" and "/upload" in r.path),
        ("download", lambda r: r.method == "GET" and "/download/" in r.path),
        ("room send", lambda r: r.method == "PUT" and "/send/" in r.path),
    )
    for r in log:
        if r.who != who or not any(a <= r.end <= b for a, b in windows):
            continue
        for name, match in kinds:
            if match(r):
                counted.setdefault(name, []).append(r.seconds)
    return ", ".join(
        f"{len(v)} {k} ({sum(v):.1f} s)" for k, _ in kinds if (v := counted.get(k)) is not None
    )


def step(started: float, what: str) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {what}", flush=True)


async def metric(port: int, name: str) -> float | None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as resp,
    ):
        for line in (await resp.text()).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def load() -> str:
    with open("/proc/loadavg", encoding="ascii") as fh:
        return " ".join(fh.read().split()[:3])


@dataclass
class Outcome:
    delegations: int
    p95: dict[str, float]
    failures: int


async def measure(
    delegations: int, rounds: int, timeout: float, keep: bool, warmup: int = 1
) -> Outcome:
    clock = time.perf_counter()
    print(f"\n=== {delegations} delegations (load average {load()}) ===", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="plenaria-bench-intake-"))
    synapse = LocalSynapse(
        folder / "synapse", SERVER_NAME, free_port(), extra_config={"bcrypt_rounds": 4}
    )
    access = with_access_log(synapse)
    synapse.start()
    codes = list(OAS[:delegations]) if delegations <= len(OAS) else iso_codes(delegations)
    group = WorkingGroup(synapse, folder / "group", codes)
    bot: BotProcess | None = None
    floor_process: subprocess.Popen[bytes] | None = None
    try:
        await group.create_accounts()
        floor_id, floor_password = await group.make_account("floor")
        floor_process = subprocess.Popen(  # noqa: ASYNC220 (starting, not waiting)
            [
                sys.executable,
                "-m",
                "tests.benchmarks.bench_intake",
                "--floor",
                synapse.url,
                floor_id,
                floor_password,
                str(folder / "floor"),
            ]
        )
        ANSWERERS.clear()
        ANSWERERS.update({floor_id, group.id("bot")})
        http_port = free_port()
        bot = BotProcess(group.write_config(http_port), http_port)
        bot.start()
        await bot.healthy(timeout=120)

        async def provisioned() -> bool:
            return await metric(http_port, "plenaria_provisioned") == 1.0

        await wait_for(provisioned, 120 + 5 * delegations, "provisioning")
        step(clock, f"synapse up, {len(group.accounts)} accounts, bot provisioned")

        fps = [f"{c.lower()}.fp" for c in codes]
        await group.accept_invites(["chair", *fps])
        gate = asyncio.Semaphore(8)

        async def login(seat: str) -> MatrixUser:
            user_id, password = group.accounts[seat]
            user = Delegate(synapse.url, user_id, password, group.directory / "users" / seat)
            group.users.append(user)
            async with gate:
                return await user.login()

        chair, *people = await asyncio.gather(*(login(s) for s in ["chair", *fps]))
        users = dict(zip(codes, people, strict=True))
        step(clock, f"chair and {len(users)} focal points logged in (E2EE), invitations accepted")

        rooms = {r.display_name: rid for rid, r in chair.client.rooms.items()}
        moderation, plenary = rooms["Moderation"], rooms["Plenary"]
        texts = base_paragraphs()
        published = await chair.send_file(
            moderation, build(*(p(t) for t in texts)), BASE_NAME, "!publish plan --title Matriz"
        )
        answer = str(getattr(await chair.wait_reply(published, timeout=120), "body", ""))
        assert "Published" in answer, answer
        floor_room = await chair.create_encrypted_room(
            [floor_id, *(group.id(s) for s in fps)], name="floor"
        )
        await group.accept_invites(fps)
        await chair.wait_joined(floor_room, floor_id, timeout=120)
        for user in users.values():
            await user.wait_joined(floor_room, user.user_id, timeout=120)
        step(clock, f"the chair published {BASE_NAME}; the floor's room has every focal point")

        Delegate.followed = [plenary, floor_room]
        # Hello in both rooms: the room keys are shared (as in a group that has been talking).
        for room_id in (plenary, floor_room):
            await asyncio.gather(
                *(u.send_text(room_id, f"Hello from {c}.") for c, u in users.items())
            )
        await asyncio.sleep(2.0)
        step(clock, f"hello said in both rooms (load average {load()})")

        uploads: list[Upload] = []
        windows: dict[str, list[tuple[float, float]]] = {"plenaria": [], "floor": []}
        # Round 0 warms both sides up, uncounted: each answerer's first answers share its room
        # key with every focal point's new device, which a group that has been talking has done.
        for number in range(1 - warmup, rounds + 1):
            files = {c: proposal(c, number, texts) for c in codes}
            order = [("plenaria", plenary), ("floor", floor_room)]
            for side, room_id in order:
                begun = time.time() * 1000
                batch = await asyncio.gather(
                    *(upload(users[c], room_id, side, c, number, files[c], timeout) for c in codes)
                )
                if number > 0:
                    windows[side].append((begun, time.time() * 1000))
                    uploads += batch
                if side == "plenaria":
                    await filed(access, batch)
                done = [u.total_ms if u.ok and u.total_ms else timeout * 1000 for u in batch]
                label = f"round {number}" if number > 0 else "warm-up"
                step(
                    clock,
                    f"{label} {side:8s}: {sum(u.ok for u in batch)}/{len(batch)} answers; "
                    + _fmt(done),
                )
                await asyncio.sleep(1.0)
        step(clock, f"done measuring (load average {load()})")

        await asyncio.sleep(0.5)
        log = access_log(access)
        ids = {"plenaria": group.id("bot"), "floor": floor_id}
        for u in uploads:
            split(u, ids[u.side], log)
        p95s: dict[str, float] = {}
        failures = 0
        print()
        print(
            f"{delegations} delegations: {rounds} round(s) each of {delegations} simultaneous "
            f"uploads, alternating plenaria and the floor; timeout {timeout:.0f} s"
        )
        for side in ("plenaria", "floor"):
            own = [u for u in uploads if u.side == side]
            counted = [u.total_ms if u.ok and u.total_ms else timeout * 1000 for u in own]
            p95s[side] = _p95(counted)
            missing = [u for u in own if not u.ok]
            failures += len(missing)
            print(f"{side} upload → answer ({len(own) - len(missing)}/{len(own)} answered):")
            print(f"  {'all:':44s}{_fmt(counted)}")
            for label in PHASES:
                values = [v for u in own if (v := u.phases.get(label)) is not None]
                if values:
                    print(f"  {label + ':':44s}{_fmt(values)}")
            print(f"  answerer's requests: {requests_during(log, ids[side], windows[side])}")
            for u in missing:
                line = u.answer.splitlines()[0] if u.answer else "?"
                print(f"  MISSING round {u.round} {u.code}: {line} (counted as {timeout:.0f} s)")
        print(
            f"p95 ratio at {delegations}: {p95s['plenaria'] / p95s['floor']:.2f} "
            f"(plenaria {p95s['plenaria']:.0f} ms / floor {p95s['floor']:.0f} ms)"
        )
        if keep:
            print(f"kept: {folder} (the bot's log: {bot.log}; the access log: {access})")
        return Outcome(delegations, p95s, failures)
    finally:
        Delegate.followed = None
        for user in group.users:
            await user.close()
        if bot is not None:
            bot.terminate()
        if floor_process is not None:
            floor_process.terminate()
            floor_process.wait(10)
        synapse.stop()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


async def measure_all(
    sizes: list[int], rounds: int, timeout: float, keep: bool, warmup: int = 1
) -> int:
    # The other sizes first, so that the run ends with the goal's line for 35.
    outcomes = [
        await measure(n, rounds, timeout, keep, warmup) for n in sorted(sizes, reverse=True)
    ]
    print()
    for o in outcomes:
        ratio = o.p95["plenaria"] / o.p95["floor"]
        if o.delegations != 35:
            print(f"intake p95 ratio at {o.delegations}: {ratio:.2f} (failures: {o.failures})")
    for o in outcomes:
        if o.delegations == 35:
            print(f"intake p95 ratio {o.p95['plenaria'] / o.p95['floor']:.2f} (goal <= {GOAL})")
    return 1 if any(o.failures for o in outcomes) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delegations", type=int, nargs="+", default=[35], help="e.g. 35 193")
    parser.add_argument("--rounds", type=int, default=3, help="rounds on each side")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted rounds first (0 or 1)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds an answer may take")
    parser.add_argument("--keep", action="store_true", help="keep the folders (logs, stores)")
    parser.add_argument("--floor", nargs=4, metavar=("URL", "USER", "PASSWORD", "STORE"))
    args = parser.parse_args()
    logging.getLogger("nio").setLevel(logging.ERROR)  # "Missing session for device ...", etc.
    if args.floor:
        asyncio.run(floor(*args.floor))
        return
    run = measure_all(args.delegations, args.rounds, args.timeout, args.keep, args.warmup)
    sys.exit(asyncio.run(run))


if __name__ == "__main__":
    main()

"""Proposal upload → receipt with 35 focal points uploading at once, against the `!ping` round
trip measured in the same run (SPEC §8, issue "Documents in the chat").

    .venv/bin/python -m tests.benchmarks.bench_intake [--delegations 35] [--rounds 3]

A local Synapse (SQLite, with the platform's policy module) is started in a temporary folder with
one working group of the OAS's 35 delegations; plenaria's bot runs as a process of its own
(`plenaria run`), so the measuring clients never share its event loop. Once it has provisioned:
- the Chair publishes a base of 30 paragraphs, `Matriz.docx`, in the Inter-American Plan folder;
- every focal point logs in (a real E2EE nio client), accepts its invitations, says hello in the
  plenary (so that the room keys are exchanged, as in a group that has been talking) and prepares
  `<CODE>_Matriz.docx`: tracked changes on a few paragraphs of its own;
- the baseline: a few focal points each send `!ping` in an encrypted direct room with the bot (the
  only place `!ping` is answered) and wait for the decrypted answer, one at a time;
- the measure: all focal points upload their proposal in the plenary at once; for each, the time
  from the start of the upload to the decrypted threaded receipt. Each round sends a new version
  (other bytes) that supersedes the earlier one.
Ping blocks come before, between and after the rounds, so the machine's noise falls on both.
Printed: median and p95 of each, their p95 ratio (goal ≤ 3), the receipts counted (one per focal
point per round; a refusal or no answer is a failure, printed) and, to tell where the time goes,
each upload split by the homeserver's timestamps: the client's upload and send, the bot (from the
proposal's arrival on the homeserver to its receipt's), and the delivery back to the client.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import aiohttp

from bot.demo.synapse_server import LocalSynapse, free_port
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

    def __init__(self, homeserver: str, user_id: str, password: str, store: Path) -> None:
        super().__init__(homeserver, user_id, password, store)
        plain = self.client.sync

        async def sync(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("sync_filter", self.TIMELINE)
            return await plain(*args, **kwargs)

        self.client.sync = sync


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
class Upload:
    code: str
    round: int
    total_ms: float | None = None  # start of the upload → decrypted reply
    client_ms: float | None = None  # upload of the encrypted file and send of the event
    bot_ms: float | None = None  # homeserver timestamps: proposal → reply
    back_ms: float | None = None  # reply's homeserver timestamp → decrypted at the client
    answer: str = ""
    # wall clock (ms; one machine, so the homeserver's timestamps compare): for --timeline
    started_at: float = 0.0
    proposal_ts: float | None = None
    reply_ts: float | None = None
    arrived_at: float | None = None

    @property
    def receipt(self) -> bool:
        return self.answer.startswith("Receipt:")


async def upload(
    user: MatrixUser, plenary: str, code: str, data: bytes, number: int, timeout: float
) -> Upload:
    result = Upload(code, number, started_at=time.time() * 1000)
    started = time.perf_counter()
    try:
        event_id = await user.send_file(plenary, data, f"{code}_{BASE_NAME}")
        sent = time.perf_counter()
        reply = await user.wait_reply(event_id, timeout=timeout)
        arrived, arrived_wall = time.perf_counter(), time.time()
    except (TimeoutError, AssertionError) as exc:
        result.answer = f"no answer ({type(exc).__name__}: {str(exc)[:80]})"
        return result
    result.total_ms = (arrived - started) * 1000
    result.client_ms = (sent - started) * 1000
    result.answer = str(getattr(reply, "body", ""))
    own = next((ev for rid, ev in user.events if rid == plenary and ev.event_id == event_id), None)
    if own is not None:
        result.proposal_ts = float(own.server_timestamp)
        result.bot_ms = float(reply.server_timestamp - own.server_timestamp)
    result.reply_ts, result.arrived_at = float(reply.server_timestamp), arrived_wall * 1000
    result.back_ms = result.arrived_at - result.reply_ts
    return result


async def ping(user: MatrixUser, room_id: str) -> float:
    started = time.perf_counter()
    event_id = await user.send_text(room_id, "!ping")
    reply = await user.wait_reply(event_id, timeout=60)
    assert str(getattr(reply, "body", "")).startswith("pong"), reply
    return (time.perf_counter() - started) * 1000


async def metric(port: int, name: str) -> float | None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as resp,
    ):
        for line in (await resp.text()).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def timeline(batch: list[Upload]) -> None:
    """Each upload of a round, in the order its receipt was sent: seconds since the round began."""
    zero = min(u.started_at for u in batch)

    def at(value: float | None) -> str:
        return f"{(value - zero) / 1000:7.2f}" if value is not None else "      -"

    print("    code  upload-sent(hs)  receipt-sent(hs)  receipt-decrypted")
    for u in sorted(batch, key=lambda u: u.reply_ts or float("inf")):
        sent, answered, seen = at(u.proposal_ts), at(u.reply_ts), at(u.arrived_at)
        print(f"    {u.code}    {sent}          {answered}           {seen}")


def step(started: float, what: str) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {what}", flush=True)


async def measure(
    delegations: int, rounds: int, pings: int, pingers: int, keep: bool, show_timeline: bool
) -> int:
    clock = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="plenaria-bench-intake-"))
    synapse = LocalSynapse(
        folder / "synapse", SERVER_NAME, free_port(), extra_config={"bcrypt_rounds": 4}
    )
    synapse.start()
    codes = OAS[:delegations]
    group = WorkingGroup(synapse, folder / "group", codes)
    bot: BotProcess | None = None
    failures = 0
    try:
        await group.create_accounts()
        http_port = free_port()
        bot = BotProcess(group.write_config(http_port), http_port)
        bot.start()
        await bot.healthy(timeout=120)

        async def provisioned() -> bool:
            return await metric(http_port, "plenaria_provisioned") == 1.0

        await wait_for(provisioned, 300, "provisioning")
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
        step(clock, f"the chair published {BASE_NAME} ({len(texts)} paragraphs)")

        # Hello in the plenary: the room keys are shared (as in a group that has been talking).
        await asyncio.gather(*(u.send_text(plenary, f"Hello from {c}.") for c, u in users.items()))
        pinging = list(users.items())[:pingers]
        direct = {}
        for code, user in pinging:
            direct[code] = await user.create_encrypted_room([group.id("bot")], name="bot")
        for code, user in pinging:
            await user.wait_joined(direct[code], group.id("bot"), timeout=60)
        for code, user in pinging:  # warm-up, not counted
            await ping(user, direct[code])
            await ping(user, direct[code])
        step(clock, f"hello said; {len(pinging)} direct room(s) with the bot, warmed up")

        ping_ms: list[float] = []
        uploads: list[Upload] = []
        blocks = rounds + 1
        per_block = [pings // blocks + (1 if i < pings % blocks else 0) for i in range(blocks)]
        turn = 0

        async def ping_block(count: int) -> None:
            nonlocal turn
            for _ in range(count):
                code, user = pinging[turn % len(pinging)]
                turn += 1
                ping_ms.append(await ping(user, direct[code]))

        for number in range(1, rounds + 1):
            await ping_block(per_block[number - 1])
            files = {c: proposal(c, number, texts) for c in codes}
            batch = await asyncio.gather(
                *(upload(users[c], plenary, c, files[c], number, 300) for c in codes)
            )
            uploads += batch
            ok = [u for u in batch if u.receipt]
            step(
                clock,
                f"round {number}: {len(ok)}/{len(batch)} receipts; "
                + _fmt([u.total_ms for u in batch if u.total_ms is not None]),
            )
            if show_timeline:
                timeline(batch)
            await asyncio.sleep(1.0)
        await ping_block(per_block[-1])
        step(clock, "done measuring")

        received = [u for u in uploads if u.receipt]
        failed = [u for u in uploads if not u.receipt]
        failures = len(failed)
        times = [u.total_ms for u in received if u.total_ms is not None]
        print()
        print(
            f"{delegations} delegations, {rounds} round(s) of {delegations} simultaneous uploads; "
            f"{len(ping_ms)} pings by {len(pinging)} focal point(s), interleaved"
        )
        print(f"!ping round trip:               {_fmt(ping_ms)}")
        print(f"upload → receipt:               {_fmt(times)}")
        for number in range(1, rounds + 1):
            own = [u.total_ms for u in received if u.round == number and u.total_ms is not None]
            print(f"  round {number}:                      {_fmt(own)}")
        parts = (
            ("client upload + send", "client_ms"),
            ("bot (homeserver timestamps)", "bot_ms"),
            ("delivery to the client", "back_ms"),
        )
        for label, attr in parts:
            values = [v for u in received if (v := getattr(u, attr)) is not None]
            print(f"  {label + ':':30s}{_fmt(values)}")
        if times and ping_ms:
            ratio = _p95(times) / _p95(ping_ms)
            verdict = "met" if ratio <= 3 else "NOT met"
            print(f"ratio p95(receipt) / p95(ping): {ratio:.2f}   (goal ≤ 3: {verdict})")
        print(
            f"receipts: {len(received)}/{len(uploads)} (expected {delegations} per round); "
            f"failures: {failures}"
        )
        for u in failed:
            print(f"  round {u.round} {u.code}: {u.answer.splitlines()[0] if u.answer else '?'}")
        if keep:
            print(f"kept: {folder} (the bot's log: {bot.log})")
    finally:
        for user in group.users:
            await user.close()
        if bot is not None:
            bot.terminate()
        synapse.stop()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delegations", type=int, default=35, help="1 to 35 (OAS codes)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pings", type=int, default=32, help="counted pings, all blocks")
    parser.add_argument("--pingers", type=int, default=3, help="focal points that ping")
    parser.add_argument("--keep", action="store_true", help="keep the folder (bot log, stores)")
    parser.add_argument("--timeline", action="store_true", help="print each round's uploads")
    args = parser.parse_args()
    logging.getLogger("nio").setLevel(logging.ERROR)  # "Missing session for device ...", etc.
    sys.exit(
        asyncio.run(
            measure(
                args.delegations, args.rounds, args.pings, args.pingers, args.keep, args.timeline
            )
        )
    )


if __name__ == "__main__":
    main()

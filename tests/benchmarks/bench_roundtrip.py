"""`!ping` round trip against an echo baseline measured in the same run (SPEC §8).

    .venv/bin/python -m tests.benchmarks.bench_roundtrip [--rounds 60]

A local Synapse (SQLite) is started in a temporary folder. Two answerers run as processes of
their own, each in an encrypted room with the measuring client A:
- the baseline B: a minimal E2EE nio client that answers every text message at once;
- plenaria's bot (`plenaria run`), answering `!ping`.
A sends a message and waits for the decrypted answer, alternating between the two rooms so that
the machine's noise falls on both alike. Printed: median and p95 of each, and their ratios.
Goal: median ratio at most 1.2.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    InviteMemberEvent,
    LoginResponse,
    RoomMessagesResponse,
    RoomMessageText,
    SyncResponse,
)

from bot.accounts.homeserver import register
from bot.demo.synapse_server import LocalSynapse, free_port
from tests.integration.conftest import SERVER_NAME, BotProcess, write_bot_config
from tests.integration.matrix_user import MatrixUser

# What an answerer does with each event of another sender, as it arrives in a sync.
Respond = Callable[[AsyncClient, str, Event], Awaitable[None]]


async def answerer(
    homeserver: str,
    user_id: str,
    password: str,
    store: str,
    respond: Respond,
    *,
    sync_filter: dict[str, Any] | None = None,
) -> None:
    """A minimal E2EE nio client: log in, keep the keys up to date, join where invited, and
    hand every new event of another sender to `respond` (the baselines of the benchmarks)."""
    Path(store).mkdir(parents=True, exist_ok=True)
    client = AsyncClient(
        homeserver, user_id, store_path=store, config=AsyncClientConfig(encryption_enabled=True)
    )
    resp = await client.login(password, device_name="echo")
    assert isinstance(resp, LoginResponse), resp
    first = True
    seen: set[str] = set()
    started_ms = time.time() * 1000
    while True:
        sync = await client.sync(timeout=30_000, full_state=first, sync_filter=sync_filter)
        if not isinstance(sync, SyncResponse):
            await asyncio.sleep(0.2)
            continue
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()
        for room_id, invite in sync.rooms.invite.items():
            if any(isinstance(e, InviteMemberEvent) for e in invite.invite_state):
                await client.join(room_id)
        if first:
            first = False
            continue
        for room_id, info in sync.rooms.join.items():
            events = list(info.timeline.events)
            if info.timeline.limited and info.timeline.prev_batch:
                # More arrived than one sync carries (193 uploads at once): page back to what
                # was seen, as any bot must, or the rest would go unanswered.
                events = await _older(client, room_id, info.timeline.prev_batch, seen, started_ms)
                events += list(info.timeline.events)
            for event in events:
                if event.event_id in seen:
                    continue
                seen.add(event.event_id)
                if event.sender != user_id:
                    await respond(client, room_id, event)


async def _older(
    client: AsyncClient, room_id: str, token: str, seen: set[str], since_ms: float
) -> list[Event]:
    """The events before `token` not seen yet (and not older than `since_ms`), oldest first."""
    older: list[Event] = []
    for _ in range(50):
        page = await client.room_messages(room_id, start=token, limit=100)
        if not isinstance(page, RoomMessagesResponse) or not page.chunk:
            break
        fresh = [e for e in page.chunk if e.event_id not in seen and e.server_timestamp >= since_ms]
        older += fresh
        if len(fresh) < len(page.chunk) or not page.end:
            break
        token = page.end
    older.reverse()
    return older


def threaded_notice(event_id: str, body: str) -> dict[str, Any]:
    """A notice answering `event_id` in its thread, as plenaria's replies are."""
    return {
        "msgtype": "m.notice",
        "body": body,
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": event_id,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": event_id},
        },
    }


async def echo(homeserver: str, user_id: str, password: str, store: str) -> None:
    """The baseline answerer: decrypt, answer in the thread, nothing else."""

    async def respond(client: AsyncClient, room_id: str, event: Event) -> None:
        if isinstance(event, RoomMessageText):
            content = threaded_notice(event.event_id, "echo")
            await client.room_send(
                room_id, "m.room.message", content, ignore_unverified_devices=True
            )

    await answerer(homeserver, user_id, password, store, respond)


async def _round_trip(a: MatrixUser, room_id: str, body: str) -> float:
    start = time.perf_counter()
    event_id = await a.send_text(room_id, body)
    await a.wait_reply(event_id, timeout=60)
    return (time.perf_counter() - start) * 1000


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


async def measure(rounds: int, warmup: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="plenaria-bench-"))
    server = LocalSynapse(folder / "synapse", SERVER_NAME, free_port())
    server.start()
    processes: list[subprocess.Popen[bytes]] = []
    bot: BotProcess | None = None
    a: MatrixUser | None = None
    try:
        accounts = {name: f"{name}-password-1" for name in ("a", "echo", "bot")}
        for name, password in accounts.items():
            await register(server.url, server.registration_secret, name, password)
        echo_id, bot_id = f"@echo:{SERVER_NAME}", f"@bot:{SERVER_NAME}"
        processes.append(
            subprocess.Popen(  # noqa: ASYNC220 (starting, not waiting)
                [
                    sys.executable,
                    "-m",
                    "tests.benchmarks.bench_roundtrip",
                    "--echo",
                    server.url,
                    echo_id,
                    accounts["echo"],
                    str(folder / "echo"),
                ]
            )
        )
        port = free_port()
        bot = BotProcess(
            write_bot_config(folder / "bot", server, bot_id, accounts["bot"], port), port
        )
        bot.start()
        await bot.healthy()

        a = MatrixUser(server.url, f"@a:{SERVER_NAME}", accounts["a"], folder / "a")
        await a.login()
        echo_room = await a.create_encrypted_room([echo_id], name="echo")
        bot_room = await a.create_encrypted_room([bot_id], name="bot")
        await a.wait_joined(echo_room, echo_id)
        await a.wait_joined(bot_room, bot_id)

        baseline: list[float] = []
        plenaria: list[float] = []
        for i in range(warmup + rounds):
            pair = [
                (echo_room, "hello", baseline),
                (bot_room, "!ping", plenaria),
            ]
            if i % 2:
                pair.reverse()
            for room_id, body, sink in pair:
                ms = await _round_trip(a, room_id, body)
                if i >= warmup:
                    sink.append(ms)

        med_b, med_p = statistics.median(baseline), statistics.median(plenaria)
        p95_b, p95_p = _p95(baseline), _p95(plenaria)
        print(f"rounds: {rounds} each (after {warmup} warm-up), alternating")
        print(f"baseline echo round trip: median {med_b:7.1f} ms   p95 {p95_b:7.1f} ms")
        print(f"plenaria !ping round trip: median {med_p:7.1f} ms   p95 {p95_p:7.1f} ms")
        print(f"ratio median {med_p / med_b:.2f}   ratio p95 {p95_p / p95_b:.2f}   (goal ≤ 1.2)")
    finally:
        if a is not None:
            await a.close()
        if bot is not None:
            bot.terminate()
        for process in processes:
            process.terminate()
            process.wait(10)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--echo", nargs=4, metavar=("URL", "USER", "PASSWORD", "STORE"))
    args = parser.parse_args()
    if args.echo:
        asyncio.run(echo(*args.echo))
    else:
        asyncio.run(measure(args.rounds, args.warmup))


if __name__ == "__main__":
    main()

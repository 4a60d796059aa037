"""What one bot process serves: rooms, people, commands and events per second, with its CPU share,
against baselines measured in the same run (issue 13, deploy/README.md "What one bot serves").

    .venv/bin/python -m tests.benchmarks.bench_capacity [--delegations 100] [--clients 8]
        [--seconds 30] [--burst 25]

A local Synapse (SQLite, with the platform's policy module) is started in a temporary folder with
one working group: a Chair, a Secretary and, per delegation, a focal point and two experts.
plenaria's bot runs as a process of its own (`plenaria run`), and so does the baseline: a minimal
E2EE nio client that answers every text message (bench_roundtrip's echo).
- Provisioning: the time from the bot's start to `plenaria_provisioned` 1, and the rooms it then
  governs (`plenaria_governed_rooms`).
- Commands per second: `--clients` focal points, each a real E2EE client with an encrypted
  direct room with the bot and one with the echo, send `!ping` in a closed loop (the next as soon
  as the answer is decrypted) for `--seconds`; windows alternate echo, bot, echo, bot so that the
  machine's noise falls on both. Printed: answers per second and each answerer's CPU share
  (process CPU time / wall time; 100 % = one core) and Synapse's.
- Events synced per second: the bot's process is stopped (SIGSTOP) while the same focal points
  post `--burst` messages each in the plenary, and one then sends `!ping` to the bot; from the
  moment it is continued (SIGCONT), its answer means the bot has synced, decrypted and judged
  the whole backlog before it. The baseline: the Chair's nio client, in the plenary too, paused
  and resumed at the same moments, has decrypted them all.
Nothing is asserted on timings; the machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pycountry
from nio import RoomMessageText

from bot.demo.synapse_server import LocalSynapse, free_port
from tests.benchmarks.bench_intake import Delegate, metric
from tests.integration.conftest import BotProcess
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup, wait_for

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Cpu:
    """CPU share of a few processes over a window (1.0 = one core busy)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.started = time.perf_counter()
        self.at = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def shares(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        return {name: (cpu_seconds(pid) - self.at[name]) / wall for name, pid in self.pids.items()}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def step(started: float, what: str) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {what}", flush=True)


async def ping(user: MatrixUser, room_id: str) -> float:
    started = time.perf_counter()
    event_id = await user.send_text(room_id, "!ping")
    reply = await user.wait_reply(event_id, timeout=60)
    assert str(getattr(reply, "body", "")).startswith("pong"), reply
    return (time.perf_counter() - started) * 1000


async def closed_loop(
    users: list[MatrixUser], rooms: list[str], body: str, seconds: float
) -> tuple[float, list[float]]:
    """Each user sends `body` and waits for the answer, again and again, for `seconds`."""
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []

    async def one(user: MatrixUser, room_id: str) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            event_id = await user.send_text(room_id, body)
            await user.wait_reply(event_id, timeout=60)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(one(u, r) for u, r in zip(users, rooms, strict=True)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def measure(delegations: int, clients: int, seconds: float, burst: int) -> None:
    clock = time.perf_counter()
    print(load(), flush=True)
    folder = Path(tempfile.mkdtemp(prefix="plenaria-bench-capacity-"))
    synapse = LocalSynapse(
        folder / "synapse", "test.plenaria", free_port(), extra_config={"bcrypt_rounds": 4}
    )
    synapse.start()
    synapse_pid = synapse._process.pid if synapse._process is not None else 0
    codes = sorted(c.alpha_2 for c in pycountry.countries)[:delegations]
    group = WorkingGroup(synapse, folder / "group", codes)
    bot: BotProcess | None = None
    echo: subprocess.Popen[bytes] | None = None
    try:
        await group.create_accounts()
        await group.make_account("echo")
        people = len(group.seats())
        step(clock, f"{len(group.accounts)} accounts ({people} people on the roster)")

        http_port = free_port()
        bot = BotProcess(group.write_config(http_port), http_port)
        started = time.perf_counter()
        bot.start()
        assert bot.process is not None
        bot_pid = bot.process.pid
        cpu = Cpu({"bot": bot_pid, "synapse": synapse_pid})

        async def provisioned() -> bool:
            try:
                return await metric(http_port, "plenaria_provisioned") == 1.0
            except OSError:
                return False

        await wait_for(provisioned, 3600, "provisioning")
        took = time.perf_counter() - started
        shares = cpu.shares()
        rooms = int(await metric(http_port, "plenaria_governed_rooms") or 0)
        step(clock, "provisioned")
        print(
            f"provisioning: {rooms} rooms for {people} people in {took:.0f} s "
            f"(bot CPU {shares['bot']:.0%}, Synapse {shares['synapse']:.0%}); {load()}",
            flush=True,
        )

        echo_id, (_, echo_password) = group.id("echo"), group.accounts["echo"]
        echo = subprocess.Popen(  # noqa: ASYNC220 (starting, not waiting)
            [
                sys.executable,
                "-m",
                "tests.benchmarks.bench_roundtrip",
                "--echo",
                synapse.url,
                echo_id,
                echo_password,
                str(folder / "echo"),
            ],
            stderr=subprocess.DEVNULL,
        )
        fps = [f"{c.lower()}.fp" for c in codes[:clients]]
        await group.accept_invites(["chair", *fps])
        gate = asyncio.Semaphore(4)

        async def login(seat: str) -> MatrixUser:
            async with gate:
                return await group.matrix_user(seat)

        users = await asyncio.gather(*(login(s) for s in fps))
        # The chair reads the plenary's backlog in one sync: up to 500 events a room.
        chair_id, chair_password = group.accounts["chair"]
        chair = Delegate(synapse.url, chair_id, chair_password, folder / "chair")
        group.users.append(chair)
        await chair.login()
        bot_id = group.id("bot")
        to_bot = [await u.create_encrypted_room([bot_id], name="bot") for u in users]
        to_echo = [await u.create_encrypted_room([echo_id], name="echo") for u in users]
        for user, bot_room, echo_room in zip(users, to_bot, to_echo, strict=True):
            await user.wait_joined(bot_room, bot_id, timeout=120)
            await user.wait_joined(echo_room, echo_id, timeout=120)
            await ping(user, bot_room)  # warm-up: keys shared both ways
            await user.wait_reply(await user.send_text(echo_room, "hello"), timeout=60)
        step(clock, f"{clients} focal points and the chair logged in (E2EE), direct rooms ready")

        rates: dict[str, list[float]] = {"echo": [], "bot": []}
        cpus: dict[str, list[dict[str, float]]] = {"echo": [], "bot": []}
        latency: dict[str, list[float]] = {"echo": [], "bot": []}
        for window in ("echo", "bot", "echo", "bot"):
            pids = {"answerer": echo.pid if window == "echo" else bot_pid, "synapse": synapse_pid}
            cpu = Cpu(pids)
            rooms_of = to_echo if window == "echo" else to_bot
            body = "hello" if window == "echo" else "!ping"
            rate, lat = await closed_loop(users, rooms_of, body, seconds)
            rates[window].append(rate)
            cpus[window].append(cpu.shares())
            latency[window] += lat
            step(clock, f"{window}: {rate:.1f} answers/s")
        print(f"commands, {clients} clients in a closed loop, 2 × {seconds:.0f} s each; {load()}")
        for who, label in (("echo", "baseline echo"), ("bot", "plenaria !ping")):
            answerer = statistics.mean(c["answerer"] for c in cpus[who])
            hs = statistics.mean(c["synapse"] for c in cpus[who])
            print(
                f"  {label:15s} {statistics.mean(rates[who]):6.1f} answers/s   median "
                f"{statistics.median(latency[who]):6.0f} ms   its CPU {answerer:4.0%}   "
                f"Synapse CPU {hs:4.0%}",
                flush=True,
            )

        # Events synced per second: a burst in the plenary, then a !ping to the bot.
        names = {room.display_name: r for r, room in chair.client.rooms.items()}
        plenary = names["Plenary"]
        total = burst * len(users)
        tag = f"burst-{time.time_ns()}"

        def chair_has() -> int:
            bodies = {
                e.body
                for rid, e in chair.events
                if rid == plenary and isinstance(e, RoomMessageText) and e.body.startswith(tag)
            }
            return len(bodies)

        assert chair._task is not None
        chair._task.cancel()
        bot.process.send_signal(signal.SIGSTOP)
        started = time.perf_counter()

        async def post(number: int, user: MatrixUser) -> None:
            for i in range(burst):
                await user.send_text(plenary, f"{tag} {number}.{i}: a statement for the record")

        try:
            await asyncio.gather(*(post(n, u) for n, u in enumerate(users)))
            marker = await users[0].send_text(to_bot[0], "!ping")
        finally:
            bot.process.send_signal(signal.SIGCONT)
        posted = time.perf_counter() - started
        cpu = Cpu({"bot": bot_pid, "synapse": synapse_pid})
        started = time.perf_counter()
        chair._task = asyncio.create_task(chair._loop())

        async def bot_caught_up() -> tuple[float, dict[str, float]]:
            await users[0].wait_reply(marker, timeout=600)
            return time.perf_counter() - started, cpu.shares()

        async def chair_caught_up() -> float | None:
            try:
                await wait_for(lambda: chair_has() == total, 120, "the chair's client")
            except AssertionError:
                return None  # printed with how many it had
            return time.perf_counter() - started

        (bot_done, shares), chair_done = await asyncio.gather(bot_caught_up(), chair_caught_up())
        print(
            f"events: {total} messages posted in the plenary by {len(users)} clients in "
            f"{posted:.1f} s while the bot was stopped; from its continuation: {load()}"
        )
        print(
            f"  plenaria synced, decrypted and judged them all in {bot_done:.1f} s "
            f"({total / bot_done:.0f} events/s; bot CPU {shares['bot']:.0%}, Synapse "
            f"{shares['synapse']:.0%})"
        )
        if chair_done is None:
            print(f"  baseline: the chair's nio client had {chair_has()} of them after 120 s")
        else:
            print(
                f"  baseline: the chair's nio client had them all in {chair_done:.1f} s "
                f"({total / chair_done:.0f} events/s)",
                flush=True,
            )
    finally:
        await group.stop()
        if echo is not None:
            echo.terminate()
            echo.wait(10)
        if bot is not None:
            bot.terminate()
        synapse.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    logging.getLogger("nio").setLevel(logging.CRITICAL)  # "no session found": keys come later
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delegations", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8, help="focal points sending commands")
    parser.add_argument("--seconds", type=float, default=30.0, help="each load window")
    parser.add_argument("--burst", type=int, default=25, help="plenary messages per client")
    args = parser.parse_args()
    asyncio.run(measure(args.delegations, args.clients, args.seconds, args.burst))


if __name__ == "__main__":
    main()

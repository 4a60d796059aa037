"""Provisioning 35 delegations (the OAS) and 193 (the UN), three experts each, against a floor
measured in the same run (SPEC §8).

    .venv/bin/python -m tests.benchmarks.bench_provision [--sizes 35 193]

A local Synapse (SQLite, with the platform's policy module) is started in a temporary folder.
For each size, two fresh pairs of platform accounts (bot, warden) provision the same roster:
- the floor: the very same `createRoom` requests (marker, members, power levels, settings,
  name, topic, invitations), prepared before the clock starts and sent by plain HTTP, with the
  same concurrency, and no policy work at all;
- plenaria: `Reconciler.reconcile(roster)`, everything included (marker scan of the accounts'
  joined rooms, the policy tables, the database, the space's children).
Printed: both times, their ratio (goal ≤ 1.3) and the 193/35 ratio of plenaria's times (goal ≤ 6).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from pathlib import Path

import pycountry

from bot.accounts.homeserver import register
from bot.demo.synapse_server import LocalSynapse, free_port
from bot.governance.directory import RoomDirectory
from bot.governance.reconciler import Reconciler
from bot.matrix.gateway import Gateway
from bot.storage.database import Database, RoomRepository
from room_policies.roles import Platform, RoomKind, UserId
from room_policies.room_state import space_children
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import Roster, load_roster

SERVER = "bench.plenaria"
CONCURRENCY = 4


def codes(count: int) -> list[str]:
    return sorted(c.alpha_2 for c in pycountry.countries)[:count]


async def make_accounts(synapse: LocalSynapse, localparts: list[str]) -> dict[str, str]:
    passwords = {lp: "Bench-" + secrets.token_urlsafe(9) + "1a" for lp in localparts}
    gate = asyncio.Semaphore(8)

    async def one(localpart: str) -> None:
        async with gate:
            await register(
                synapse.url, synapse.registration_secret, localpart, passwords[localpart]
            )

    await asyncio.gather(*(one(lp) for lp in localparts))
    return passwords


def roster_text(count: int) -> str:
    lines = [
        'working_group: "Benchmark Working Group"',
        f'chairs: ["@chair:{SERVER}"]',
        f'secretariat: ["@sec:{SERVER}"]',
        "delegations:",
    ]
    for code in codes(count):
        low = code.lower()
        experts = ", ".join(f'"@{low}.exp{i}:{SERVER}"' for i in (1, 2, 3))
        lines += [
            f"  - code: {code}",
            f'    focal_point: "@{low}.fp:{SERVER}"',
            f"    experts: [{experts}]",
        ]
    return "\n".join(lines) + "\n"


async def gateways(
    synapse: LocalSynapse, directory: Path, tag: str, passwords: dict[str, str]
) -> tuple[Gateway, Gateway]:
    pair = []
    for who in ("bot", "warden"):
        localpart = f"{who}-{tag}"
        gateway = Gateway(
            synapse.url,
            f"@{localpart}:{SERVER}",
            passwords[localpart],
            directory / localpart,
            "bench",
            encryption=False,
        )
        await gateway.start()
        pair.append(gateway)
    return pair[0], pair[1]


async def floor(reconciler: Reconciler, roster: Roster) -> float:
    """The same createRoom requests, prepared beforehand, sent with the same concurrency."""
    rooms = desired_rooms(roster)
    space = RoomRef(RoomKind.SPACE)
    bodies = {ref: reconciler.creation_body(roster, ref) for ref in rooms if ref != space}
    gate = asyncio.Semaphore(CONCURRENCY)
    made: dict[RoomRef, str] = {}

    async def create(ref: RoomRef, body: dict[str, object]) -> None:
        async with gate:
            made[ref] = await reconciler.gateway_for(ref).create_room(body)

    started = time.perf_counter()
    await asyncio.gather(*(create(ref, body) for ref, body in bodies.items()))
    space_body = reconciler.creation_body(roster, space)
    children = [
        {"type": "m.space.child", "state_key": made[c], "content": {"via": [SERVER]}}
        for c in space_children()
    ]
    space_body["initial_state"] = [*space_body["initial_state"], *children]  # type: ignore[list-item]
    await reconciler.bot.create_room(space_body)
    return time.perf_counter() - started


async def measure(synapse: LocalSynapse, directory: Path, count: int) -> tuple[float, float]:
    tags = [f"floor{count}", f"plenaria{count}"]
    people = ["chair", "sec"] + [
        f"{c.lower()}.{who}" for c in codes(count) for who in ("fp", "exp1", "exp2", "exp3")
    ]
    platform_accounts = [f"{who}-{tag}" for tag in tags for who in ("bot", "warden")]
    passwords = await make_accounts(synapse, [*people, *platform_accounts])
    times = []
    for tag in tags:
        bot, warden = await gateways(synapse, directory, tag, passwords)
        platform = Platform(UserId(bot.user_id), UserId(warden.user_id))
        roster = load_roster(
            roster_text(count), SERVER, bot_id=bot.user_id, warden_id=warden.user_id
        )
        db = Database(f"sqlite+aiosqlite:///{directory / tag}.db")
        await db.migrate()
        reconciler = Reconciler(
            bot=bot,
            warden=warden,
            directory=RoomDirectory(RoomRepository(db), platform),
            platform=platform,
            server_name=SERVER,
            concurrency=CONCURRENCY,
        )
        if tag.startswith("floor"):
            times.append(await floor(reconciler, roster))
        else:
            started = time.perf_counter()
            changes = await reconciler.reconcile(roster)
            times.append(time.perf_counter() - started)
            failed = [c for c in changes if c.failed]
            assert not failed, failed[:3]
            assert len(reconciler.directory.known()) == len(desired_rooms(roster))
        await bot.close()
        await warden.close()
        await db.close()
    return times[0], times[1]


async def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="plenaria-bench-") as tmp:
        directory = Path(tmp)
        synapse = LocalSynapse(
            directory / "synapse", SERVER, free_port(), extra_config={"bcrypt_rounds": 4}
        )
        synapse.write_config()
        synapse.start()
        try:
            results = {}
            for count in sizes:
                base, ours = await measure(synapse, directory, count)
                rooms = 6 + 2 * count
                results[count] = ours
                print(
                    f"{count:4d} delegations ({rooms} rooms, {count * 4 + 2} people): "
                    f"floor {base:7.2f} s   plenaria {ours:7.2f} s   ratio {ours / base:5.2f}"
                    f"  (goal ≤ 1.3)",
                    flush=True,
                )
            if 35 in results and 193 in results:
                print(f"plenaria 193/35: {results[193] / results[35]:.2f} (goal ≤ 6)")
        finally:
            synapse.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[35, 193])
    asyncio.run(main(parser.parse_args().sizes))

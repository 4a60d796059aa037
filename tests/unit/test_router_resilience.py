"""The sync loop survives a fault in routing (issue #10: "routing never ends the bot")."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.matrix.e2ee import UndecryptedQueue
from bot.runtime.metrics import Metrics
from bot.storage.database import SYNC_TOKEN, Database
from bot.sync.dispatch import Dispatcher
from bot.sync.router import Router
from commands.builtin import default_table
from tests.unit.services import services


class _Gateway:
    """A homeserver that answers each sync with the next token, and nothing else."""

    user_id = "@plenaria:example.org"

    def __init__(self) -> None:
        self.syncs = 0

    async def sync(self, since: str | None, *_: Any) -> SimpleNamespace:
        self.syncs += 1
        await asyncio.sleep(0)
        return SimpleNamespace(next_batch=f"t{self.syncs}")


async def test_a_fault_in_routing_one_sync_does_not_end_the_loop(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await db.migrate()
    gateway = _Gateway()
    metrics = Metrics()
    dispatcher = Dispatcher(
        gateway=gateway,  # type: ignore[arg-type]
        db=db,
        table=default_table(),
        services=services(),
        metrics=metrics,
        undecrypted=UndecryptedQueue(gateway, db),  # type: ignore[arg-type]
    )
    router = Router(
        gateway=gateway,  # type: ignore[arg-type]
        db=db,
        dispatcher=dispatcher,
        metrics=metrics,
        server_name="example.org",
    )
    stop = asyncio.Event()
    routed: list[str] = []

    async def route(sync: SimpleNamespace, *, dispatch: bool) -> None:
        routed.append(sync.next_batch)
        if len(routed) == 1:
            raise RuntimeError("a bug in routing")
        if len(routed) == 3:
            stop.set()

    router._route = route  # type: ignore[method-assign]
    await asyncio.wait_for(router.run(stop), timeout=30)
    assert routed == ["t1", "t2", "t3"]  # the loop went on after the fault
    assert metrics.errors._value.get() == 1  # counted once
    assert await db.get(SYNC_TOKEN) == "t3"
    await db.close()

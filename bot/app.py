"""Wiring: `build_app(settings, …)` makes every part and connects them; tests pass their own.

The App's life: migrate the database, log in (or restore the device), cross-sign it, serve
/healthz and /metrics, then sync until asked to stop; on stop, let handlers finish and save the
sync token.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot import roster_service
from bot.e2ee import ensure_cross_signed
from bot.http_server import HttpServer
from bot.matrix_gateway import Gateway, HomeserverUnreachable
from bot.metrics import Metrics
from bot.router import Router
from bot.settings import Settings
from bot.storage.database import Database
from commands.builtin import default_table
from commands.table import CommandTable

log = logging.getLogger(__name__)


@dataclass
class CommandDeps:
    """What the command handlers may reach; each handler sees it through its own Protocol."""

    commands: CommandTable


@dataclass
class App:
    settings: Settings
    db: Database
    gateway: Gateway
    router: Router
    http: HttpServer
    metrics: Metrics
    # The warden governs the experts rooms; it never uploads device keys, so no client ever
    # encrypts to it and the platform never holds an experts room's keys (SPEC §2).
    warden: Gateway | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        await self.db.migrate()
        try:
            imported = await roster_service.ensure_imported(self.settings, self.db)
            if imported is not None:
                log.info("%s", roster_service.summary(imported))
            await self._connect()
            await self.http.start()
            log.info(
                "plenaria is running as %s (device %s); health on http://%s:%d/healthz",
                self.gateway.user_id,
                self.gateway.device_id,
                self.http.host,
                self.http.port,
            )
            await self.router.run(self.stop_event)
            await self.router.drain()
        finally:
            await self.http.stop()
            await self.gateway.close()
            if self.warden is not None:
                await self.warden.close()
            await self.db.close()

    async def _connect(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.gateway.start()
                await ensure_cross_signed(self.gateway)
                if self.warden is not None:
                    await self.warden.start()
                return
            except HomeserverUnreachable:
                if self.stop_event.is_set():
                    raise
                log.warning("homeserver unreachable; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.sync.max_backoff_s)

    def stop(self) -> None:
        self.stop_event.set()


def build_app(settings: Settings, *, commands: CommandTable | None = None) -> App:
    table = commands or default_table()
    db = Database(settings.database_url)
    gateway = Gateway(
        settings.homeserver_url,
        settings.bot.user_id,
        settings.bot.secret(),
        settings.data_dir / "matrix" / "bot",
        settings.device_name,
    )
    metrics = Metrics()
    router = Router(
        gateway=gateway,
        db=db,
        table=table,
        deps=CommandDeps(commands=table),
        metrics=metrics,
        server_name=settings.server_name,
        sync_timeout_ms=settings.sync.timeout_ms,
        max_backoff_s=settings.sync.max_backoff_s,
        timeline_limit=settings.sync.timeline_limit,
    )
    http = HttpServer(
        metrics, db, settings.http.host, settings.http.port, settings.sync.stale_after_s
    )
    warden = None
    if settings.warden is not None:
        warden = Gateway(
            settings.homeserver_url,
            settings.warden.user_id,
            settings.warden.secret(),
            settings.data_dir / "matrix" / "warden",
            "plenaria warden (no keys)",
            encryption=False,
        )
    return App(settings, db, gateway, router, http, metrics, warden)

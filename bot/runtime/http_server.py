"""Health and metrics on a local HTTP port (aiohttp): /healthz and /metrics (Prometheus)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.runtime.metrics import Metrics
from bot.storage.database import Database


class HttpServer:
    def __init__(
        self,
        metrics: Metrics,
        db: Database,
        host: str,
        port: int,
        stale_after_s: float,
        alarms: Callable[[], list[str]] = list,
    ) -> None:
        self.alarms = alarms
        self.metrics = metrics
        self.db = db
        self.host = host
        self.port = port
        self.stale_after_s = stale_after_s
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics_page)
        return app

    async def check(self) -> tuple[bool, dict[str, object]]:
        """What /healthz answers; each call also sets plenaria_healthy and its checks."""
        sync_ok = self.metrics.sync_alive and self.metrics.seconds_since_sync() < self.stale_after_s
        db_ok = await self.db.ping()
        alarms = self.alarms()
        provisioning_ok = not self.metrics.provisioning_failed
        body: dict[str, object] = {
            "sync": "ok" if sync_ok else "down",
            "database": "ok" if db_ok else "down",
            "platform_keys": "ok" if not alarms else "alarm",
            # The start-up reconcile gave up on an unexpected error: see the log, fix the
            # cause, then !reconcile.
            "provisioning": "ok" if provisioning_ok else "failed",
        }
        if alarms:
            # The platform's own accounts have a session or key it did not make (platform_watch).
            body["alarms"] = alarms
        healthy = self.metrics.health(
            {
                "sync": sync_ok,
                "database": db_ok,
                "platform_keys": not alarms,
                "provisioning": provisioning_ok,
            }
        )
        return healthy, body

    async def healthz(self, request: web.Request) -> web.Response:
        healthy, body = await self.check()
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_page(self, request: web.Request) -> web.Response:
        # Prometheus reads /healthz's verdict here (plenaria_healthy): no probe needed.
        await self.check()
        data = generate_latest(self.metrics.registry)
        return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> int:
        """Start listening; returns the bound port (useful when configured as 0)."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

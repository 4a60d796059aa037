"""/healthz says what is wrong: the sync, the database, the platform's own keys, provisioning."""

from __future__ import annotations

import json

from bot.runtime.http_server import HttpServer
from bot.runtime.metrics import Metrics


class _Database:
    async def ping(self) -> bool:
        return True


async def _health(server: HttpServer) -> tuple[int, dict[str, object]]:
    response = await server.healthz(None)  # type: ignore[arg-type]
    assert response.text is not None
    return response.status, json.loads(response.text)


def _server(metrics: Metrics, alarms: list[str] | None = None) -> HttpServer:
    return HttpServer(
        metrics,
        _Database(),  # type: ignore[arg-type]
        "127.0.0.1",
        0,
        90.0,
        alarms=lambda: list(alarms or []),
    )


async def test_healthy_when_everything_is() -> None:
    metrics = Metrics()
    metrics.sync_succeeded()
    status, body = await _health(_server(metrics))
    assert status == 200
    assert body == {"sync": "ok", "database": "ok", "platform_keys": "ok", "provisioning": "ok"}


async def test_a_failed_provisioning_fails_the_health_check() -> None:
    metrics = Metrics()
    metrics.sync_succeeded()
    metrics.provisioning_failed = True
    status, body = await _health(_server(metrics))
    assert status == 503 and body["provisioning"] == "failed"


async def test_a_key_alarm_fails_the_health_check_and_says_why() -> None:
    metrics = Metrics()
    metrics.sync_succeeded()
    status, body = await _health(_server(metrics, ["The warden has a session (X)."]))
    assert status == 503 and body["platform_keys"] == "alarm"
    assert body["alarms"] == ["The warden has a session (X)."]

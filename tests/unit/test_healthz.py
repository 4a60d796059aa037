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


async def test_metrics_carry_the_verdict_of_healthz() -> None:
    """Prometheus reads /healthz's verdict from /metrics: plenaria_healthy and each check."""
    metrics = Metrics()
    metrics.sync_succeeded()
    server = _server(metrics)
    metrics.provisioning_failed = True
    response = await server.metrics_page(None)  # type: ignore[arg-type]
    assert response.body is not None
    page = bytes(response.body).decode()  # type: ignore[arg-type]
    assert "plenaria_healthy 0.0" in page
    assert 'plenaria_health_check{check="provisioning"} 0.0' in page
    assert 'plenaria_health_check{check="sync"} 1.0' in page
    assert "plenaria_provisioning_failed 1.0" in page
    metrics.provisioning_failed = False  # a !reconcile passed
    response = await server.metrics_page(None)  # type: ignore[arg-type]
    page = bytes(response.body).decode()  # type: ignore[arg-type]
    assert "plenaria_healthy 1.0" in page and "plenaria_provisioning_failed 0.0" in page

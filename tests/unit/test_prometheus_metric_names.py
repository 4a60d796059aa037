"""Every metric the alert rules of deploy/prometheus/ read is one the bot exposes on /metrics,
with the labels it has; the alerts and the metrics are all in deploy/README.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from prometheus_client.metrics import MetricWrapperBase

from bot.runtime.http_server import HttpServer
from bot.runtime.metrics import Metrics
from bot.storage.database import Database

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance"}
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?")
LABEL_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _queries(rule: dict[str, Any]) -> list[str]:
    """The rule's expression, and the queries its annotations run (`… | query`)."""
    texts = [str(rule["expr"])]
    for text in rule.get("annotations", {}).values():
        texts += re.findall(r'printf "([^"]*)"', text)
    return texts


def _selectors(query: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names) of each series selector in `query` that names a metric."""
    found = []
    for match in SELECTOR.finditer(query.replace('\\"', '"')):
        name, braces = match.group(1), match.group(2) or ""
        if name.startswith("plenaria_") or name == "up":
            found.append((name, set(LABEL_MATCHER.findall(braces))))
    return found


async def _exposed(tmp_path: Path) -> dict[str, set[str]]:
    """Metric names of a bot's /metrics page (a real HTTP server on a real database), each with
    its label names."""
    metrics = Metrics()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    server = HttpServer(metrics, db, "127.0.0.1", 0, 90.0)
    port = await server.start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            page = await response.text()
    finally:
        await server.stop()
        await db.close()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", page, re.MULTILINE))
    labels = {}
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            family = next(iter(metric.describe()))
            labels[family.name] = set(metric._labelnames)
    exposed = {}
    for name, kind in types.items():
        if name.endswith("_created") and name.removesuffix("_created") in labels:
            continue  # prometheus_client's creation time of a counter
        family = name.removesuffix("_total") if kind == "counter" else name
        exposed[name] = labels[family]
    return exposed


async def test_the_rules_read_only_metrics_the_bot_exposes(tmp_path: Path) -> None:
    exposed = await _exposed(tmp_path)
    used: set[str] = set()
    for rule in _rules():
        for query in _queries(rule):
            for name, label_names in _selectors(query):
                used.add(name)
                if name == "up":
                    continue
                assert name in exposed, f"{rule['alert']} reads {name}, which the bot lacks"
                unknown = label_names - exposed[name] - TARGET_LABELS
                assert not unknown, f"{rule['alert']}: {name} has no label {unknown}"
    # The rules watch the health verdict, breaches, keys, sync and provisioning.
    assert {
        "plenaria_healthy",
        "plenaria_health_check",
        "plenaria_breaches_total",
        "plenaria_undecrypted_events",
        "plenaria_sync_lag_seconds",
        "plenaria_provisioning_failed",
        "plenaria_provisioning_failures_total",
    } <= used


async def test_every_metric_and_alert_is_documented(tmp_path: Path) -> None:
    readme = (DEPLOY / "README.md").read_text()
    for name in await _exposed(tmp_path):
        assert f"`{name}`" in readme, f"deploy/README.md does not describe {name}"
    for rule in _rules():
        assert f"`{rule['alert']}`" in readme, f"deploy/README.md does not describe {rule['alert']}"

"""Prometheus metrics and the liveness facts behind /healthz, one registry per app."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "plenaria_events_handled",
            "Events handled, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        # Exposed at 0 from the start, so that the first undelivered reply is an increase.
        self.events.labels(outcome="undelivered")
        self.commands = Counter(
            "plenaria_commands", "Commands run, by command", ["command"], registry=self.registry
        )
        self.errors = Counter(
            "plenaria_handler_errors", "Handlers that raised", registry=self.registry
        )
        self.sync_failures = Counter(
            "plenaria_sync_failures", "Sync requests that failed", registry=self.registry
        )
        self.sync_lag = Gauge(
            "plenaria_sync_lag_seconds",
            "Seconds since the last successful sync",
            registry=self.registry,
        )
        self.undecrypted = Gauge(
            "plenaria_undecrypted_events",
            "Events waiting for their room key",
            registry=self.registry,
        )
        self.governed_rooms = Gauge(
            "plenaria_governed_rooms", "Rooms the platform governs", registry=self.registry
        )
        self.provisioned = Gauge(
            "plenaria_provisioned",
            "1 once the start-up reconcile has finished",
            registry=self.registry,
        )
        self.breaches = Counter(
            "plenaria_breaches",
            "Events that broke a rule, by rule",
            ["rule"],
            registry=self.registry,
        )
        self.identity_changes = Counter(
            "plenaria_identity_changes",
            "Roster members whose cross-signing identity changed (awaiting re-trust)",
            registry=self.registry,
        )
        self.platform_key_alarms = Counter(
            "plenaria_platform_key_alarms",
            "Changes to the devices or keys of the platform's own accounts, by account",
            ["account"],
            registry=self.registry,
        )
        self.platform_keys_ok = Gauge(
            "plenaria_platform_keys_ok",
            "1 while the bot's and the warden's devices and keys are as the platform made them",
            registry=self.registry,
        )
        self.platform_keys_ok.set(1)
        self.provisioning_failures = Counter(
            "plenaria_provisioning_failures",
            "Start-up provisioning attempts that failed (retried, or given up: see the log)",
            registry=self.registry,
        )
        self.provisioning_failed_gauge = Gauge(
            "plenaria_provisioning_failed",
            "1 while the start-up reconcile has given up on an error (until a !reconcile passes)",
            registry=self.registry,
        )
        # The verdict of /healthz, computed at each scrape of /metrics as at each /healthz.
        self.healthy = Gauge(
            "plenaria_healthy",
            "1 while /healthz answers 200, 0 while it answers 503",
            registry=self.registry,
        )
        self.health_checks = Gauge(
            "plenaria_health_check",
            "1 while this check of /healthz passes, 0 while it fails",
            ["check"],
            registry=self.registry,
        )
        self.sync_lag.set_function(self.seconds_since_sync)
        self.last_sync_ok: float | None = None
        self._provisioning_failed = False
        self.sync_alive = False

    @property
    def provisioning_failed(self) -> bool:
        """The start-up reconcile gave up on an unexpected error (/healthz says so)."""
        return self._provisioning_failed

    @provisioning_failed.setter
    def provisioning_failed(self, failed: bool) -> None:
        self._provisioning_failed = failed
        self.provisioning_failed_gauge.set(1 if failed else 0)

    def health(self, checks: dict[str, bool]) -> bool:
        """Record the checks of /healthz; True when all pass."""
        for name, ok in checks.items():
            self.health_checks.labels(check=name).set(1 if ok else 0)
        healthy = all(checks.values())
        self.healthy.set(1 if healthy else 0)
        return healthy

    def sync_succeeded(self) -> None:
        self.last_sync_ok = time.monotonic()
        self.sync_alive = True

    def sync_failed(self) -> None:
        self.sync_failures.inc()
        self.sync_alive = False

    def seconds_since_sync(self) -> float:
        if self.last_sync_ok is None:
            return float("inf")
        return time.monotonic() - self.last_sync_ok

"""Synapse as production scales it: the main process, one generic worker, Redis, and nginx.

The split is the deployed one, read from deploy/: synapse-workers/shared.yaml (stream writers,
instance names, Redis), synapse-workers/worker1.yaml (the worker's app, name and listeners) and
nginx/synapse-workers.conf (which endpoints go to which process). Only addresses, ports and paths
change here, and the routing serves the admin API from the main process, which the tests use to
make accounts (the deployed routing refuses it).

`url` is the routing nginx, so tests and bots reach the homeserver as production's clients do.
Without workers it is the plain LocalSynapse.
"""

from __future__ import annotations

import copy
import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import yaml

from bot.demo.synapse_server import LocalSynapse, free_port, stop_process
from tests.servers.nginx import LocalNginx
from tests.servers.redis import LocalRedis

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SHARED = DEPLOY / "synapse-workers" / "shared.yaml"
WORKER = DEPLOY / "synapse-workers" / "worker1.yaml"
ROUTING = DEPLOY / "nginx" / "synapse-workers.conf"

# The deployed routing's admin block, and what the tests put in its place.
_ADMIN_REFUSED = "location ^~ /_synapse/admin/ {\n        return 404;\n    }"
_ADMIN_TO_MAIN = "location ^~ /_synapse/admin/ {\n        proxy_pass http://synapse_main;\n    }"


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{ROUTING.name}: expected {old!r} exactly once"
    return text.replace(old, new)


class ScaledSynapse(LocalSynapse):
    def __init__(
        self, directory: Path, server_name: str, port: int, *, workers: bool, **kwargs: Any
    ) -> None:
        super().__init__(directory, server_name, port, **kwargs)
        self.workers = workers
        self.shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
        self.worker = yaml.safe_load(WORKER.read_text(encoding="utf-8"))
        self.worker_name: str = self.worker["worker_name"]
        self.router_port = free_port()
        self.replication_ports = {name: free_port() for name in self.shared["instance_map"]}
        self.worker_port = free_port()
        self.redis = LocalRedis(free_port(), secrets.token_urlsafe(16)) if workers else None
        self.nginx: LocalNginx | None = None
        self._worker: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.router_port}" if self.workers else self.main_url

    @property
    def worker_config_path(self) -> Path:
        return self.directory / f"{self.worker_name}.yaml"

    def homeserver_config(self) -> dict[str, Any]:
        config = super().homeserver_config()
        if not self.workers:
            return config
        client = copy.deepcopy(config["listeners"][0])
        client["x_forwarded"] = True  # behind the routing nginx
        config["listeners"] = [client, self._replication_listener("main")]
        config["worker_replication_secret_path"] = str(self.directory / "worker_replication_secret")
        self._secret("worker_replication_secret")
        assert self.redis is not None
        assert self.redis.password is not None
        password = self.directory / "redis_password"
        fd = os.open(password, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.redis.password)
        config["redis"] = {
            "enabled": self.shared["redis"]["enabled"],
            "host": "127.0.0.1",
            "port": self.redis.port,
            "password_path": str(password),
        }
        config["instance_map"] = {
            name: {"host": "127.0.0.1", "port": port}
            for name, port in self.replication_ports.items()
        }
        config["stream_writers"] = copy.deepcopy(self.shared["stream_writers"])
        return config

    def _replication_listener(self, name: str) -> dict[str, Any]:
        return {
            "port": self.replication_ports[name],
            "type": "http",
            "bind_addresses": ["127.0.0.1"],
            "tls": False,
            "resources": [{"names": ["replication"]}],
        }

    def write_config(self) -> None:
        super().write_config()
        if not self.workers:
            return
        worker = {k: v for k, v in self.worker.items() if k != "worker_listeners"}
        listeners = []
        for listener in self.worker["worker_listeners"]:
            names = {n for r in listener.get("resources", []) for n in r["names"]}
            if "client" in names:
                listeners.append(
                    {**listener, "port": self.worker_port, "bind_addresses": ["127.0.0.1"]}
                )
            elif "replication" in names:
                listeners.append(self._replication_listener(self.worker_name))
            # metrics: the tests' Synapse has none
        worker["worker_listeners"] = listeners
        log_config = yaml.safe_load((self.directory / "log.config").read_text(encoding="utf-8"))
        log_config["handlers"]["file"]["filename"] = str(self.directory / f"{self.worker_name}.log")
        (self.directory / f"{self.worker_name}.log.config").write_text(yaml.safe_dump(log_config))
        worker["worker_log_config"] = str(self.directory / f"{self.worker_name}.log.config")
        self.worker_config_path.write_text(yaml.safe_dump(worker, sort_keys=False))

    def routing(self) -> str:
        """The deployed routing with this machine's addresses (and the admin API to main)."""
        text = ROUTING.read_text(encoding="utf-8")
        text = _replace_once(text, "server synapse:8008;", f"server 127.0.0.1:{self.port};")
        text = _replace_once(
            text,
            f"server synapse-{self.worker_name}:8008;",
            f"server 127.0.0.1:{self.worker_port};",
        )
        text = _replace_once(text, "listen 8008;", f"listen 127.0.0.1:{self.router_port};")
        return _replace_once(text, _ADMIN_REFUSED, _ADMIN_TO_MAIN)

    def start(self, timeout: float = 60.0) -> None:
        if self.redis is None:
            super().start(timeout)
            return
        self.redis.start()
        # The main process first: it brings the database schema up to date, which workers wait
        # for (they refuse an outdated one).
        super().start(timeout)
        configs = [self.config_path, self.worker_config_path]
        self._worker = self.launch("synapse.app.generic_worker", configs, "worker-stdout.log")
        self.await_health(self._worker, f"http://127.0.0.1:{self.worker_port}", timeout)
        self.nginx = LocalNginx(self.routing(), self.router_port)
        self.nginx.start()
        self.await_health(self._worker, self.url, timeout)

    @property
    def running(self) -> bool:
        if not self.workers:
            return super().running
        return super().running and self._worker is not None and self._worker.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        nginx, self.nginx = self.nginx, None
        if nginx is not None:
            # Its logs outlive it, beside the homeserver's (nginx removes its own folder).
            for log in (nginx.error_log, nginx.prefix / "access.log"):
                if log.exists():
                    with (self.directory / f"router-{log.name}").open("a") as kept:
                        kept.write(log.read_text())
            nginx.stop()
        worker, self._worker = self._worker, None
        stop_process(worker, timeout)
        super().stop(timeout)
        if self.redis is not None:
            self.redis.stop()

    def remove(self) -> None:
        """Stop, and delete Redis's folder (the homeserver's folder is the caller's)."""
        self.stop()
        if self.redis is not None:
            self.redis.remove()

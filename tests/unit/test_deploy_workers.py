"""deploy/'s Synapse workers hang together: compose services, Synapse's instance map, the nginx
routing and make-secrets.sh name the same processes and secrets. (That the split works is the
integration tests' postgresql stack, which runs these very files.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


class _ComposeLoader(yaml.SafeLoader):
    pass


# Compose's `!reset` (drop the value the base file gives).
_ComposeLoader.add_constructor("!reset", lambda loader, node: None)


def _load(name: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load((DEPLOY / name).read_text(encoding="utf-8"), Loader=loader)
    return data


def test_compose_routing_and_synapse_name_the_same_processes() -> None:
    base = _load("compose.yaml", _ComposeLoader)
    workers = _load("compose.workers.yaml", _ComposeLoader)
    shared = _load("synapse-workers/shared.yaml")
    worker = _load("synapse-workers/worker1.yaml")
    services = {**base["services"], **workers["services"]}

    assert worker["worker_app"] == "synapse.app.generic_worker"
    assert set(shared["instance_map"]) == {"main", worker["worker_name"]}
    assert shared["stream_writers"]["events"] == worker["worker_name"]
    assert shared["instance_map"]["main"]["host"] == "synapse"
    for instance in shared["instance_map"].values():
        assert instance["host"] in services
    assert shared["redis"]["host"] in services

    routing = (DEPLOY / "nginx" / "synapse-workers.conf").read_text(encoding="utf-8")
    upstreams = set(re.findall(r"^\s*server ([\w-]+):\d+;", routing, re.MULTILINE))
    assert upstreams == {i["host"] for i in shared["instance_map"].values()}
    assert re.search(r"location \^~ /_synapse/admin/ \{\s*return 404;", routing)

    # Every worker process reads the same homeserver.yaml first (the policy module included).
    for name in ("synapse", "synapse-worker1"):
        assert workers["services"][name]["entrypoint"][4:7:2] == [
            "/etc/synapse/homeserver.yaml",
            "/etc/synapse/workers/shared.yaml",
        ]
    # The running bot goes through the router and still holds no admin secret.
    plenaria = workers["services"]["plenaria"]
    assert plenaria["environment"]["PLENARIA_HOMESERVER_URL"] == "http://synapse-router:8008"
    assert "secrets" not in plenaria


def test_make_secrets_makes_every_secret_the_workers_read() -> None:
    workers = _load("compose.workers.yaml", _ComposeLoader)
    script = (DEPLOY / "make-secrets.sh").read_text(encoding="utf-8")
    for name, secret in workers["secrets"].items():
        assert secret["file"] == f"./secrets/{name}"
        assert re.search(rf"^put {name} ", script, re.MULTILINE), name
    shared = _load("synapse-workers/shared.yaml")
    assert shared["worker_replication_secret_path"] == "/run/secrets/worker_replication_secret"
    assert shared["redis"]["password_path"] == "/run/secrets/redis_password"

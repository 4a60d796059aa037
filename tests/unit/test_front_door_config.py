"""The shipped front door and Synapse agree (issue #13, item 3): nginx's request body cap is
Synapse's max_upload_size, nginx reaches Synapse on the listener that trusts X-Forwarded-For and
that listener is bound to loopback, and the platform's own listener does not trust the header."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "deploy" / "nginx"
HOMESERVER = ROOT / "deploy" / "homeserver.yaml"
CONFIG = ROOT / "deploy" / "config.yaml"
UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3}


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([KMGkmg]?)", text.strip())
    assert match, text
    return int(match.group(1)) * UNITS.get(match.group(2).upper(), 1)


def _homeserver() -> dict[str, Any]:
    homeserver: dict[str, Any] = yaml.safe_load(HOMESERVER.read_text(encoding="utf-8"))
    return homeserver


def test_body_cap_is_synapse_upload_limit() -> None:
    locations = (NGINX / "matrix-client-api.conf").read_text()
    caps = re.findall(r"^\s*client_max_body_size\s+(\S+);", locations, re.MULTILINE)
    assert len(caps) == 1
    assert _size(caps[0]) == _size(str(_homeserver()["max_upload_size"]))


def test_only_the_proxy_listener_trusts_forwarded_addresses() -> None:
    site = (NGINX / "plenaria.conf").read_text()
    upstream = re.search(r"upstream synapse \{\s*server 127\.0\.0\.1:(\d+);", site)
    assert upstream
    http = [item for item in _homeserver()["listeners"] if item.get("type") == "http"]
    trusting = [item for item in http if item.get("x_forwarded")]
    assert [item["port"] for item in trusting] == [int(upstream.group(1))]
    assert trusting[0]["bind_addresses"] == ["127.0.0.1"]
    # plenaria's own listener (homeserver_url of config.yaml) takes no header's word.
    homeserver_url = yaml.safe_load(CONFIG.read_text())["homeserver_url"]
    own = [item for item in http if homeserver_url.endswith(f":{item['port']}")]
    assert len(own) == 1 and own[0]["x_forwarded"] is False


def test_forwarded_for_is_replaced_never_appended() -> None:
    lines = (NGINX / "synapse-proxy.conf").read_text().splitlines()
    proxy = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy
    assert "proxy_add_x_forwarded_for" not in proxy
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy
    assert "proxy_set_header Host $host;" in proxy

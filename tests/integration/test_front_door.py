"""The shipped front door in front of the tests' Synapse (issue #13, items 3 and 4).

Debian's nginx serves deploy/nginx/plenaria.conf and its snippets exactly as shipped, except the
lines tagged `#@` (plenaria.conf's header says how each is replaced: loopback ports for
listen lines, the test's Synapse and Element for upstream lines, no TLS, the snippets from the
repository). Through it: the client API answers, the admin API, federation and a path that
climbs out of /_matrix/client do not, a body over Synapse's upload limit is refused by nginx,
Synapse records the address nginx saw (never one the client wrote), and Element's host serves
deploy/element/config.json and no Matrix API.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.demo.synapse_server import LocalSynapse, free_port
from tests.integration.conftest import MakeAccount
from tests.servers.nginx import LocalNginx

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "deploy" / "nginx"
ELEMENT = ROOT / "deploy" / "element"
MATRIX_HOST = "matrix.example.org"
ELEMENT_HOST = "element.example.org"
CLIENT = "127.0.0.2"  # the delegate's address: nginx connects to Synapse from 127.0.0.1
TAG = re.compile(r"\s*#@ (\w+)\s*$")


def shipped(text: str, ports: dict[int, int], upstreams: dict[str, str], snippets: Path) -> str:
    """A shipped nginx file with its `#@` lines replaced as plenaria.conf documents."""
    out: list[str] = []
    upstream = ""
    for line in text.splitlines():
        opened = re.match(r"\s*upstream (\w+) \{", line)
        if opened:
            upstream = opened.group(1)
        tag = TAG.search(line)
        if tag is None:
            out.append(line)
            continue
        body, kind = line[: tag.start()], tag.group(1)
        if kind == "tls" or (kind == "listen" and "[::]" in body):
            continue
        if kind == "listen":
            found = re.search(r"listen (\d+)", body)
            assert found, line
            default = " default_server" if "default_server" in body else ""
            out.append(f"    listen 127.0.0.1:{ports[int(found.group(1))]}{default};")
        elif kind == "upstream":
            out.append(f"    server {upstreams[upstream]};")
        elif kind == "include":
            found = re.search(r"include (\S+);", body)
            assert found, line
            out.append(f"    include {snippets / Path(found.group(1)).name};")
        else:
            raise AssertionError(f"unknown tag in {line!r}")
    return "\n".join(out) + "\n"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def element_files() -> Iterator[str]:
    """Element's container stand-in: deploy/element/ as static files (config.json)."""
    handler = functools.partial(_Quiet, directory=str(ELEMENT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def front_door(
    synapse: LocalSynapse, element_files: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalNginx]:
    ports = {443: free_port(), 80: free_port()}
    upstreams = {"synapse": f"127.0.0.1:{synapse.port}", "element": element_files}
    snippets = tmp_path_factory.mktemp("nginx-snippets")
    for name in ("matrix-client-api.conf", "synapse-proxy.conf", "element-web.conf"):
        text = (NGINX / name).read_text()
        (snippets / name).write_text(shipped(text, ports, upstreams, snippets))
    site = shipped((NGINX / "plenaria.conf").read_text(), ports, upstreams, snippets)
    nginx = LocalNginx(site, ports[443])
    nginx.start()
    yield nginx
    nginx.stop()


def raw_status(port: int, request: bytes) -> int:
    """The status nginx answers a request sent byte for byte (no client-side path cleaning)."""
    with socket.create_connection(("127.0.0.1", port), 10, source_address=(CLIENT, 0)) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


async def test_front_door_serves_the_client_api_only(
    front_door: LocalNginx, synapse: LocalSynapse, make_account: MakeAccount
) -> None:
    connector = aiohttp.TCPConnector(local_addr=(CLIENT, 0))
    matrix = {"Host": MATRIX_HOST}
    async with aiohttp.ClientSession(connector=connector) as http:

        async def status(path: str, host: str = MATRIX_HOST) -> int:
            async with http.get(front_door.url + path, headers={"Host": host}) as resp:
                return resp.status

        async with http.get(front_door.url + "/_matrix/client/versions", headers=matrix) as resp:
            assert resp.status == 200
            assert "versions" in await resp.json()
        # The admin API is there behind the proxy, and the proxy does not serve it.
        async with http.get(synapse.url + "/_synapse/admin/v1/server_version") as resp:
            assert resp.status == 200
        for path in (
            "/_synapse/admin/v1/server_version",
            "/_synapse/admin/v2/users",
            "/_synapse/admin/v1/register",
            "/_matrix/federation/v1/version",
            "/_matrix/key/v2/server",
            "/health",
            "/",
        ):
            assert await status(path) == 404, path
        climb = (
            b"GET /_matrix/client/../../_synapse/admin/v1/server_version HTTP/1.1\r\n"
            b"Host: matrix.example.org\r\nConnection: close\r\n\r\n"
        )
        assert await asyncio.to_thread(raw_status, front_door.port, climb) == 404

        # Bodies: over max_upload_size nginx refuses before reading them; under it, Synapse
        # answers (no access token: 401).
        cap = _size(
            yaml.safe_load((ROOT / "deploy" / "homeserver.yaml").read_text())["max_upload_size"]
        )
        for length, expected in ((cap + 1, 413), (10, 401)):
            upload = (
                b"POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: matrix.example.org\r\n"
                b"Content-Type: application/octet-stream\r\nConnection: close\r\n"
                + f"Content-Length: {length}\r\n\r\n".encode()
                + (b"x" * length if length < cap else b"")
            )
            assert await asyncio.to_thread(raw_status, front_door.port, upload) == expected

        # Synapse records the address nginx saw, whatever X-Forwarded-For the client wrote.
        user_id, password = await make_account("front")
        forged = {"Host": MATRIX_HOST, "X-Forwarded-For": "127.9.9.9"}
        login = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": password,
        }
        async with http.post(
            front_door.url + "/_matrix/client/v3/login", json=login, headers=forged
        ) as resp:
            assert resp.status == 200
            session = await resp.json()
        authorised = {**forged, "Authorization": f"Bearer {session['access_token']}"}
        device = f"/_matrix/client/v3/devices/{session['device_id']}"
        async with http.get(front_door.url + device, headers=authorised) as resp:
            assert resp.status == 200
            assert (await resp.json())["last_seen_ip"] == CLIENT

        # Element's host: its files, config.json as shipped, and no Matrix API.
        element = {"Host": ELEMENT_HOST}
        async with http.get(front_door.url + "/config.json", headers=element) as resp:
            assert resp.status == 200
            assert json.loads(await resp.read()) == json.loads(
                (ELEMENT / "config.json").read_text()
            )
        assert await status("/_matrix/client/versions", ELEMENT_HOST) == 404
        assert await status("/_synapse/admin/v1/server_version", ELEMENT_HOST) == 404


def _size(value: Any) -> int:
    found = re.fullmatch(r"(\d+)([KMG]?)", str(value))
    assert found, value
    return int(found.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[found.group(2)]

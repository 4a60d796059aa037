"""A Redis of the tests' own, from Debian's `redis-server` package: Synapse's replication bus.

Loopback only, on the port given, no persistence (no RDB snapshots, no append-only file): what
Synapse keeps in Redis is pub/sub traffic and a cache, both rebuilt after a restart. With a
password, as production's (compose.workers.yaml), clients must AUTH first.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bot.demo.synapse_server import stop_process


class RedisError(RuntimeError):
    pass


class LocalRedis:
    def __init__(self, port: int, password: str | None = None) -> None:
        self.port = port
        self.password = password
        self.directory = Path(tempfile.mkdtemp(prefix="plenaria-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "redis.log"

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                auth = f"AUTH {self.password}\r\n".encode() if self.password else b""
                sock.sendall(auth + b"PING\r\n")
                return b"+PONG" in sock.recv(64)
        except OSError:
            return False

    def start(self, timeout: float = 20.0) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "protected-mode": "yes",
            "save": "",
            "appendonly": "no",
            "dir": str(self.directory),
            "logfile": str(self.log),
            "daemonize": "no",
        }
        if self.password is not None:
            options["requirepass"] = self.password
        args = [arg for key, value in options.items() for arg in (f"--{key}", value)]
        self._process = subprocess.Popen(
            [server, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = self.log.read_text()[-2000:] if self.log.exists() else ""
                raise RedisError(f"redis-server exited: {log}")
            if self._ping():
                return
            time.sleep(0.05)
        self.stop()
        raise RedisError(f"redis-server did not answer on {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_process(process)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

"""An nginx of the tests' own, from Debian's `nginx` package, with the configuration given.

It runs in the foreground in a temporary prefix (its own pid file, logs and temp folders), never
as the system's service. `http_block` is the inside of nginx's `http { }` block: typically the
`server` blocks of a file in deploy/nginx/, read and adapted by the test (ports, upstreams).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bot.demo.synapse_server import stop_process


class NginxError(RuntimeError):
    pass


class LocalNginx:
    def __init__(self, http_block: str, port: int) -> None:
        self.port = port
        self.prefix = Path(tempfile.mkdtemp(prefix="plenaria-nginx-"))
        self.http_block = http_block
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> Path:
        return self.prefix / "error.log"

    def config(self) -> str:
        temp = self.prefix / "temp"
        return "\n".join(
            [
                "worker_processes 1;",
                f"pid {self.prefix / 'nginx.pid'};",
                f"error_log {self.error_log} warn;",
                # Root starts nginx's workers as nobody; its temp folders must be theirs too.
                "user nobody nogroup;",
                "events { worker_connections 256; }",
                "http {",
                f"  access_log {self.prefix / 'access.log'};",
                f"  client_body_temp_path {temp}/body;",
                f"  proxy_temp_path {temp}/proxy;",
                f"  fastcgi_temp_path {temp}/fastcgi;",
                f"  uwsgi_temp_path {temp}/uwsgi;",
                f"  scgi_temp_path {temp}/scgi;",
                self.http_block,
                "}",
                "",
            ]
        )

    def start(self, timeout: float = 20.0) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        (self.prefix / "temp").mkdir()
        # mkdtemp made the prefix root's alone: nobody must pass through it to reach temp/
        # (request bodies over 16k are buffered there).
        self.prefix.chmod(0o711)
        shutil.chown(self.prefix / "temp", "nobody", "nogroup")
        conf = self.prefix / "nginx.conf"
        conf.write_text(self.config())
        test = subprocess.run(
            [nginx, "-t", "-p", str(self.prefix), "-c", str(conf)], capture_output=True, text=True
        )
        if test.returncode != 0:
            raise NginxError(f"nginx refused its configuration: {test.stderr.strip()}")
        self._process = subprocess.Popen(
            [nginx, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NginxError(f"nginx exited: {self.error_log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise NginxError(f"nginx did not listen on {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_process(process)
        shutil.rmtree(self.prefix, ignore_errors=True)

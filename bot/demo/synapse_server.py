"""A local Synapse from the installed `matrix-synapse` package: SQLite, loopback, hardened.

Used by `plenaria demo` and by the integration tests (one per test session). The data folder
keeps the database, media, signing key and secrets, so a second start reuses everything. Its
password policy is read from the deployed template, `deploy/homeserver.yaml`, so the tests of a
person changing their password prove the policy that production runs.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from room_policies.roles import Platform


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SynapseError(RuntimeError):
    pass


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds; None or a process
    that has already exited is left alone."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# The hardened homeserver's configuration template (in the repository, beside the package).
DEPLOYED_HOMESERVER = Path(__file__).resolve().parents[2] / "deploy" / "homeserver.yaml"


def deployed_password_config(path: Path = DEPLOYED_HOMESERVER) -> dict[str, Any]:
    """`password_config` of the deployed homeserver (policy: length, digit, symbol, cases)."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SynapseError(
            f"{path} is missing: the local Synapse takes its password policy from it (run "
            "the demo and the tests from the repository)"
        ) from None
    section = config.get("password_config") if isinstance(config, dict) else None
    if not isinstance(section, dict) or not isinstance(section.get("policy"), dict):
        raise SynapseError(f"{path} has no password_config with a policy")
    return section


class LocalSynapse:
    def __init__(
        self,
        directory: Path,
        server_name: str,
        port: int,
        *,
        extra_config: dict[str, Any] | None = None,
        policy_module: bool = True,
        platform: Platform | None = None,
    ) -> None:
        self.directory = directory.resolve()
        self.server_name = server_name
        self.port = port
        self.extra_config = extra_config or {}
        # The platform's own Synapse module (SPEC §2 "Prevent"), as deploy/homeserver.yaml has it.
        # Synapse runs from this interpreter, so it imports `room_policies` from this install.
        self.policy_module = policy_module
        # The platform's two accounts, named in the module's config so that they sign in once
        # (R37); None leaves sign-ins unguarded (several working groups share the tests' server).
        self.platform = platform
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients reach the homeserver."""
        return self.main_url

    @property
    def main_url(self) -> str:
        """The main process's own client listener."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.directory / "homeserver.yaml"

    @property
    def database_path(self) -> Path:
        return self.directory / "homeserver.db"

    @property
    def media_path(self) -> Path:
        return self.directory / "media_store"

    @property
    def log_path(self) -> Path:
        return self.directory / "homeserver.log"

    @property
    def secret_path(self) -> Path:
        return self.directory / "registration_shared_secret"

    @property
    def registration_secret(self) -> str:
        return self.secret_path.read_text(encoding="utf-8").strip()

    def _secret(self, name: str) -> str:
        path = self.directory / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        return path.read_text(encoding="utf-8").strip()

    def homeserver_config(self) -> dict[str, Any]:
        """The homeserver.yaml it runs with (makes the secret files it names when missing)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        unlimited = {"per_second": 10_000, "burst_count": 10_000}
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "pid_file": str(self.directory / "homeserver.pid"),
            "public_baseurl": self.url + "/",
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    # As deploy/homeserver.yaml's proxy listener: the client's address is
                    # the X-Forwarded-For of nginx in front (tests/integration/
                    # test_front_door.py); a request without the header keeps its own.
                    "x_forwarded": True,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(self.database_path)}},
            "log_config": str(self.directory / "log.config"),
            "media_store_path": str(self.media_path),
            "signing_key_path": str(self.directory / "signing.key"),
            "registration_shared_secret_path": str(self.secret_path),
            "macaroon_secret_key": self._secret("macaroon_secret_key"),
            "form_secret": self._secret("form_secret"),
            "report_stats": False,
            "enable_metrics": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            # No federation: no federation listener, and no server to federate with.
            "federation_domain_whitelist": [],
            "allow_public_rooms_over_federation": False,
            "allow_public_rooms_without_auth": False,
            "enable_registration": False,
            "allow_guest_access": False,
            "encryption_enabled_by_default_for_room_type": "all",
            # Names are set by the platform and locked; profiles only for people sharing a room.
            "enable_set_displayname": False,
            "enable_set_avatar_url": False,
            "allow_per_room_profiles": False,
            "require_auth_for_profile_requests": True,
            "limit_profile_requests_to_users_who_share_rooms": True,
            "user_directory": {"enabled": True, "search_all_users": False},
            # The deployed policy itself, not a copy of it.
            "password_config": deployed_password_config(),
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            "rc_message": unlimited,
            "rc_login": {
                "address": unlimited,
                "account": unlimited,
                "failed_attempts": unlimited,
            },
            "rc_joins": {"local": unlimited, "remote": unlimited},
            "rc_joins_per_room": unlimited,
            "rc_invites": {
                "per_room": unlimited,
                "per_user": unlimited,
                "per_issuer": unlimited,
            },
            "rc_registration": unlimited,
            "rc_admin_redaction": unlimited,
            "rc_key_requests": unlimited,
            "rc_3pid_validation": unlimited,
            "rc_room_creation": unlimited,
            "rc_presence": {"per_user": unlimited},
            "rc_delayed_event_mgmt": unlimited,
        }
        if self.policy_module:
            module_config: dict[str, str] = {}
            if self.platform is not None:
                module_config = {"bot": self.platform.bot_id, "warden": self.platform.warden_id}
            config["modules"] = [
                {"module": "room_policies.synapse_module.RoomPolicyModule", "config": module_config}
            ]
        config.update(self.extra_config)
        self._secret("registration_shared_secret")
        return config

    def write_config(self) -> None:
        config = self.homeserver_config()
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        log_config = {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": str(self.log_path),
                    "formatter": "plain",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        (self.directory / "log.config").write_text(yaml.safe_dump(log_config), encoding="utf-8")
        if not (self.directory / "signing.key").exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "synapse.app.homeserver",
                    "-c",
                    str(self.config_path),
                    "--generate-keys",
                ],
                check=True,
                cwd=self.directory,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )

    def start(self, timeout: float = 60.0) -> None:
        if not self.config_path.exists():
            self.write_config()
        self._process = self.launch("synapse.app.homeserver", [self.config_path], "stdout.log")
        self.await_health(self._process, self.main_url, timeout)

    def launch(self, app: str, configs: list[Path], output: str) -> subprocess.Popen[bytes]:
        """`python -m <app>` of this interpreter's Synapse with the configuration files given
        (merged in order), its standard output and error appended to `output` in the folder."""
        args = [arg for config in configs for arg in ("-c", str(config))]
        out = open(self.directory / output, "ab")  # noqa: SIM115 (owned by the process)
        process = subprocess.Popen(
            [sys.executable, "-m", app, *args],
            cwd=self.directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        return process

    def await_health(
        self, process: subprocess.Popen[bytes], url: str, timeout: float = 60.0
    ) -> None:
        """Wait until `url`/health answers 200; stop everything if the process exits first or
        the time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.stop()
                raise SynapseError(
                    f"Synapse exited with code {process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(url + "/health", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise SynapseError(f"Synapse did not answer within {timeout:.0f}s; see {self.log_path}")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        process, self._process = self._process, None
        stop_process(process, timeout)

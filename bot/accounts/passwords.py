"""Passwords of `plenaria accounts`: generated, derived, read from secret files, and the file of
initial passwords handed to people.

- `generate_password`: a random password that meets the homeserver's policy.
- `admin_password`: the platform admin account's password, derived from the registration shared
  secret and kept nowhere (bot/accounts/homeserver.py says why).
- `registration_secret`: the shared secret, read from its file only when an accounts command runs.
- `missing_platform_password_files`: the bot's and warden's password files still to be made.
- `PasswordFile`: the JSON file of new people's passwords (mode 0600), deleted by
  `plenaria accounts handed-over` once each person has theirs.

Passwords never reach a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import yaml

from bot.accounts.errors import AccountError
from bot.matrix.private_files import write_private
from bot.runtime.settings import Settings, read_secret_file


def generate_password() -> str:
    """A random password that also meets the homeserver's policy (upper, lower, digit, symbol)."""
    while True:
        candidate = secrets.token_urlsafe(18)
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(c in "-_" for c in candidate)
        ):
            return candidate


def registration_secret(settings: Settings) -> str:
    """Synapse's registration shared secret, read from `registration_shared_secret_file` now.

    Only `plenaria accounts` calls this; `Settings` holds the file's path, never its content.
    """
    path = settings.registration_shared_secret_file
    if path is None:
        raise AccountError(
            "no registration shared secret: registration_shared_secret_file is not set in the "
            "configuration"
        )
    try:
        return read_secret_file(path, "registration_shared_secret_file").get_secret_value()
    except ValueError as exc:
        raise AccountError(f"no registration shared secret: {exc}") from None


def admin_password(shared_secret: str, server_name: str) -> str:
    """The platform admin account's password: derived from the shared secret, kept nowhere.

    HMAC-SHA256 keyed by the secret, so it reveals nothing of the secret; the fixed prefix meets
    the homeserver's password policy (upper, lower, digit, symbol) whatever the digest.
    """
    digest = hmac.new(
        shared_secret.encode("utf-8"),
        f"plenaria-admin password\x00{server_name}".encode(),
        hashlib.sha256,
    ).digest()
    return "Pa1-" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def missing_platform_password_files(config: Path) -> dict[str, Path]:
    """The bot's and warden's `password_file`s that the configuration names but do not exist.

    Read from the YAML before it is validated (validation needs those files); a password given
    in the environment (`PLENARIA_BOT__PASSWORD`) needs no file.
    """
    try:
        raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}  # load_settings says what is wrong, in one line
    if not isinstance(raw, dict):
        return {}
    missing: dict[str, Path] = {}
    for account in ("bot", "warden"):
        section = raw.get(account)
        if not isinstance(section, dict) or f"PLENARIA_{account.upper()}__PASSWORD" in os.environ:
            continue
        user, name = section.get("user_id"), section.get("password_file")
        if isinstance(user, str) and isinstance(name, str):
            path = config.parent / name
            if not path.exists():
                missing[user] = path
    return missing


class PasswordFile:
    """A JSON file `{user_id: password}`, mode 0600, merged into on each write; never logged."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except IsADirectoryError:
            data = None
        except OSError as exc:
            raise AccountError(f"cannot read {self.path}: {exc.strerror}") from None
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise AccountError(
                f"{self.path} is not a passwords file (a JSON object of user id → password); "
                "move it away or name another file with -o"
            )
        return data

    def write(self, entries: Mapping[str, str]) -> None:
        """Replace the file's content by `entries` (a file that would be empty is removed)."""
        text = json.dumps(dict(entries), indent=2, ensure_ascii=False) + "\n"
        try:
            if entries:
                write_private(self.path, text)
            else:
                self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise AccountError(f"cannot write {self.path}: {exc.strerror}") from None

    def delete(self) -> int | None:
        """Delete the file once people have their passwords: how many it held (None: no file).

        Only a passwords file is deleted (anything else named by mistake is refused), and it is
        unlinked, not overwritten first: on journalling and copy-on-write file systems, on SSDs
        (which remap writes) and under snapshots or backups, writing over a file does not reach
        the blocks that held its content, so an overwrite would promise what it cannot do. What
        protects the passwords is the file's mode (0600), its short life, and encrypted disks.
        """
        if self.path.is_symlink():
            raise AccountError(
                f"{self.path} is a symbolic link; name the passwords file itself with -o"
            )
        if not self.path.exists():
            return None
        held = len(self.read())
        try:
            self.path.unlink()
        except OSError as exc:
            raise AccountError(f"cannot delete {self.path}: {exc.strerror}") from None
        return held

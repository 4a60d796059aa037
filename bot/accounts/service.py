"""Accounts on the organisation's own homeserver: created, named and reset by the platform.

Only `plenaria accounts …` uses this module; the running bot (`plenaria run`) never imports it,
so it never reads the registration shared secret, and no admin password exists for it to hold.

Model: the wanted accounts are the platform's (bot, warden) and the roster's people, each with
the display name the platform sets and locks (`Roster.display_name`); people who were on an
earlier roster and left it keep their account under their name without a seat. `plan_accounts`
compares them with what the homeserver holds (pure); `AccountService` surveys the homeserver and
applies the plan: a missing account is made through Synapse's shared-secret registration API
with a generated password; an existing one under another name is renamed through Synapse's
admin API, since display names are locked for their owners (`enable_set_displayname: false`).

The admin API wants a server admin's access token, which the shared secret cannot give. So the
platform keeps one admin account of its own, `@plenaria-admin:<server>`:
- made through the shared secret (as an admin) on first use. Its password is derived from the
  shared secret (`admin_password`) and kept nowhere: whoever holds the secret can register
  admins at will anyway, so deriving adds no power, and nothing is left on disk for the running
  bot, or anyone who reads its data_dir, to find;
- each run logs in with it on one fixed device (`PLENARIA_ADMIN`) and logs out at the end, so
  no access token or device outlives a run;
- it is not deactivated after use: a deactivated account can never log in again and its id is
  never reusable, so every run would leave a dead admin behind. It shares no room, so no one's
  user directory lists it (`search_all_users: false`);
- when it does not accept the derived password (the shared secret was changed), a one-off admin
  made through the shared secret resets it and is then deactivated and erased. A password file
  of the earlier design (`<data_dir>/secrets/admin-password`) is used once to move the account
  to its derived password, then deleted.

Passwords and tokens never reach a log line: generated passwords go to the caller or to a
`PasswordFile` (mode 0600), deleted by `plenaria accounts handed-over` once people have them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
import yaml

from bot.matrix.private_files import write_private
from bot.runtime.settings import Settings, _read_secret_file
from room_policies.roster import Roster, former_names

log = logging.getLogger(__name__)

ADMIN_LOCALPART = "plenaria-admin"
ADMIN_DEVICE_ID = "PLENARIA_ADMIN"
ADMIN_DISPLAY_NAME = "plenaria administration"
# Where the earlier design kept the admin account's password (now derived, kept nowhere).
LEGACY_ADMIN_PASSWORD_FILE = Path("secrets") / "admin-password"
BOT_DISPLAY_NAME = "plenaria"
WARDEN_DISPLAY_NAME = "plenaria warden"
# Parallel requests: Synapse hashes each new password (bcrypt) in a thread pool.
_CONCURRENCY = 8


class AccountError(Exception):
    """The homeserver refused, or could not be reached; `reasons` holds one line per problem."""

    def __init__(self, reasons: str | Iterable[str]) -> None:
        self.reasons: tuple[str, ...] = (reasons,) if isinstance(reasons, str) else tuple(reasons)
        super().__init__("\n".join(self.reasons))


@dataclass(frozen=True)
class Registered:
    localpart: str
    created: bool


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
        return _read_secret_file(path, "registration_shared_secret_file").get_secret_value()
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


async def register(
    homeserver: str,
    shared_secret: str,
    localpart: str,
    password: str,
    *,
    admin: bool = False,
    displayname: str | None = None,
) -> Registered:
    """Create the account; an account that already exists is reported, not an error."""
    async with aiohttp.ClientSession() as http:
        return await _register(
            http, homeserver, shared_secret, localpart, password, admin, displayname
        )


async def _register(
    http: aiohttp.ClientSession,
    homeserver: str,
    shared_secret: str,
    localpart: str,
    password: str,
    admin: bool,
    displayname: str | None,
) -> Registered:
    try:
        return await _register_once(
            http, homeserver, shared_secret, localpart, password, admin, displayname
        )
    except (aiohttp.ClientConnectionError, TimeoutError):
        raise AccountError(f"the homeserver {homeserver.rstrip('/')} is unreachable") from None


async def _register_once(
    http: aiohttp.ClientSession,
    homeserver: str,
    shared_secret: str,
    localpart: str,
    password: str,
    admin: bool,
    displayname: str | None,
) -> Registered:
    url = homeserver.rstrip("/") + "/_synapse/admin/v1/register"
    async with http.get(url) as resp:
        if resp.status != 200:
            raise AccountError(f"shared-secret registration is not available ({resp.status})")
        nonce = (await resp.json())["nonce"]
    message = "\x00".join([nonce, localpart, password, "admin" if admin else "notadmin"])
    mac = hmac.new(shared_secret.encode(), message.encode("utf-8"), hashlib.sha1)
    body: dict[str, object] = {
        "nonce": nonce,
        "username": localpart,
        "password": password,
        "admin": admin,
        "mac": mac.hexdigest(),
        # No device and no access token: the account's first sign-in is its owner's. (The
        # Synapse module lets the platform's accounts sign in only while they have no device.)
        "inhibit_login": True,
    }
    if displayname is not None:
        body["displayname"] = displayname
    async with http.post(url, json=body) as resp:
        data = await resp.json(content_type=None)
        if resp.status == 200:
            return Registered(localpart, created=True)
        if data.get("errcode") == "M_USER_IN_USE":
            return Registered(localpart, created=False)
        if resp.status == 403 and "HMAC" in str(data.get("error", "")):
            raise AccountError(
                "the homeserver refused the registration shared secret (is it Synapse's "
                "registration_shared_secret?)"
            )
        raise AccountError(f"could not create {localpart}: {data.get('errcode', resp.status)}")


# -- what is wanted, what is there, what to do (pure) -------------------------------------------


@dataclass(frozen=True)
class Existing:
    """An account as the homeserver holds it."""

    displayname: str | None
    deactivated: bool = False


@dataclass(frozen=True)
class Plan:
    """What `AccountService.apply` does: users mapped to the display name they get."""

    create: dict[str, str] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    unchanged: tuple[str, ...] = ()
    deactivated: tuple[str, ...] = ()


def plan_accounts(
    wanted: Mapping[str, str],
    existing: Mapping[str, Existing | None],
    former: Mapping[str, str] | None = None,
) -> Plan:
    """Create the missing accounts, rename those whose name differs, leave deactivated ones.

    `former` are people who left the roster, user → their name without a seat: an account of
    theirs that still exists is renamed; none is ever created for them.
    """
    create: dict[str, str] = {}
    rename: dict[str, str] = {}
    unchanged: list[str] = []
    deactivated: list[str] = []
    for user, name in wanted.items():
        account = existing.get(user)
        if account is None:
            create[user] = name
        elif account.deactivated:
            deactivated.append(user)
        elif account.displayname != name:
            rename[user] = name
        else:
            unchanged.append(user)
    for user, name in (former or {}).items():
        account = existing.get(user)
        if user in wanted or account is None or account.deactivated:
            continue
        if account.displayname != name:
            rename[user] = name
        else:
            unchanged.append(user)
    return Plan(create, rename, tuple(unchanged), tuple(deactivated))


def admin_user_id(server_name: str) -> str:
    return f"@{ADMIN_LOCALPART}:{server_name}"


def platform_accounts(settings: Settings) -> dict[str, str]:
    """The platform's own accounts (bot, warden) and the display names they carry."""
    wanted = {settings.bot.user_id: BOT_DISPLAY_NAME}
    if settings.warden is not None:
        wanted[settings.warden.user_id] = WARDEN_DISPLAY_NAME
    return wanted


def former_accounts(
    settings: Settings, history: Iterable[Roster], roster: Roster
) -> dict[str, str]:
    """People on an earlier roster but not on `roster`, user id → their name without a seat.

    A roster change in the chat takes someone's seat away; their locked display name must then
    stop claiming it, and `plenaria accounts create` is what sets it (the running bot cannot).
    """
    platform = platform_accounts(settings)
    admin = admin_user_id(settings.server_name)
    return {
        user: name
        for user, name in former_names(history, roster).items()
        if user not in platform and user != admin
    }


def wanted_accounts(settings: Settings, roster: Roster) -> dict[str, str]:
    """Every account the platform needs, user id → display name: its own, then the roster's."""
    admin = admin_user_id(settings.server_name)
    if admin in roster.participants():
        raise AccountError(
            f"{admin} is the platform's admin account and cannot also be a participant"
        )
    wanted = platform_accounts(settings)
    for user in roster.participants():
        wanted[user] = roster.display_name(user)
    return wanted


def user_id_argument(text: str, server_name: str) -> str:
    """A user named on the command line: `@ag.fp:example.org`, `ag.fp:example.org` or `ag.fp`."""
    text = text.strip()
    if text.startswith("@"):
        return text
    return f"@{text}" if ":" in text else f"@{text}:{server_name}"


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


# -- the passwords file --------------------------------------------------------------------------


class PasswordFile:
    """A JSON file `{user_id: password}`, mode 0600, merged into on each write; never logged."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, ValueError):
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
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        write_private(self.path, json.dumps(dict(entries), indent=2, ensure_ascii=False) + "\n")

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
        self.path.unlink()
        return held


# -- the homeserver ------------------------------------------------------------------------------


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class AccountService:
    """Accounts through the shared secret and the admin API; use as `async with`."""

    def __init__(
        self,
        homeserver: str,
        server_name: str,
        shared_secret: str,
        legacy_admin_password_file: Path | None = None,
    ) -> None:
        self.homeserver = homeserver.rstrip("/")
        self.server_name = server_name
        self.admin_id = admin_user_id(server_name)
        self._secret = shared_secret
        self._legacy_admin_password_file = legacy_admin_password_file
        self._http: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_lock = asyncio.Lock()
        self._limit = asyncio.Semaphore(_CONCURRENCY)
        # Accounts made by this service so far, also when `apply` fails half-way.
        self.created: list[str] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountService:
        return cls(
            settings.homeserver_url,
            settings.server_name,
            registration_secret(settings),
            settings.data_dir / LEGACY_ADMIN_PASSWORD_FILE,
        )

    async def __aenter__(self) -> AccountService:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._token is not None:
                token, self._token = self._token, None
                try:
                    await self._call("POST", "/_matrix/client/v3/logout", token=token, body={})
                except AccountError:
                    log.warning("could not log out %s at the end", self.admin_id)
        finally:
            if self._http is not None:
                await self._http.close()

    # -- questions ---------------------------------------------------------------------------

    async def lookup(self, user: str) -> Existing | None:
        """The account as the homeserver holds it, or None when there is no such account."""
        status, data = await self._call(
            "GET", f"/_synapse/admin/v2/users/{quote(user, safe='')}", token=await self._admin()
        )
        if status == 404:
            return None
        _expect(status, data, f"could not look up {user}")
        name = data.get("displayname")
        return Existing(name if isinstance(name, str) else None, bool(data.get("deactivated")))

    async def survey(
        self, wanted: Mapping[str, str], former: Mapping[str, str] | None = None
    ) -> Plan:
        """What `apply` would do to give every wanted (and former) account its name."""
        users = list(dict.fromkeys([*wanted, *(former or {})]))
        found = await self._bounded(partial(self.lookup, user) for user in users)
        return plan_accounts(wanted, dict(zip(users, found, strict=True)), former)

    # -- changes -----------------------------------------------------------------------------

    async def apply(self, plan: Plan, passwords: Mapping[str, str]) -> Outcome:
        """Create and rename as planned; `passwords` holds one for each account to create."""
        outcome = Outcome(unchanged=list(plan.unchanged))

        async def create(user: str, name: str) -> None:
            localpart = user.removeprefix("@").partition(":")[0]
            password = passwords[user]
            registered = await _register(
                self._session(), self.homeserver, self._secret, localpart, password, False, name
            )
            if not registered.created:
                raise AccountError(f"{user} was created by someone else meanwhile; run again")
            self.created.append(user)
            outcome.created.append(user)
            log.info("created %s", user)

        async def rename(user: str, name: str) -> None:
            await self.set_display_name(user, name)
            outcome.renamed.append(user)
            log.info("display name of %s set from the roster", user)

        await self._bounded(
            [
                *(partial(create, user, name) for user, name in plan.create.items()),
                *(partial(rename, user, name) for user, name in plan.rename.items()),
            ]
        )
        return outcome

    async def set_display_name(self, user: str, name: str) -> None:
        status, data = await self._call(
            "PUT",
            f"/_synapse/admin/v2/users/{quote(user, safe='')}",
            token=await self._admin(),
            body={"displayname": name},
        )
        _expect(status, data, f"could not rename {user}")

    async def reset_password(self, user: str, password: str, *, logout_devices: bool) -> None:
        """Give an account a new password; with `logout_devices`, sign it out everywhere."""
        status, data = await self._call(
            "POST",
            f"/_synapse/admin/v1/reset_password/{quote(user, safe='')}",
            token=await self._admin(),
            body={"new_password": password, "logout_devices": logout_devices},
        )
        _expect(status, data, f"could not reset the password of {user}")
        log.info("password of %s reset (devices signed out: %s)", user, logout_devices)

    # -- the admin token ---------------------------------------------------------------------

    async def _admin(self) -> str:
        async with self._token_lock:
            if self._token is None:
                self._token = await self._admin_login()
            return self._token

    async def _admin_login(self) -> str:
        password = admin_password(self._secret, self.server_name)
        token = await self._login(self.admin_id, password, ADMIN_DEVICE_ID)
        if token is None:
            registered = await self._register_admin(ADMIN_LOCALPART, password, ADMIN_DISPLAY_NAME)
            if registered.created:
                log.info("created the platform's admin account %s", self.admin_id)
            elif not await self._move_legacy_admin(password):
                await self._recover_admin(password)
            token = await self._login(self.admin_id, password, ADMIN_DEVICE_ID)
        if token is None:
            raise AccountError(f"could not log in as the platform's admin account {self.admin_id}")
        self._forget_legacy_admin_password()
        return token

    async def _move_legacy_admin(self, password: str) -> bool:
        """An admin account made by the earlier design, whose password was kept in a file: give
        it the derived password (through its own token) and say whether that worked."""
        path = self._legacy_admin_password_file
        try:
            legacy = path.read_text(encoding="utf-8").strip() if path is not None else ""
        except (OSError, UnicodeDecodeError):
            legacy = ""
        if not legacy:
            return False
        token = await self._login(self.admin_id, legacy, None)
        if token is None:
            return False
        try:
            status, data = await self._call(
                "PUT",
                f"/_synapse/admin/v2/users/{quote(self.admin_id, safe='')}",
                token=token,
                body={"password": password, "logout_devices": True},
            )
            _expect(status, data, f"could not move the admin account {self.admin_id}")
        finally:
            # logout_devices signs this token out too; a failed change leaves it to log out.
            await self._call("POST", "/_matrix/client/v3/logout", token=token, body={})
        log.info("the platform's admin account %s now uses its derived password", self.admin_id)
        return True

    def _forget_legacy_admin_password(self) -> None:
        path = self._legacy_admin_password_file
        if path is not None and path.exists():
            path.unlink()
            log.info("deleted %s: the admin account's password is no longer kept in a file", path)

    async def _recover_admin(self, password: str) -> None:
        """Give the admin account its derived password back, through a one-off admin."""
        localpart = f"{ADMIN_LOCALPART}-recovery-{secrets.token_hex(4)}"
        spare_id, spare_password = f"@{localpart}:{self.server_name}", generate_password()
        await self._register_admin(localpart, spare_password, None)
        token = await self._login(spare_id, spare_password, None)
        if token is None:
            raise AccountError(f"could not log in as the one-off admin account {spare_id}")
        try:
            status, data = await self._call(
                "PUT",
                f"/_synapse/admin/v2/users/{quote(self.admin_id, safe='')}",
                token=token,
                body={
                    "password": password,
                    "admin": True,
                    "deactivated": False,
                    "locked": False,
                    "logout_devices": True,
                },
            )
            _expect(status, data, f"could not restore the admin account {self.admin_id}")
        finally:
            status, data = await self._call(
                "POST",
                f"/_synapse/admin/v1/deactivate/{quote(spare_id, safe='')}",
                token=token,
                body={"erase": True},
            )
            _expect(status, data, f"could not deactivate the one-off admin account {spare_id}")
        log.warning(
            "the platform's admin account %s did not accept its derived password; it was reset "
            "through the one-off admin account %s, now deactivated",
            self.admin_id,
            spare_id,
        )

    async def _register_admin(
        self, localpart: str, password: str, displayname: str | None
    ) -> Registered:
        return await _register(
            self._session(), self.homeserver, self._secret, localpart, password, True, displayname
        )

    async def _login(self, user: str, password: str, device_id: str | None) -> str | None:
        body: dict[str, object] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
            "initial_device_display_name": "plenaria accounts (admin API)",
        }
        if device_id is not None:
            body["device_id"] = device_id
        status, data = await self._call("POST", "/_matrix/client/v3/login", body=body)
        if status == 200 and isinstance(data.get("access_token"), str):
            return str(data["access_token"])
        if status in (401, 403):
            return None
        _expect(status, data, f"could not log in as {user}")
        return None

    # -- HTTP --------------------------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("use AccountService as `async with`")
        return self._http

    async def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Mapping[str, object] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        try:
            async with self._session().request(
                method, self.homeserver + path, json=body, headers=headers
            ) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = None
                return resp.status, data if isinstance(data, dict) else {}
        except (aiohttp.ClientConnectionError, TimeoutError):
            raise AccountError(f"the homeserver {self.homeserver} is unreachable") from None

    async def _bounded(self, calls: Iterable[Callable[[], Awaitable[Any]]]) -> list[Any]:
        """Run the calls at most `_CONCURRENCY` at a time; the first failure stops the rest."""

        async def one(call: Callable[[], Awaitable[Any]]) -> Any:
            async with self._limit:
                return await call()

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(call)) for call in calls]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]


def _expect(status: int, data: Mapping[str, Any], what: str) -> None:
    if status == 200 or status == 201:
        return
    reason = data.get("errcode") or f"HTTP {status}"
    detail = data.get("error")
    raise AccountError(f"{what}: {reason}" + (f" ({detail})" if detail else ""))


# -- `plenaria accounts create` ------------------------------------------------------------------


class Homeserver(Protocol):
    """What `create_accounts` needs of `AccountService` (tests pass a fake)."""

    created: list[str]

    async def survey(
        self, wanted: Mapping[str, str], former: Mapping[str, str] | None = None
    ) -> Plan: ...

    async def apply(self, plan: Plan, passwords: Mapping[str, str]) -> Outcome: ...


async def create_accounts(
    service: Homeserver,
    wanted: Mapping[str, str],
    *,
    former: Mapping[str, str] | None = None,
    platform_passwords: Mapping[str, str],
    new_platform_files: Mapping[str, Path],
    passwords_file: PasswordFile,
) -> tuple[Outcome, int]:
    """Create and rename the wanted accounts; (what was done, passwords written to the file).

    People's accounts get generated passwords, written to `passwords_file` before the accounts
    exist (so none is ever made with a password that is nowhere) and taken out again for any
    account that was not made after all. `former` people (off the roster) are renamed, never
    created. The platform's accounts use `platform_passwords`, from their own password files;
    `new_platform_files` are those files just generated, which only fit an account made now. A
    refused run changes nothing on the homeserver.
    """
    before = passwords_file.read()
    plan = await service.survey(wanted, former)
    reasons = [
        f"{user} is deactivated on the homeserver; take them off the roster first"
        for user in plan.deactivated
    ]
    reasons += [
        f"{user} exists, but its password file {path} did not: put the account's password "
        "there (no file was written)"
        for user, path in new_platform_files.items()
        if user not in plan.create
    ]
    if reasons:
        raise AccountError(reasons)
    generated = {
        user: generate_password() for user in plan.create if user not in platform_passwords
    }
    if generated:
        passwords_file.write(before | generated)
    try:
        outcome = await service.apply(plan, generated | dict(platform_passwords))
    finally:
        if generated:
            made = {user: generated[user] for user in service.created if user in generated}
            if len(made) < len(generated):
                passwords_file.write(before | made)
    return outcome, len(generated)

"""The homeserver's registration and admin APIs, as `plenaria accounts` speaks them (HTTP).

A missing account is made through Synapse's shared-secret registration API (`register`); an
existing one is looked up, renamed or given a new password through Synapse's admin API
(`HomeserverAdmin`), since display names are locked for their owners
(`enable_set_displayname: false`).

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

Passwords and tokens never reach a log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.accounts.errors import AccountError
from bot.accounts.passwords import admin_password, generate_password, registration_secret
from bot.accounts.plan import ADMIN_LOCALPART, Existing, admin_user_id
from bot.runtime.settings import Settings

log = logging.getLogger(__name__)

ADMIN_DEVICE_ID = "PLENARIA_ADMIN"
ADMIN_DISPLAY_NAME = "plenaria administration"
# Where the earlier design kept the admin account's password (now derived, kept nowhere).
LEGACY_ADMIN_PASSWORD_FILE = Path("secrets") / "admin-password"


@dataclass(frozen=True)
class Registered:
    localpart: str
    created: bool


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
        return await _register_through(
            http, homeserver, shared_secret, localpart, password, admin, displayname
        )


async def _register_through(
    http: aiohttp.ClientSession,
    homeserver: str,
    shared_secret: str,
    localpart: str,
    password: str,
    admin: bool,
    displayname: str | None,
) -> Registered:
    """Synapse's shared-secret registration: fetch a nonce, then send the account with an HMAC
    of it keyed by the secret."""
    homeserver = homeserver.rstrip("/")
    url = homeserver + "/_synapse/admin/v1/register"
    try:
        async with http.get(url) as resp:
            if resp.status != 200:
                raise AccountError(f"shared-secret registration is not available ({resp.status})")
            nonce = (await _json_object(resp)).get("nonce")
        if not isinstance(nonce, str):
            raise AccountError(
                f"the homeserver {homeserver} does not answer as Synapse's shared-secret "
                "registration API"
            )
        message = "\x00".join([nonce, localpart, password, "admin" if admin else "notadmin"])
        mac = hmac.new(shared_secret.encode(), message.encode("utf-8"), hashlib.sha1)
        body: dict[str, object] = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
            # No device and no access token: the account's first sign-in is its owner's. (The
            # Synapse module lets the platform's accounts sign in only while they have no
            # device.)
            "inhibit_login": True,
        }
        if displayname is not None:
            body["displayname"] = displayname
        async with http.post(url, json=body) as resp:
            status, data = resp.status, await _json_object(resp)
    except (aiohttp.ClientConnectionError, TimeoutError):
        raise AccountError(f"the homeserver {homeserver} is unreachable") from None
    if status == 200:
        return Registered(localpart, created=True)
    if data.get("errcode") == "M_USER_IN_USE":
        return Registered(localpart, created=False)
    if status == 403 and "HMAC" in str(data.get("error", "")):
        raise AccountError(
            "the homeserver refused the registration shared secret (is it Synapse's "
            "registration_shared_secret?)"
        )
    raise AccountError(f"could not create {localpart}: {data.get('errcode', status)}")


class HomeserverAdmin:
    """Registration through the shared secret and the admin API as the platform's admin
    account; use as `async with` (the admin logs out at the end)."""

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

    @classmethod
    def from_settings(cls, settings: Settings) -> HomeserverAdmin:
        return cls(
            settings.homeserver_url,
            settings.server_name,
            registration_secret(settings),
            settings.data_dir / LEGACY_ADMIN_PASSWORD_FILE,
        )

    async def __aenter__(self) -> HomeserverAdmin:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Log the admin out (its token and device end with the run), close the connections."""
        try:
            if self._token is not None:
                token, self._token = self._token, None
                try:
                    await self._request("POST", "/_matrix/client/v3/logout", token=token, body={})
                except AccountError:
                    log.warning("could not log out %s at the end", self.admin_id)
        finally:
            if self._http is not None:
                await self._http.close()

    # -- accounts ----------------------------------------------------------------------------

    async def register(self, localpart: str, password: str, displayname: str) -> Registered:
        """Create a person's or the platform's account (never an admin) with its name."""
        return await _register_through(
            self._session(), self.homeserver, self._secret, localpart, password, False, displayname
        )

    async def lookup(self, user: str) -> Existing | None:
        """The account as the homeserver holds it, or None when there is no such account."""
        status, data = await self._request(
            "GET",
            f"/_synapse/admin/v2/users/{quote(user, safe='')}",
            token=await self._admin_token(),
        )
        if status == 404:
            return None
        _expect(status, data, f"could not look up {user}")
        name = data.get("displayname")
        return Existing(name if isinstance(name, str) else None, bool(data.get("deactivated")))

    async def set_display_name(self, user: str, name: str) -> None:
        status, data = await self._request(
            "PUT",
            f"/_synapse/admin/v2/users/{quote(user, safe='')}",
            token=await self._admin_token(),
            body={"displayname": name},
        )
        _expect(status, data, f"could not rename {user}")

    async def reset_password(self, user: str, password: str, *, logout_devices: bool) -> None:
        """Give an account a new password; with `logout_devices`, sign it out everywhere."""
        status, data = await self._request(
            "POST",
            f"/_synapse/admin/v1/reset_password/{quote(user, safe='')}",
            token=await self._admin_token(),
            body={"new_password": password, "logout_devices": logout_devices},
        )
        _expect(status, data, f"could not reset the password of {user}")
        log.info("password of %s reset (devices signed out: %s)", user, logout_devices)

    # -- the admin token ---------------------------------------------------------------------

    async def _admin_token(self) -> str:
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
            status, data = await self._request(
                "PUT",
                f"/_synapse/admin/v2/users/{quote(self.admin_id, safe='')}",
                token=token,
                body={"password": password, "logout_devices": True},
            )
            _expect(status, data, f"could not move the admin account {self.admin_id}")
        finally:
            # logout_devices signs this token out too; a failed change leaves it to log out.
            await self._request("POST", "/_matrix/client/v3/logout", token=token, body={})
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
            status, data = await self._request(
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
            status, data = await self._request(
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
        return await _register_through(
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
        status, data = await self._request("POST", "/_matrix/client/v3/login", body=body)
        if status == 200 and isinstance(data.get("access_token"), str):
            return str(data["access_token"])
        if status in (401, 403):
            return None
        _expect(status, data, f"could not log in as {user}")
        return None

    # -- HTTP --------------------------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("use HomeserverAdmin as `async with`")
        return self._http

    async def _request(
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
                return resp.status, await _json_object(resp)
        except (aiohttp.ClientConnectionError, TimeoutError):
            raise AccountError(f"the homeserver {self.homeserver} is unreachable") from None


async def _json_object(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    """The answer's JSON object; {} for anything else (an error page, a proxy's HTML)."""
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _expect(status: int, data: Mapping[str, Any], what: str) -> None:
    if status == 200 or status == 201:
        return
    reason = data.get("errcode") or f"HTTP {status}"
    detail = data.get("error")
    raise AccountError(f"{what}: {reason}" + (f" ({detail})" if detail else ""))

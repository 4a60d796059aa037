"""Accounts on the organisation's own homeserver, through Synapse's shared-secret admin API.

The shared secret never leaves this process; generated passwords go to a file of mode 0600 or
to the caller, never to the log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import aiohttp


class AccountError(Exception):
    pass


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
    url = homeserver.rstrip("/") + "/_synapse/admin/v1/register"
    async with aiohttp.ClientSession() as http:
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
        }
        if displayname is not None:
            body["displayname"] = displayname
        async with http.post(url, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status == 200:
                return Registered(localpart, created=True)
            if data.get("errcode") == "M_USER_IN_USE":
                return Registered(localpart, created=False)
            raise AccountError(f"could not create {localpart}: {data.get('errcode', resp.status)}")

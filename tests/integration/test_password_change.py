"""A person changes their own password, as Element does (source document II.C.1.a).

Element calls the client API `POST /_matrix/client/v3/account/password`: a first request
without authentication answers 401 with the user-interactive flows and a session, the second
carries `m.login.password` (the current password) and `logout_devices`. The session's Synapse
applies the password policy of the deployed homeserver, read from `deploy/homeserver.yaml`
(bot/demo/synapse_server.py), so what passes here passes in production.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.demo.synapse_server import LocalSynapse, deployed_password_config
from tests.integration.conftest import MakeAccount

POLICY = deployed_password_config()["policy"]
GOOD = "Correct-Horse-Battery-9"


async def login(synapse: LocalSynapse, user: str, password: str) -> str | None:
    """A new device's access token, or None when the homeserver refuses the password."""
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": password,
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(synapse.url + "/_matrix/client/v3/login", json=body) as resp,
    ):
        data: dict[str, Any] = await resp.json()
        if resp.status == 403:
            assert data["errcode"] == "M_FORBIDDEN"
            return None
        assert resp.status == 200, data
        return str(data["access_token"])


async def token_works(synapse: LocalSynapse, token: str) -> bool:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            synapse.url + "/_matrix/client/v3/account/whoami",
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        if resp.status == 401:
            assert (await resp.json())["errcode"] == "M_UNKNOWN_TOKEN"
        return resp.status == 200


async def change_password(
    synapse: LocalSynapse,
    token: str,
    user: str,
    current: str,
    new: str,
    *,
    logout_devices: bool,
) -> tuple[int, dict[str, Any]]:
    """Element's two requests; the answer to the last one made."""
    url = synapse.url + "/_matrix/client/v3/account/password"
    headers = {"Authorization": f"Bearer {token}"}
    body: dict[str, Any] = {"new_password": new, "logout_devices": logout_devices}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers=headers) as resp:
            data: dict[str, Any] = await resp.json()
            if resp.status != 401:
                return resp.status, data  # refused before authentication (the policy)
        assert ["m.login.password"] in [flow["stages"] for flow in data["flows"]], data
        body["auth"] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": current,
            "session": data["session"],
        }
        async with http.post(url, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


WEAK = [
    # Each breaks one rule of the policy, and says which in its errcode.
    ("Sh0rt-" + "x" * (POLICY["minimum_length"] - 7), "M_PASSWORD_TOO_SHORT"),
    ("No-Digits-Anywhere-Here", "M_PASSWORD_NO_DIGIT"),
    ("NoSymbolsAtAll12345", "M_PASSWORD_NO_SYMBOL"),
    ("no-uppercase-at-all-1", "M_PASSWORD_NO_UPPERCASE"),
    ("NO-LOWERCASE-AT-ALL-1", "M_PASSWORD_NO_LOWERCASE"),
]


def test_the_weak_passwords_break_one_rule_each() -> None:
    assert POLICY["enabled"] is True
    short = WEAK[0][0]
    assert len(short) == POLICY["minimum_length"] - 1
    assert GOOD.lower() != GOOD and GOOD.upper() != GOOD and len(GOOD) >= POLICY["minimum_length"]


@pytest.mark.parametrize(("weak", "errcode"), WEAK, ids=[code for _, code in WEAK])
async def test_a_weak_new_password_is_refused_with_the_policys_errcode(
    synapse: LocalSynapse, make_account: MakeAccount, weak: str, errcode: str
) -> None:
    user, password = await make_account("pw")
    token = await login(synapse, user, password)
    assert token is not None

    status, data = await change_password(synapse, token, user, password, weak, logout_devices=True)

    assert (status, data["errcode"]) == (400, errcode), data
    assert await login(synapse, user, weak) is None
    assert await login(synapse, user, password) is not None, "the password is unchanged"
    assert await token_works(synapse, token)


async def test_the_current_password_is_asked_for(
    synapse: LocalSynapse, make_account: MakeAccount
) -> None:
    user, password = await make_account("pw")
    token = await login(synapse, user, password)
    assert token is not None

    status, data = await change_password(
        synapse, token, user, "Not-The-Password-1", GOOD, logout_devices=True
    )

    assert (status, data["errcode"]) == (401, "M_FORBIDDEN"), data
    assert await login(synapse, user, GOOD) is None
    assert await login(synapse, user, password) is not None


async def test_a_good_new_password_replaces_the_old_and_signs_out_the_other_devices(
    synapse: LocalSynapse, make_account: MakeAccount
) -> None:
    user, password = await make_account("pw")
    here = await login(synapse, user, password)
    elsewhere = await login(synapse, user, password)
    assert here is not None and elsewhere is not None

    status, data = await change_password(synapse, here, user, password, GOOD, logout_devices=True)

    assert status == 200, data
    assert await login(synapse, user, password) is None, "the old password no longer logs in"
    assert await login(synapse, user, GOOD) is not None
    assert not await token_works(synapse, elsewhere), "the other device is signed out"
    assert await token_works(synapse, here), "the device that changed it stays signed in"


async def test_other_devices_stay_signed_in_when_not_asked(
    synapse: LocalSynapse, make_account: MakeAccount
) -> None:
    user, password = await make_account("pw")
    here = await login(synapse, user, password)
    elsewhere = await login(synapse, user, password)
    assert here is not None and elsewhere is not None

    status, data = await change_password(synapse, here, user, password, GOOD, logout_devices=False)

    assert status == 200, data
    assert await login(synapse, user, password) is None
    assert await login(synapse, user, GOOD) is not None
    assert await token_works(synapse, elsewhere)

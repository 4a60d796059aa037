"""The server operator against the rules (issue #9): a homeserver whose module names the
platform's accounts, a running working group, and the operator's own tools — the platform's
passwords, Synapse's admin API and tokens it mints for any account (no device). Each attack is
refused inside the homeserver; afterwards the delegation still talks and the bot still runs.

The tests run in file order on one working group; the last one checks that nothing broke."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from nio import RoomMessageNotice

from bot.accounts.homeserver import register
from bot.demo.synapse_server import LocalSynapse, free_port
from bot.runtime.app import build_app
from bot.runtime.settings import load_settings
from room_policies.roles import DelegationCode, Platform, RoomKind, UserId
from room_policies.rooms import RoomRef
from tests.integration.conftest import SERVER_NAME, RunningBot, unique
from tests.integration.working_group import Http, WorkingGroup

AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("AG"))
AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
PLENARY = RoomRef(RoomKind.PLENARY)
CLIENT = "/_matrix/client/v3"


@pytest.fixture(scope="module")
async def group(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkingGroup]:
    """A homeserver that knows the platform's two accounts (R37), and a working group on it
    whose Secretariat member is the server's administrator (the operator)."""
    localparts = {"bot": unique("bot-"), "warden": unique("warden-")}
    ids = {seat: UserId(f"@{lp}:{SERVER_NAME}") for seat, lp in localparts.items()}
    server = LocalSynapse(
        tmp_path_factory.mktemp("synapse-guarded"),
        SERVER_NAME,
        free_port(),
        platform=Platform(ids["bot"], ids["warden"]),
    )
    server.start()
    try:
        wg = WorkingGroup(server, tmp_path_factory.mktemp("operator"), ("AG",))
        for seat, localpart in localparts.items():
            password = "Pw-" + secrets.token_urlsafe(12) + "9a"
            await register(server.url, server.registration_secret, localpart, password)
            wg.accounts[seat] = (ids[seat], password)
        await asyncio.gather(*(wg.make_account(s, admin=s == "sec") for s in wg.seats()))
        await wg.start()
        await wg.accept_invites()
        try:
            yield wg
        finally:
            await wg.stop()
    finally:
        server.stop()


async def minted(group: WorkingGroup, seat: str) -> Http:
    """A token for `seat` minted by the operator through the admin API: it has no device."""
    return await group.minted_token(seat, admin="sec")


async def sign_in(group: WorkingGroup, seat: str, device_id: str | None = None) -> tuple[int, Any]:
    """A password sign-in as an Element-like client does it (a new device unless named)."""
    body: dict[str, Any] = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": group.id(seat)},
        "password": group.accounts[seat][1],
        "initial_device_display_name": "Element",
    }
    if device_id is not None:
        body["device_id"] = device_id
    return await Http(group.synapse.url, "").call("POST", f"{CLIENT}/login", body)


def refused(status: int, data: object, *words: str) -> None:
    assert status == 403, data
    assert isinstance(data, dict) and data.get("errcode") == "M_FORBIDDEN", data
    for word in words:
        assert word in str(data.get("error", "")) + str(data.get("org.plenaria.reason", "")), data


async def state(group: WorkingGroup, ref: RoomRef) -> dict[tuple[str, str], dict[str, Any]]:
    """The room's state as its focal point sees it (the platform's accounts sign in nowhere
    else)."""
    events = await (await group.as_http("ag.fp")).state(group.room_id(ref))
    return {(e["type"], e["state_key"]): e for e in events}


def bot(group: WorkingGroup) -> RunningBot:
    assert group.bot is not None
    return group.bot


async def test_the_operator_cannot_sign_in_as_the_warden_or_the_bot(group: WorkingGroup) -> None:
    warden = bot(group).app.warden
    assert warden is not None
    for seat, own_device in (
        ("warden", warden.device_id),
        ("bot", bot(group).app.gateway.device_id),
    ):
        # With the password, as a new device: no second session.
        status, data = await sign_in(group, seat)
        refused(status, data, "second session")
        assert data["org.plenaria.rule"] == "R37"
        # Nor as the platform's own device while the platform is signed in there.
        status, data = await sign_in(group, seat, own_device)
        refused(status, data, "signed in already")
    # People sign in as often as they like.
    status, data = await sign_in(group, "ag.exp2")
    assert status == 200, data


async def test_the_bot_signs_in_again_as_its_own_device_after_its_session_was_revoked(
    group: WorkingGroup,
) -> None:
    running = bot(group)
    device = running.app.gateway.device_id
    await running.stop()
    # The operator revokes the bot's session (its device, and the device's keys, go with it).
    status, data = await (await group.as_http("sec")).call(
        "DELETE", f"/_synapse/admin/v2/users/{quote(group.id('bot'))}/devices/{quote(device)}"
    )
    assert status == 200, data
    group.bot = await RunningBot(build_app(load_settings(group.write_config()))).ready()
    assert group.bot.app.gateway.device_id == device  # same device, same E2EE store
    await group.provisioned()
    keys = await (await group.as_http("ag.fp")).call(
        "POST", f"{CLIENT}/keys/query", {"device_keys": {group.id("bot"): []}}
    )
    assert device in keys[1]["device_keys"][group.id("bot")], "its keys are published again"
    # And the guard holds again.
    refused(*(await sign_in(group, "bot")))


async def test_a_minted_warden_token_cannot_let_the_secretariat_into_an_experts_room(
    group: WorkingGroup,
) -> None:
    warden = await minted(group, "warden")
    room_id = group.room_id(AG_EXPERTS)
    sec = group.id("sec")
    members = (await state(group, AG_EXPERTS))[("org.plenaria.members", "")]["content"]
    rewritten = {**members, "members": {**members["members"], sec: "expert"}}
    status, data = await warden.call(
        "PUT", f"{CLIENT}/rooms/{quote(room_id)}/state/org.plenaria.members/", rewritten
    )
    refused(status, data, "no device")
    status, data = await warden.call(
        "POST", f"{CLIENT}/rooms/{quote(room_id)}/invite", {"user_id": sec}
    )
    refused(status, data)
    status, data = await (await group.as_http("sec")).join(room_id)
    refused(status, data)
    # Nor may the minted token speak for the warden.
    status, data = await warden.call(
        "PUT",
        f"{CLIENT}/rooms/{quote(room_id)}/send/m.room.message/{secrets.token_hex(4)}",
        {"msgtype": "m.notice", "body": "The platform asks you to re-send your draft."},
    )
    refused(status, data, "no device")
    after = await state(group, AG_EXPERTS)
    assert after[("org.plenaria.members", "")]["content"] == members
    assert ("m.room.member", sec) not in after  # never invited, never joined


async def test_a_minted_bot_token_cannot_redact_a_delegations_plenary_message(
    group: WorkingGroup,
) -> None:
    room_id = group.room_id(PLENARY)
    fp = await group.as_http("ag.fp")
    status, data = await fp.call(
        "PUT",
        f"{CLIENT}/rooms/{quote(room_id)}/send/m.room.message/{secrets.token_hex(4)}",
        {"msgtype": "m.text", "body": "AG proposes to keep paragraph 5."},
    )
    assert status == 200, data
    event_id = data["event_id"]
    status, data = await (await minted(group, "bot")).call(
        "PUT",
        f"{CLIENT}/rooms/{quote(room_id)}/redact/{quote(event_id)}/{secrets.token_hex(4)}",
        {"reason": "off topic"},
    )
    refused(status, data, "never alters what a delegation wrote")
    status, data = await fp.call("GET", f"{CLIENT}/rooms/{quote(room_id)}/event/{quote(event_id)}")
    assert status == 200 and data["content"]["body"].startswith("AG proposes"), data


async def test_a_focal_point_cannot_redact_the_encryption_of_their_experts_room(
    group: WorkingGroup,
) -> None:
    room_id = group.room_id(AG_EXPERTS)
    encryption = (await state(group, AG_EXPERTS))[("m.room.encryption", "")]
    for http in (await group.as_http("ag.fp"), await minted(group, "warden")):
        status, data = await http.call(
            "PUT",
            f"{CLIENT}/rooms/{quote(room_id)}/redact/{quote(encryption['event_id'])}/"
            f"{secrets.token_hex(4)}",
            {},
        )
        refused(status, data, "setting")
    after = (await state(group, AG_EXPERTS))[("m.room.encryption", "")]
    assert after["content"] == encryption["content"] and after["content"]["algorithm"]


async def test_a_minted_warden_token_cannot_upgrade_an_experts_room(group: WorkingGroup) -> None:
    room_id = group.room_id(AG_EXPERTS)
    warden = await minted(group, "warden")
    joined_before = await warden.joined_rooms()
    for http in (warden, await group.as_http("ag.fp")):
        status, data = await http.call(
            "POST", f"{CLIENT}/rooms/{quote(room_id)}/upgrade", {"new_version": "11"}
        )
        refused(status, data, "never upgraded")
    assert ("m.room.tombstone", "") not in await state(group, AG_EXPERTS)
    assert await warden.joined_rooms() == joined_before
    assert await (await group.as_http("ag.fp")).invited_rooms() == set()


async def test_afterwards_the_delegation_still_talks_and_the_bot_still_answers(
    group: WorkingGroup,
) -> None:
    experts = group.room_id(AG_EXPERTS)
    fp = await group.matrix_user("ag.fp")
    expert = await group.matrix_user("ag.exp1")
    await fp.send_text(experts, "Draft position on paragraph 5, for the experts only.")
    await expert.wait_for(
        lambda rid, ev: rid == experts and getattr(ev, "body", "").startswith("Draft position")
    )
    await expert.send_text(experts, "Agreed, with one change to 5(b).")
    await fp.wait_for(
        lambda rid, ev: (
            rid == experts and getattr(ev, "body", "") == "Agreed, with one change to 5(b)."
        )
    )
    # The bot answers in the desk, and in a direct message.
    desk = await fp.wait_reply(await fp.send_text(group.room_id(AG_DESK), "!help"), timeout=60)
    assert isinstance(desk, RoomMessageNotice) and desk.decrypted and "!" in desk.body
    direct = await fp.create_encrypted_room([group.id("bot")])
    await fp.wait_joined(direct, group.id("bot"))
    pong = await fp.wait_reply(await fp.send_text(direct, "!ping"), timeout=60)
    assert isinstance(pong, RoomMessageNotice) and pong.decrypted
    assert pong.body.startswith("pong")

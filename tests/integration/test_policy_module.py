"""The Synapse module (SPEC §2 "Prevent") in the session's Synapse: governed rooms are built by
plain client-server calls, as the platform builds them, and every rule-breaking attempt, a server
administrator's included, comes back 403 with the module's reason."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from bot.demo.synapse_server import LocalSynapse
from room_policies.access_table import governing_account
from room_policies.membership import members_of
from room_policies.power_levels import power_levels_content
from room_policies.roles import DelegationCode, Platform, RoomKind, UserId
from room_policies.room_state import (
    ROOM_VERSION,
    creation_content,
    desired_state,
    members_content,
)
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef
from room_policies.roster import Delegation, Roster, validate
from tests.integration.conftest import SERVER_NAME, MakeAccount

pytestmark = pytest.mark.stacks("sqlite", "postgresql")

PLENARY = RoomRef(RoomKind.PLENARY)
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("AG"))


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


class Client:
    """One account's client-server API, by plain HTTP."""

    def __init__(self, http: aiohttp.ClientSession, url: str, user_id: str) -> None:
        self.http, self.url, self.user_id, self.token = http, url, user_id, ""

    async def login(self, password: str) -> Client:
        answer = await self.call(
            "POST",
            "/_matrix/client/v3/login",
            {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.user_id},
                "password": password,
            },
        )
        assert answer.status == 200, answer
        self.token = answer.body["access_token"]
        return self

    async def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.http.request(
            method, self.url + path, json=body if body is not None else None, headers=headers
        ) as resp:
            return Answer(resp.status, await resp.json(content_type=None))

    async def send_state(
        self, room_id: str, event_type: str, content: Mapping[str, Any], state_key: str = ""
    ) -> Answer:
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/state/{event_type}/{quote(state_key)}"
        return await self.call("PUT", path, content)

    async def state(self, room_id: str, event_type: str, state_key: str = "") -> Answer:
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/state/{event_type}/{quote(state_key)}"
        return await self.call("GET", path)

    async def invite(self, room_id: str, user_id: str) -> Answer:
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/invite"
        return await self.call("POST", path, {"user_id": user_id})

    async def join(self, room_id: str) -> Answer:
        return await self.call("POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/join", {})

    async def kick(self, room_id: str, user_id: str) -> Answer:
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/kick"
        return await self.call("POST", path, {"user_id": user_id})

    async def leave(self, room_id: str) -> Answer:
        return await self.call("POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/leave", {})

    async def send_message(self, room_id: str, body: str) -> Answer:
        txn = secrets.token_hex(8)
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/{txn}"
        return await self.call("PUT", path, {"msgtype": "m.text", "body": body})


@dataclass
class World:
    """The working group's accounts, its roster, and the rooms the platform built."""

    roster: Roster
    platform: Platform
    clients: dict[str, Client]
    plenary: str
    experts: str

    def __getattr__(self, name: str) -> Client:
        try:
            return self.__dict__["clients"][name]
        except KeyError:
            raise AttributeError(name) from None

    async def build(self, room: RoomRef, *, join: bool = True) -> str:
        """The room as the platform creates it: marker, then members, then the rest as
        `desired_state` orders it; the table's power levels; invitations for the listed."""
        governor_id = governing_account(self.platform, room)
        governor = next(c for c in self.clients.values() if c.user_id == governor_id)
        state = desired_state(self.roster, self.platform, room, server_name=SERVER_NAME)
        power_levels = state.pop(("m.room.power_levels", ""))
        invite = [u for u in members_of(self.roster, self.platform, room) if u != governor_id]
        answer = await governor.call(
            "POST",
            "/_matrix/client/v3/createRoom",
            {
                "room_version": ROOM_VERSION,
                "preset": "private_chat",
                "creation_content": creation_content(room),
                "power_level_content_override": power_levels,
                "initial_state": [
                    {"type": t, "state_key": k, "content": c} for (t, k), c in state.items()
                ],
                "invite": invite,
            },
        )
        assert answer.status == 200, answer
        room_id: str = answer.body["room_id"]
        if join:
            for client in self.clients.values():
                if client.user_id in invite:
                    joined = await client.join(room_id)
                    assert joined.status == 200, (client.user_id, joined)
        return room_id


@pytest.fixture(scope="module")
async def world(synapse: LocalSynapse, make_account: MakeAccount) -> AsyncIterator[World]:
    accounts = {
        name: await make_account(name, admin=name == "admin")
        for name in ("bot", "warden", "chair", "sec", "agfp", "agexp", "stranger", "admin")
    }
    ids = {name: UserId(user_id) for name, (user_id, _) in accounts.items()}
    roster = Roster(
        working_group="WG",
        chairs=(ids["chair"],),
        secretariat=(ids["sec"],),
        delegations=(
            Delegation(code=DelegationCode("AG"), focal_point=ids["agfp"], experts=(ids["agexp"],)),
        ),
    )
    validate(roster, SERVER_NAME, bot_id=ids["bot"], warden_id=ids["warden"])
    async with aiohttp.ClientSession() as http:
        clients = {
            name: await Client(http, synapse.url, user_id).login(password)
            for name, (user_id, password) in accounts.items()
        }
        world = World(roster, Platform(ids["bot"], ids["warden"]), clients, "", "")
        world.plenary = await world.build(PLENARY)
        world.experts = await world.build(AG_EXPERTS)
        yield world


def refused(answer: Answer, *words: str) -> None:
    """A 403 from the module: its reason, not Synapse's own words, is in the body."""
    assert answer.status == 403, answer
    assert answer.body["errcode"] == "M_FORBIDDEN", answer
    for word in words:
        assert word in answer.body["error"], answer


async def test_the_governor_builds_its_rooms_and_the_listed_members_join(world: World) -> None:
    for room_id, room in ((world.plenary, PLENARY), (world.experts, AG_EXPERTS)):
        marker = await world.stranger.state(room_id, MARKER_EVENT_TYPE)
        assert marker.status == 403  # not a member: no peeking
        governor_id = governing_account(world.platform, room)
        for user_id in members_of(world.roster, world.platform, room):
            client = next(c for c in world.clients.values() if c.user_id == user_id)
            seen = await client.state(room_id, MARKER_EVENT_TYPE)
            assert seen.status == 200 and seen.body == room.marker_content()
            membership = await client.state(room_id, "m.room.member", user_id)
            assert membership.body["membership"] == "join", (user_id, membership)
        governor = next(c for c in world.clients.values() if c.user_id == governor_id)
        members = await governor.state(room_id, "org.plenaria.members")
        assert members.body == members_content(world.roster, world.platform, room)
        # createRoom merges the override into Synapse's defaults: the table must cover them all.
        levels = await governor.state(room_id, "m.room.power_levels")
        assert levels.body == power_levels_content(world.roster, world.platform, room)


async def test_an_invitation_of_someone_unlisted_is_refused(world: World) -> None:
    refused(
        await world.bot.invite(world.plenary, world.stranger.user_id),
        world.stranger.user_id,
        "members list",
    )
    refused(await world.bot.invite(world.plenary, world.agexp.user_id), world.agexp.user_id)
    refused(await world.warden.invite(world.experts, world.chair.user_id), "members list")
    # Nobody but the governor invites, not even a listed member.
    refused(await world.chair.invite(world.plenary, world.stranger.user_id), "Only the platform")
    refused(await world.agfp.invite(world.experts, world.stranger.user_id), "Only the platform")


async def test_an_uninvited_join_is_refused(world: World) -> None:
    refused(await world.stranger.join(world.plenary), "members list")
    refused(await world.sec.join(world.experts), "members list")


async def test_a_server_admin_cannot_join_an_experts_room(world: World) -> None:
    admin = world.admin
    for user_id in (admin.user_id, world.chair.user_id):
        answer = await admin.call(
            "POST", f"/_synapse/admin/v1/join/{quote(world.experts)}", {"user_id": user_id}
        )
        refused(answer, "Only the platform invites")
        membership = await world.warden.state(world.experts, "m.room.member", user_id)
        assert membership.status == 404, membership  # never even invited


async def test_a_server_admin_cannot_make_themself_room_admin(world: World) -> None:
    for room_id, governor in ((world.experts, world.warden), (world.plenary, world.bot)):
        before = await governor.state(room_id, "m.room.power_levels")
        answer = await world.admin.call(
            "POST", f"/_synapse/admin/v1/rooms/{quote(room_id)}/make_room_admin", {}
        )
        refused(answer, "power levels", "users")
        after = await governor.state(room_id, "m.room.power_levels")
        assert after.body == before.body
        assert world.admin.user_id not in after.body["users"]


async def test_the_governor_keeps_the_tables_power_levels(world: World) -> None:
    table = desired_state(world.roster, world.platform, PLENARY, server_name=SERVER_NAME)[
        ("m.room.power_levels", "")
    ]
    raised = {**table, "users": {**table["users"], world.chair.user_id: 100}}
    refused(await world.bot.send_state(world.plenary, "m.room.power_levels", raised), "users")
    lowered = {**table, "redact": 50}
    refused(await world.bot.send_state(world.plenary, "m.room.power_levels", lowered), "redact")
    # The table's own content is accepted.
    answer = await world.bot.send_state(world.plenary, "m.room.power_levels", table)
    assert answer.status == 200, answer
    assert (await world.bot.state(world.plenary, "m.room.power_levels")).body == table


async def test_the_governor_keeps_every_rooms_settings(world: World) -> None:
    bot = world.bot
    refused(await bot.send_state(world.plenary, "m.room.join_rules", {"join_rule": "public"}))
    refused(
        await bot.send_state(world.plenary, "m.room.guest_access", {"guest_access": "can_join"})
    )
    refused(
        await bot.send_state(
            world.plenary, "m.room.history_visibility", {"history_visibility": "world_readable"}
        )
    )
    refused(await bot.send_state(world.plenary, MARKER_EVENT_TYPE, {"kind": "moderation"}))
    refused(
        await bot.send_state(
            world.plenary, "org.plenaria.members", {"members": {bot.user_id: "chair"}}
        ),
        "members list",
    )


async def test_a_member_cannot_change_the_rooms_settings(world: World) -> None:
    refused(
        await world.chair.send_state(world.plenary, MARKER_EVENT_TYPE, {"kind": "plenary"}),
        "Only the platform changes the settings",
    )
    refused(
        await world.agfp.send_state(world.experts, "m.room.name", {"name": "Ours"}),
        "Only the platform changes the settings",
    )


async def test_removal_and_redaction_follow_the_rules(world: World) -> None:
    refused(await world.bot.leave(world.plenary), "stays")
    refused(await world.chair.kick(world.plenary, world.agfp.user_id), "coordination")
    sent = await world.agfp.send_message(world.plenary, "our position")
    assert sent.status == 200, sent
    redaction = await world.chair.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(world.plenary)}/redact/{quote(sent.body['event_id'])}/r1",
        {},
    )
    refused(redaction, "plenary")
    # The focal point moderates their experts room.
    experts = await world.build(AG_EXPERTS)
    kicked = await world.agfp.kick(experts, world.agexp.user_id)
    assert kicked.status == 200, kicked


async def test_a_room_without_a_marker_is_left_alone(world: World) -> None:
    stranger, chair = world.stranger, world.chair
    created = await stranger.call(
        "POST",
        "/_matrix/client/v3/createRoom",
        {"room_version": ROOM_VERSION, "preset": "private_chat", "invite": [chair.user_id]},
    )
    assert created.status == 200, created
    room_id = created.body["room_id"]
    assert (await chair.join(room_id)).status == 200
    for answer in (
        await stranger.send_state(room_id, "m.room.name", {"name": "Anything"}),
        await stranger.send_state(room_id, "m.room.join_rules", {"join_rule": "public"}),
        await stranger.invite(room_id, world.sec.user_id),
        await chair.send_message(room_id, "hello"),
        await chair.leave(room_id),
    ):
        assert answer.status == 200, answer

"""Governance on a real Synapse: provisioning from a roster, by SPEC §2's table (issue #3)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.demo.synapse_server import LocalSynapse
from room_policies.access_table import ACCESS
from room_policies.roles import FolderKey, Role, RoomKind
from room_policies.room_state import ENCRYPTION_ALGORITHM, ROOM_VERSION
from room_policies.rooms import RoomRef, desired_rooms
from tests.integration.conftest import query_keys
from tests.integration.working_group import WorkingGroup

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")

CODES = ("AG", "BR", "CA")


def role_of_seat(seat: str) -> tuple[Role, str | None]:
    if seat == "chair":
        return Role.CHAIR, None
    if seat == "sec":
        return Role.SECRETARIAT, None
    code, _, kind = seat.partition(".")
    return (Role.FOCAL_POINT if kind == "fp" else Role.EXPERT), code.upper()


def expected_in(seat: str, room: RoomRef) -> bool:
    """SPEC §2's table read directly: the cell, its footnote, and "X's rooms are X's alone"."""
    role, code = role_of_seat(seat)
    if not ACCESS[room.kind][role].is_member:
        return False
    if room.kind in (RoomKind.EXPERTS, RoomKind.DESK):
        return room.delegation == code
    # footnote ¹: experts_read_folders is false in this roster
    return not (room.kind is RoomKind.FOLDER and role is Role.EXPERT)


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path_factory.mktemp("wg"), CODES)
    await wg.create_accounts()
    await wg.start()
    await wg.accept_invites()
    yield wg
    await wg.stop()


async def test_every_account_is_in_the_rooms_the_table_gives(group: WorkingGroup) -> None:
    assert group.bot is not None
    roster = await group.bot.app.governance.current_roster()
    rooms = desired_rooms(roster)
    assert len(rooms) == 7 + 2 * len(CODES)  # the Support room (R42) since #11
    for seat in group.seats():
        expected = {room for room in rooms if expected_in(seat, room)}
        assert await group.governed_rooms_of(seat) == expected, seat
    bot_rooms = {room for room in rooms if ACCESS[room.kind][Role.BOT].is_member}
    warden_rooms = {room for room in rooms if ACCESS[room.kind][Role.WARDEN].is_member}
    assert await group.governed_rooms_of("bot") == bot_rooms
    assert await group.governed_rooms_of("warden") == warden_rooms


async def test_every_room_is_closed_encrypted_and_marked(group: WorkingGroup) -> None:
    assert group.bot is not None
    roster = await group.bot.app.governance.current_roster()
    for ref in desired_rooms(roster):
        seat = "warden" if ref.kind is RoomKind.EXPERTS else "bot"
        state = {
            (e["type"], e["state_key"]): e
            for e in await (await group.as_http(seat)).state(group.room_id(ref))
        }
        create = state[("m.room.create", "")]["content"]
        assert create["room_version"] == ROOM_VERSION
        assert create["m.federate"] is False
        assert state[("m.room.join_rules", "")]["content"] == {"join_rule": "invite"}
        assert state[("m.room.guest_access", "")]["content"] == {"guest_access": "forbidden"}
        assert state[("m.room.encryption", "")]["content"]["algorithm"] == ENCRYPTION_ALGORITHM
        marker = state[("org.plenaria.room", "")]
        assert RoomRef.from_marker(marker["content"]) == ref
        assert marker["sender"] == group.id(seat)
        assert state[("m.room.name", "")]["content"]["name"]
        assert state[("m.room.topic", "")]["content"]["topic"]


async def test_reconcile_dry_run_on_a_settled_platform_lists_nothing(group: WorkingGroup) -> None:
    assert group.bot is not None
    assert (await group.bot.app.governance.reconcile(dry_run=True)).corrections == []


async def test_in_an_experts_room_only_the_delegation_reads(group: WorkingGroup) -> None:
    """The focal point and the experts read each other; neither the bot nor the warden holds
    the room's keys, and the warden has no device keys at all (SPEC §2)."""
    assert group.bot is not None
    room_id = group.room_id(RoomRef(RoomKind.EXPERTS, delegation="AG"))  # type: ignore[arg-type]
    fp = await group.matrix_user("ag.fp")
    expert = await group.matrix_user("ag.exp1")
    await fp.send_text(room_id, "Draft position on paragraph 5, for the experts only.")
    await expert.wait_for(
        lambda rid, ev: rid == room_id and getattr(ev, "body", "").startswith("Draft position")
    )
    await expert.send_text(room_id, "Agreed, with one change to 5(b).")
    await fp.wait_for(
        lambda rid, ev: rid == room_id and getattr(ev, "body", "").startswith("Agreed")
    )
    olm = group.bot.app.gateway.client.olm
    assert olm is not None
    assert room_id not in olm.inbound_group_store._entries
    warden = group.bot.app.warden
    assert warden is not None and warden.client.olm is None
    keys = await query_keys(group.synapse.url, fp, group.id("warden"))
    assert keys["device_keys"].get(group.id("warden"), {}) == {}


@pytest.mark.parametrize("seat", ["ag.fp", "chair"])
async def test_the_space_shows_each_member_only_rooms_they_may_open(
    group: WorkingGroup, seat: str
) -> None:
    """R41, as clients draw the space: the children the space's state names (which Cinny lists
    as they are, "Unknown — Private Room" for one closed to the reader) and the hierarchy
    Element asks for are the plenary and the three folders, never the moderation room."""
    http = await group.as_http(seat)
    space = group.room_id(RoomRef(RoomKind.SPACE))
    folders = [RoomRef(RoomKind.FOLDER, folder=key) for key in FolderKey]
    wanted = {group.room_id(RoomRef(RoomKind.PLENARY))} | {group.room_id(f) for f in folders}
    status, state = await http.call("GET", f"/_matrix/client/v3/rooms/{space}/state")
    assert status == 200, state
    children = {e["state_key"] for e in state if e["type"] == "m.space.child" and e["content"]}
    assert children == wanted
    status, data = await http.call("GET", f"/_matrix/client/v1/rooms/{space}/hierarchy")
    assert status == 200, data
    assert {room["room_id"] for room in data["rooms"]} - {space} == wanted

"""Room-key requests (issue #14, `room_policies.key_sharing`, K1–K4), as properties over random
rosters, rooms, askers and devices: never a key to a device its owner did not cross-sign, never
to someone who does not belong in the room now, never a session the bot did not make, never in
a room whose keys the bot does not give back — and always one when all four hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from room_policies.key_sharing import SHARED_ROOM_KINDS, KeyRequest, may_share_room_key
from room_policies.membership import access, role_in
from room_policies.roles import Role, RoomKind, UserId
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import Roster
from tests.unit.test_room_policies_properties import PLATFORM, STRANGER, rosters

DEVICES = ("PHONE", "LAPTOP", "FORGED")


@st.composite
def requests(draw: st.DrawFn) -> tuple[Roster, KeyRequest, frozenset[str]]:
    roster = draw(rosters())
    people = [*roster.participants(), STRANGER, PLATFORM.bot_id, PLATFORM.warden_id]
    removed = draw(rosters())  # people of another roster: someone who has left, for this one
    user = draw(st.sampled_from([*people, *removed.participants()]))
    room = draw(st.sampled_from([*desired_rooms(roster), *desired_rooms(removed), None]))
    request = KeyRequest(
        UserId(user), draw(st.sampled_from(DEVICES)), room, own_session=draw(st.booleans())
    )
    signed = frozenset(draw(st.sets(st.sampled_from(DEVICES))))
    return roster, request, signed


def belongs(roster: Roster, user: UserId, room: RoomRef) -> bool:
    person = role_in(roster, PLATFORM, user) not in (Role.BOT, Role.WARDEN, Role.OUTSIDER)
    return person and access(roster, PLATFORM, user, room).is_member


@settings(max_examples=300, deadline=None)
@given(requests())
def test_a_key_goes_only_to_a_signed_device_of_a_member_for_the_bots_own_session(
    case: tuple[Roster, KeyRequest, frozenset[str]],
) -> None:
    roster, request, signed = case
    decision = may_share_room_key(roster, PLATFORM, request, signed)
    assert decision.reason.strip() and decision.rule in {"K1", "K2", "K3", "K4"}
    room = request.room
    expected = (
        request.own_session
        and room is not None
        and room.kind in SHARED_ROOM_KINDS
        and request.device_id in signed
        and belongs(roster, request.user, room)
    )
    assert decision.allowed == expected, (request, signed, decision)
    if decision.allowed:
        assert request.device_id in signed  # never a device not cross-signed (K3)
        assert room is not None and access(roster, PLATFORM, request.user, room).is_member


def test_the_rooms_whose_keys_are_given_back() -> None:
    assert {
        RoomKind.FOLDER,
        RoomKind.DESK,
        RoomKind.MODERATION,
        RoomKind.PLENARY,
    } == SHARED_ROOM_KINDS
    # The bot holds no key of an experts room (R15): none is ever given back.
    assert RoomKind.EXPERTS not in SHARED_ROOM_KINDS


def test_without_a_roster_nothing_is_shared() -> None:
    request = KeyRequest(UserId("@ag.fp:example.org"), "PHONE", RoomRef(RoomKind.PLENARY), True)
    decision = may_share_room_key(None, PLATFORM, request, {"PHONE"})
    assert not decision.allowed and decision.rule == "K4"


def test_each_refusal_names_its_rule() -> None:
    roster = Roster(working_group="WG", chairs=(UserId("@chair:example.org"),), secretariat=())
    chair = UserId("@chair:example.org")
    moderation = RoomRef(RoomKind.MODERATION)

    def rule(request: KeyRequest, signed: set[str]) -> str:
        decision = may_share_room_key(roster, PLATFORM, request, signed)
        return ("shared " if decision.allowed else "refused ") + decision.rule

    assert rule(KeyRequest(chair, "PHONE", moderation, False), {"PHONE"}) == "refused K1"
    assert rule(KeyRequest(chair, "PHONE", RoomRef(RoomKind.SPACE), True), {"PHONE"}) == (
        "refused K2"
    )
    assert rule(KeyRequest(chair, "PHONE", None, True), {"PHONE"}) == "refused K2"
    assert rule(KeyRequest(chair, "FORGED", moderation, True), {"PHONE"}) == "refused K3"
    assert rule(KeyRequest(STRANGER, "PHONE", moderation, True), {"PHONE"}) == "refused K4"
    assert rule(KeyRequest(chair, "PHONE", moderation, True), {"PHONE"}) == "shared K4"

"""The reconcile plan (`room_policies.room_plan`): small rooms as plain data, and one property —
applying the plan to a room leaves nothing more to do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from room_policies.access_table import ACCESS
from room_policies.membership import may_join
from room_policies.roles import RoomId, RoomKind, UserId
from room_policies.room_plan import (
    UNWANTED_STATE_TYPES,
    ActualRoom,
    Correction,
    DesiredRoom,
    Fix,
    creation_request,
    desired_room,
    kept_out,
    marker_of,
    plan,
)
from room_policies.room_state import MEMBERS_EVENT_TYPE, space_children
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef, desired_rooms
from tests.unit.test_breaches import (
    AG_EXP,
    AG_EXPERTS,
    AG_FP,
    BOT,
    BR_FP,
    CHAIR,
    FOLDER,
    PLATFORM,
    PLENARY,
    ROSTER,
    SEC,
    SERVER,
    STRANGER,
    WARDEN,
)

SPACE = RoomRef(RoomKind.SPACE)
CHILDREN = {child: RoomId(f"!{child.key}:{SERVER}") for child in space_children()}


def wanted(ref: RoomRef) -> DesiredRoom:
    children = CHILDREN if ref.kind is RoomKind.SPACE else None
    return desired_room(ROSTER, PLATFORM, ref, server_name=SERVER, children=children)


def settled(desired: DesiredRoom) -> ActualRoom:
    """The room exactly as the roster wants it: every member joined."""
    return ActualRoom(dict(desired.state), {user: "join" for user in desired.members})


def holding(actual: ActualRoom, **changes: Any) -> ActualRoom:
    """`actual` with some state events (`state`) and memberships (`membership`) changed."""
    state = {**actual.state, **changes.get("state", {})}
    membership = {**actual.membership, **changes.get("membership", {})}
    return ActualRoom(state, membership)


# -- a room that does not exist yet ---------------------------------------------------------------


def test_a_fresh_room_is_created_whole_with_its_invitations() -> None:
    desired = wanted(AG_EXPERTS)
    corrections = plan(desired, None)
    assert corrections == [
        Correction(AG_EXPERTS, Fix.CREATE_ROOM, AG_EXPERTS.key),
        Correction(AG_EXPERTS, Fix.INVITE, AG_FP),
        Correction(AG_EXPERTS, Fix.INVITE, AG_EXP),
    ]
    body = creation_request(desired)
    # The one createRoom call invites exactly the plan's invitations, never the governor.
    assert body["invite"] == [c.target for c in corrections if c.fix is Fix.INVITE]
    assert WARDEN not in body["invite"]
    first = [(e["type"], e["state_key"]) for e in body["initial_state"][:2]]
    assert first == [(MARKER_EVENT_TYPE, ""), (MEMBERS_EVENT_TYPE, "")]
    assert body["power_level_content_override"] == desired.state[("m.room.power_levels", "")]


def test_a_settled_room_needs_nothing() -> None:
    for ref in desired_rooms(ROSTER):
        desired = wanted(ref)
        assert plan(desired, settled(desired)) == [], ref


# -- state ----------------------------------------------------------------------------------------


def test_drifted_power_levels_are_set_back() -> None:
    desired = wanted(PLENARY)
    key = ("m.room.power_levels", "")
    drifted = {**desired.state[key], "users": {BOT: 100, CHAIR: 100}}
    corrections = plan(desired, holding(settled(desired), state={key: drifted}))
    assert corrections == [
        Correction(PLENARY, Fix.SET_STATE, "m.room.power_levels", "", desired.state[key])
    ]


def test_an_avatar_is_cleared_and_a_cleared_one_left_alone() -> None:
    desired = wanted(PLENARY)
    avatar = ("m.room.avatar", "")
    corrections = plan(desired, holding(settled(desired), state={avatar: {"url": "mxc://x/y"}}))
    assert corrections == [Correction(PLENARY, Fix.CLEAR_STATE, "m.room.avatar", "", {})]
    assert plan(desired, holding(settled(desired), state={avatar: {}})) == []


def test_every_unwanted_state_type_is_cleared() -> None:
    desired = wanted(FOLDER)
    for etype in sorted(UNWANTED_STATE_TYPES):
        found = holding(settled(desired), state={(etype, ""): {"anything": True}})
        assert [(c.fix, c.target) for c in plan(desired, found)] == [(Fix.CLEAR_STATE, etype)]


def test_a_stray_space_child_is_cleared_and_the_platforms_kept() -> None:
    desired = wanted(SPACE)
    stray = ("m.space.child", "!elsewhere:example.org")
    found = holding(settled(desired), state={stray: {"via": ["example.org"]}})
    assert plan(desired, found) == [
        Correction(SPACE, Fix.CLEAR_STATE, "m.space.child", "!elsewhere:example.org", {})
    ]
    # A child room the space should list, and does not, is added.
    plenary_child = ("m.space.child", CHILDREN[PLENARY])
    missing = {k: v for k, v in desired.state.items() if k != plenary_child}
    corrections = plan(desired, ActualRoom(missing, settled(desired).membership))
    assert [(c.fix, c.target, c.state_key) for c in corrections] == [
        (Fix.SET_STATE, "m.space.child", CHILDREN[PLENARY])
    ]


# -- members --------------------------------------------------------------------------------------


def test_someone_not_wanted_is_removed_with_the_reason() -> None:
    desired = wanted(PLENARY)
    for membership in ("join", "invite", "knock"):
        found = holding(settled(desired), membership={STRANGER: membership, AG_EXP: membership})
        assert plan(desired, found) == [
            Correction(
                PLENARY,
                Fix.REMOVE,
                user,
                reason=may_join(ROSTER, PLATFORM, user, PLENARY).reason,
            )
            for user in (STRANGER, AG_EXP)
        ], membership
    # Someone who left, or is banned, is not in the room.
    for membership in ("leave", "ban"):
        assert plan(desired, holding(settled(desired), membership={STRANGER: membership})) == []


def test_a_member_not_in_the_room_is_invited_and_the_governor_never() -> None:
    desired = wanted(PLENARY)
    found = holding(settled(desired), membership={AG_FP: "leave"})
    found = ActualRoom(found.state, {u: m for u, m in found.membership.items() if u != BOT})
    assert plan(desired, found) == [Correction(PLENARY, Fix.INVITE, AG_FP)]


def test_a_banned_member_is_not_invited() -> None:
    desired = wanted(PLENARY)
    found = holding(settled(desired), membership={AG_FP: "ban"})
    assert plan(desired, found) == []
    assert kept_out(desired, found) == [AG_FP]
    assert kept_out(desired, settled(desired)) == []


# -- markers --------------------------------------------------------------------------------------


def test_a_room_whose_marker_names_another_is_left_alone() -> None:
    desired = wanted(PLENARY)
    other = {(MARKER_EVENT_TYPE, ""): FOLDER.marker_content(), ("m.room.avatar", ""): {"u": 1}}
    found = holding(settled(desired), state=other, membership={STRANGER: "join"})
    assert plan(desired, found) == [Correction(PLENARY, Fix.WRONG_MARKER, FOLDER.key)]
    malformed = holding(settled(desired), state={(MARKER_EVENT_TYPE, ""): {"kind": "nonsense"}})
    assert plan(desired, malformed) == [Correction(PLENARY, Fix.WRONG_MARKER, "")]


def test_a_redacted_marker_is_written_again() -> None:
    desired = wanted(PLENARY)
    found = holding(settled(desired), state={(MARKER_EVENT_TYPE, ""): {}})
    assert plan(desired, found) == [
        Correction(PLENARY, Fix.SET_STATE, MARKER_EVENT_TYPE, "", PLENARY.marker_content())
    ]


def test_the_platform_knows_its_rooms_by_the_marker_it_wrote_in_a_room_it_made() -> None:
    def events(creator: str, marker_sender: str) -> list[dict[str, Any]]:
        return [
            {"type": "m.room.create", "state_key": "", "sender": creator, "content": {}},
            {
                "type": MARKER_EVENT_TYPE,
                "state_key": "",
                "sender": marker_sender,
                "content": AG_EXPERTS.marker_content(),
            },
        ]

    assert marker_of(events(WARDEN, WARDEN), WARDEN) == AG_EXPERTS
    assert marker_of(events(WARDEN, WARDEN), BOT) is None
    assert marker_of(events(STRANGER, WARDEN), WARDEN) is None  # a room someone else made
    assert marker_of(events(WARDEN, STRANGER), WARDEN) is None  # a marker someone else wrote


def test_the_actual_room_is_read_from_state_events() -> None:
    events: list[Mapping[str, Any]] = [
        {"type": "m.room.member", "state_key": AG_FP, "content": {"membership": "join"}},
        {"type": "m.room.member", "state_key": STRANGER, "content": {}},
        {"type": "m.room.name", "state_key": "", "content": {"name": "Plenary"}},
        {"type": "m.room.topic", "state_key": "", "content": None},
        {"type": "m.room.name", "content": {"name": "no state key: not state"}},
    ]
    actual = ActualRoom.from_state_events(events)
    assert actual.membership == {AG_FP: "join", STRANGER: "leave"}
    assert actual.state == {("m.room.name", ""): {"name": "Plenary"}, ("m.room.topic", ""): {}}


# -- the plan applied leaves nothing to do --------------------------------------------------------


def applied(actual: ActualRoom | None, corrections: list[Correction]) -> ActualRoom:
    """The room after the corrections, as the homeserver would hold it."""
    state: dict[tuple[str, str], Mapping[str, Any]] = dict(actual.state) if actual else {}
    membership: dict[UserId, str] = dict(actual.membership) if actual else {}
    for correction in corrections:
        if correction.fix is Fix.CREATE_ROOM:
            desired = wanted(correction.room)
            state = dict(desired.state)
            membership = {desired.governor: "join"}
        elif correction.fix in (Fix.SET_STATE, Fix.CLEAR_STATE):
            state[(correction.target, correction.state_key)] = correction.content
        elif correction.fix is Fix.INVITE:
            membership[UserId(correction.target)] = "invite"
        elif correction.fix is Fix.REMOVE:
            membership[UserId(correction.target)] = "leave"
    return ActualRoom(state, membership)


PEOPLE = [BOT, WARDEN, CHAIR, SEC, AG_FP, AG_EXP, BR_FP, STRANGER]
MEMBERSHIPS = ["join", "invite", "knock", "leave", "ban"]


@st.composite
def rooms_as_found(draw: st.DrawFn, ref: RoomRef) -> ActualRoom | None:
    """No room yet, or the desired room with some state dropped, changed or added, and random
    memberships; its marker stays its own (a wrong marker is left alone, by design)."""
    if draw(st.booleans()):
        return None
    desired = wanted(ref)
    state: dict[tuple[str, str], Mapping[str, Any]] = {}
    for key, content in desired.state.items():
        if key == (MARKER_EVENT_TYPE, ""):
            state[key] = draw(st.sampled_from([content, {}]))  # {}: redacted (R34)
            continue
        found = draw(st.sampled_from(["kept", "missing", "drifted"]))
        if found == "kept":
            state[key] = content
        elif found == "drifted":
            state[key] = {"drifted": True}
    for etype in draw(st.lists(st.sampled_from(sorted(UNWANTED_STATE_TYPES)))):
        state[(etype, "")] = {"added": True}
    if draw(st.booleans()):
        state[("m.space.child", "!stray:example.org")] = {"via": ["example.org"]}
    membership = {
        user: draw(st.sampled_from(MEMBERSHIPS)) for user in draw(st.lists(st.sampled_from(PEOPLE)))
    }
    return ActualRoom(state, membership)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_applying_the_plan_leaves_nothing_to_do(data: st.DataObject) -> None:
    ref = data.draw(st.sampled_from(desired_rooms(ROSTER)))
    actual = data.draw(rooms_as_found(ref))
    desired = wanted(ref)
    corrections = plan(desired, actual)
    assert all(c.room == ref and not c.failed for c in corrections)
    after = applied(actual, corrections)
    assert plan(desired, after) == []
    # Nobody the room does not want stays in it; everyone it wants is in or banned.
    present = {u for u, m in after.membership.items() if m in ("join", "invite", "knock")}
    assert present <= set(desired.members)
    others = [u for u in desired.members if u != desired.governor]  # the governor never invited
    assert all(after.membership.get(u) in ("join", "invite", "ban") for u in others)


def test_the_space_lists_only_rooms_every_member_of_it_may_be_in() -> None:
    """R41: nobody opening the space sees an entry for a room closed to them."""
    children = space_children()
    assert RoomRef(RoomKind.MODERATION) not in children
    assert RoomRef(RoomKind.SUPPORT) not in children  # R42: the Secretariat's alone
    assert RoomRef(RoomKind.PLENARY) in children
    assert len([c for c in children if c.kind is RoomKind.FOLDER]) == 3
    members = [role for role, cell in ACCESS[RoomKind.SPACE].items() if cell.is_member]
    for child in children:
        for role in members:
            assert ACCESS[child.kind][role].is_member, (child.key, role)

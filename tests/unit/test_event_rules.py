"""What the Synapse module decides (R29–R31 and the membership rules), over hand-built state."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# Synapse's own imports pull in Twisted, which warns about its own deprecations; warnings are
# errors in this suite, so these imports are made with them quiet.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import synapse.api.errors as errors
    import synapse.api.room_versions as room_versions
    import synapse.events as synapse_events

    import room_policies.synapse_module as synapse_module
from room_policies.event_rules import STATE_READ, EventView, judge
from room_policies.membership import (
    GOVERNED_STATE_TYPES,
    Decision,
    governing_account,
    members_of,
)
from room_policies.power_levels import power_levels_content, power_levels_for
from room_policies.roles import DelegationCode, FolderKey, Platform, Role, RoomKind, UserId
from room_policies.room_state import MEMBERS_EVENT_TYPE, desired_state, members_content
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef, desired_rooms
from room_policies.roster import Delegation, Roster, load_roster

SERVER = "example.org"
BOT = UserId("@plenaria:example.org")
WARDEN = UserId("@plenaria-warden:example.org")
PLATFORM = Platform(BOT, WARDEN)
CHAIR = UserId("@chair:example.org")
SEC = UserId("@sec:example.org")
AG_FP = UserId("@ag.fp:example.org")
AG_EXP = UserId("@ag.exp:example.org")
BR_FP = UserId("@br.fp:example.org")
BR_EXP = UserId("@br.exp:example.org")
STRANGER = UserId("@stranger:example.org")
ROSTER = load_roster(
    f"""\
working_group: WG
chairs: ["{CHAIR}"]
secretariat: ["{SEC}"]
delegations:
  - {{code: AG, focal_point: "{AG_FP}", experts: ["{AG_EXP}"]}}
  - {{code: BR, focal_point: "{BR_FP}", experts: ["{BR_EXP}"]}}
""",
    SERVER,
    bot_id=BOT,
    warden_id=WARDEN,
)
PLENARY = RoomRef(RoomKind.PLENARY)
FOLDER = RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN)
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("AG"))
AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
NUMBERED_RULES = {
    match
    for path in (Path(__file__).resolve().parents[2] / "room_policies").glob("*.py")
    for match in re.findall(r"\bR\d+\b", path.read_text(encoding="utf-8"))
}

PLENARY_LEVELS = dict(power_levels_content(ROSTER, PLATFORM, PLENARY))

State = dict[tuple[str, str], EventView]


def state_of(room: RoomRef, roster: Roster = ROSTER, platform: Platform = PLATFORM) -> State:
    """A governed room's state as the platform writes it (every event by its governor)."""
    governor = governing_account(platform, room)
    return {
        key: EventView(key[0], key[1], governor, content)
        for key, content in desired_state(roster, platform, room, server_name=SERVER).items()
    }


def member(sender: str, target: str, membership: str) -> EventView:
    return EventView("m.room.member", target, sender, {"membership": membership})


def state_event(sender: str, event_type: str, content: Mapping[str, Any]) -> EventView:
    return EventView(event_type, "", sender, content)


def message(sender: str) -> EventView:
    return EventView("m.room.message", None, sender, {"msgtype": "m.text", "body": "hello"})


def decide(event: EventView, state: State) -> Decision:
    decision = judge(event, state)
    assert decision is not None
    assert decision.reason.strip() and decision.rule in NUMBERED_RULES, decision
    return decision


def allowed(event: EventView, state: State) -> bool:
    return decide(event, state).allowed


def refused_by(event: EventView, state: State) -> str:
    decision = decide(event, state)
    assert not decision.allowed, decision
    return decision.rule


# -- rooms the platform does not govern ---------------------------------------------------------


def test_a_room_without_a_marker_is_left_alone() -> None:
    creation: State = {}
    assert judge(state_event(STRANGER, "m.room.create", {"room_version": "11"}), creation) is None
    creation[("m.room.create", "")] = state_event(STRANGER, "m.room.create", {})
    for event in (
        member(STRANGER, STRANGER, "join"),
        state_event(STRANGER, "m.room.join_rules", {"join_rule": "public"}),
        state_event(STRANGER, "m.room.power_levels", {"users": {STRANGER: 100}}),
        member(STRANGER, CHAIR, "invite"),
        message(CHAIR),
        # The marker itself: the room becomes governed after it, not before.
        state_event(STRANGER, MARKER_EVENT_TYPE, PLENARY.marker_content()),
    ):
        assert judge(event, creation) is None


def test_the_module_reads_only_the_marker_and_the_members() -> None:
    state = state_of(PLENARY)
    reduced = {key: state[key] for key in STATE_READ}
    for event in (
        member(BOT, STRANGER, "invite"),
        member(BOT, AG_FP, "invite"),
        state_event(
            BOT, "m.room.power_levels", dict(power_levels_content(ROSTER, PLATFORM, PLENARY))
        ),
        state_event(CHAIR, "m.room.name", {"name": "x"}),
    ):
        assert judge(event, reduced) == judge(event, state)


def test_the_event_view_reads_membership_only_from_member_events() -> None:
    assert member(BOT, CHAIR, "invite").membership == "invite"
    assert EventView("m.room.message", None, CHAIR, {"membership": "join"}).membership is None
    assert EventView("m.room.member", CHAIR, CHAIR, {"membership": 3}).membership is None


# -- invitations (R16, R10) ---------------------------------------------------------------------


def test_the_governor_invites_the_listed_members() -> None:
    for room in (PLENARY, FOLDER, AG_EXPERTS, AG_DESK):
        state = state_of(room)
        governor = governing_account(PLATFORM, room)
        for user in members_of(ROSTER, PLATFORM, room):
            if user != governor:
                assert allowed(member(governor, user, "invite"), state), (room, user)


@pytest.mark.parametrize(
    ("room", "invitee"),
    [
        (PLENARY, STRANGER),
        (PLENARY, AG_EXP),  # R11: no expert in the plenary
        (PLENARY, WARDEN),
        (AG_EXPERTS, CHAIR),  # R14
        (AG_EXPERTS, SEC),
        (AG_EXPERTS, BOT),  # R15
        (AG_EXPERTS, BR_FP),  # R13
        (AG_EXPERTS, BR_EXP),
        (AG_DESK, AG_EXP),
        (AG_DESK, BR_FP),
        (FOLDER, AG_EXP),  # R12: experts_read_folders is false
    ],
)
def test_the_governor_cannot_invite_anyone_the_list_does_not_name(
    room: RoomRef, invitee: UserId
) -> None:
    governor = governing_account(PLATFORM, room)
    assert refused_by(member(governor, invitee, "invite"), state_of(room)) == "R10"
    assert invitee in decide(member(governor, invitee, "invite"), state_of(room)).reason


def test_nobody_but_the_governor_invites() -> None:
    state = state_of(PLENARY)
    for inviter in (CHAIR, SEC, AG_FP, STRANGER, WARDEN):
        assert refused_by(member(inviter, BR_FP, "invite"), state) == "R16"
    # Not even the focal point into the experts room they moderate, nor the bot into it.
    experts = state_of(AG_EXPERTS)
    assert refused_by(member(AG_FP, AG_EXP, "invite"), experts) == "R16"
    assert refused_by(member(BOT, AG_EXP, "invite"), experts) == "R16"


# -- joins (R9, R10) ----------------------------------------------------------------------------


def test_listed_members_join_and_nobody_else() -> None:
    state = state_of(AG_EXPERTS)
    for user in (AG_FP, AG_EXP, WARDEN):
        assert allowed(member(user, user, "join"), state)
    for user in (CHAIR, SEC, BOT, BR_FP, STRANGER):
        assert refused_by(member(user, user, "join"), state) == "R10"
    plenary = state_of(PLENARY)
    assert allowed(member(AG_FP, AG_FP, "join"), plenary)
    assert refused_by(member(AG_EXP, AG_EXP, "join"), plenary) == "R10"


def test_knocking_is_refused() -> None:
    assert refused_by(member(AG_FP, AG_FP, "knock"), state_of(PLENARY)) == "R27"
    assert refused_by(member(STRANGER, STRANGER, "knock"), state_of(AG_EXPERTS)) == "R27"


# -- leaving and removal (R21) ------------------------------------------------------------------


def test_anyone_leaves_but_the_governor() -> None:
    state = state_of(PLENARY)
    for user in (CHAIR, SEC, AG_FP, STRANGER):
        assert allowed(member(user, user, "leave"), state)
    assert refused_by(member(BOT, BOT, "leave"), state) == "R21"
    assert refused_by(member(WARDEN, WARDEN, "leave"), state_of(AG_EXPERTS)) == "R21"


def test_the_governor_removes_anyone_but_itself() -> None:
    state = state_of(PLENARY)
    for user in (CHAIR, AG_FP, STRANGER, AG_EXP):
        assert allowed(member(BOT, user, "leave"), state)
        assert allowed(member(BOT, user, "ban"), state)
    assert refused_by(member(BOT, BOT, "ban"), state) == "R21"


def test_nobody_else_removes_anyone_from_the_plenary() -> None:
    state = state_of(PLENARY)
    for kicker, target in ((CHAIR, AG_FP), (SEC, BR_FP), (AG_FP, BR_FP), (CHAIR, STRANGER)):
        assert refused_by(member(kicker, target, "leave"), state) == "R21"
        assert refused_by(member(kicker, target, "ban"), state) == "R21"
    assert refused_by(member(CHAIR, BOT, "leave"), state) == "R21"


def test_the_focal_point_moderates_their_experts_room() -> None:
    state = state_of(AG_EXPERTS)
    assert allowed(member(AG_FP, AG_EXP, "leave"), state)
    assert allowed(member(AG_FP, STRANGER, "leave"), state)  # nobody the list places there
    assert refused_by(member(AG_FP, WARDEN, "leave"), state) == "R21"
    assert refused_by(member(AG_EXP, AG_FP, "leave"), state) == "R21"
    assert refused_by(member(AG_FP, AG_EXP, "ban"), state) == "R21"
    # A focal point moderates nowhere else.
    desk = state_of(AG_DESK)
    assert refused_by(member(AG_FP, STRANGER, "leave"), desk) == "R21"


# -- state (R17, R30, R31) ----------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(GOVERNED_STATE_TYPES))
def test_only_the_governor_changes_state(event_type: str) -> None:
    for room, users in (
        (PLENARY, (CHAIR, SEC, AG_FP, STRANGER, WARDEN)),
        (AG_EXPERTS, (AG_FP, AG_EXP, BOT)),
    ):
        state = state_of(room)
        current = state.get((event_type, ""))
        content = current.content if current is not None else {}
        for user in users:
            assert refused_by(state_event(user, event_type, content), state) == "R17"


def test_the_governor_rewrites_the_state_it_keeps() -> None:
    for room in (PLENARY, FOLDER, AG_EXPERTS, AG_DESK, RoomRef(RoomKind.SPACE)):
        state = state_of(room)
        for event in state.values():
            assert allowed(event, state), (room, event.type)


def test_the_governor_keeps_the_power_levels_of_the_table() -> None:
    state = state_of(PLENARY)
    table = PLENARY_LEVELS
    assert allowed(state_event(BOT, "m.room.power_levels", table), state)
    # make_room_admin: the current content with a server admin at the governor's level.
    admin = {**table, "users": {**table["users"], "@admin:example.org": 100}}
    decision = decide(state_event(BOT, "m.room.power_levels", admin), state)
    assert (decision.allowed, decision.rule) == (False, "R30")
    assert "users" in decision.reason
    for change in (
        {"events_default": 50},
        {"redact": 50},
        {"historical": 0},
        {"users": {**table["users"], CHAIR: 100}},
        {"state_default": 50},
    ):
        event = state_event(BOT, "m.room.power_levels", {**table, **change})
        assert refused_by(event, state) == "R30", change
    missing = {k: v for k, v in table.items() if k != "kick"}
    assert refused_by(state_event(BOT, "m.room.power_levels", missing), state) == "R30"


def test_power_levels_follow_the_published_members_not_a_guess() -> None:
    # The room lists one more expert: the power levels must follow that list.
    state = state_of(AG_EXPERTS)
    roles = {**members_content(ROSTER, PLATFORM, AG_EXPERTS)["members"], BR_EXP: "expert"}
    state[(MEMBERS_EVENT_TYPE, "")] = state_event(WARDEN, MEMBERS_EVENT_TYPE, {"members": roles})
    new = power_levels_for(RoomKind.EXPERTS, {UserId(u): Role(r) for u, r in roles.items()})
    old = power_levels_content(ROSTER, PLATFORM, AG_EXPERTS)
    # Experts have the default level, so both contents happen to agree; a focal point would not.
    assert allowed(state_event(WARDEN, "m.room.power_levels", dict(new)), state)
    assert dict(new) == dict(old)
    roles[BR_FP] = "focal_point"
    del roles[AG_FP]
    state[(MEMBERS_EVENT_TYPE, "")] = state_event(WARDEN, MEMBERS_EVENT_TYPE, {"members": roles})
    assert refused_by(state_event(WARDEN, "m.room.power_levels", dict(old)), state) == "R30"
    new = power_levels_for(RoomKind.EXPERTS, {UserId(u): Role(r) for u, r in roles.items()})
    assert allowed(state_event(WARDEN, "m.room.power_levels", dict(new)), state)


@pytest.mark.parametrize(
    ("event_type", "content", "ok"),
    [
        ("m.room.join_rules", {"join_rule": "invite"}, True),
        ("m.room.join_rules", {"join_rule": "public"}, False),
        ("m.room.join_rules", {"join_rule": "knock"}, False),
        ("m.room.join_rules", {}, False),
        ("m.room.guest_access", {"guest_access": "forbidden"}, True),
        ("m.room.guest_access", {"guest_access": "can_join"}, False),
        ("m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"}, True),
        ("m.room.encryption", {"algorithm": "m.olm.v1.curve25519-aes-sha2"}, False),
        ("m.room.history_visibility", {"history_visibility": "shared"}, True),
        ("m.room.history_visibility", {"history_visibility": "joined"}, True),
        ("m.room.history_visibility", {"history_visibility": "world_readable"}, False),
        ("m.room.name", {"name": "Anything"}, True),
        ("m.room.topic", {"topic": "Anything"}, True),
    ],
)
def test_the_governor_keeps_the_settings_every_room_has(
    event_type: str, content: dict[str, Any], ok: bool
) -> None:
    for room in (PLENARY, AG_EXPERTS):
        governor = governing_account(PLATFORM, room)
        decision = decide(state_event(governor, event_type, content), state_of(room))
        assert decision.allowed == ok, (room, decision)
        if not ok:
            assert decision.rule == "R30"


def test_the_marker_never_changes() -> None:
    state = state_of(AG_EXPERTS)
    same = state_event(WARDEN, MARKER_EVENT_TYPE, AG_EXPERTS.marker_content())
    assert allowed(same, state)
    for other in (
        RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("BR")),
        AG_DESK,
        PLENARY,
    ):
        event = state_event(WARDEN, MARKER_EVENT_TYPE, other.marker_content())
        assert refused_by(event, state) == "R30"
    assert refused_by(state_event(WARDEN, MARKER_EVENT_TYPE, {"kind": "lobby"}), state) == "R30"


def test_the_governor_publishes_a_new_members_list() -> None:
    state = state_of(AG_EXPERTS)
    roster = ROSTER.with_expert("AG", UserId("@ag.exp2:example.org"))
    content = members_content(roster, PLATFORM, AG_EXPERTS)
    assert allowed(state_event(WARDEN, MEMBERS_EVENT_TYPE, content), state)


@pytest.mark.parametrize(
    ("room", "members"),
    [
        # the governor is missing, or listed in another role
        (PLENARY, {CHAIR: "chair"}),
        (PLENARY, {BOT: "chair"}),
        # someone else in the governing role
        (PLENARY, {BOT: "bot", CHAIR: "bot"}),
        (AG_EXPERTS, {WARDEN: "warden", AG_FP: "warden"}),
        # roles with no place in the room
        (AG_EXPERTS, {WARDEN: "warden", CHAIR: "chair"}),
        (AG_EXPERTS, {WARDEN: "warden", BOT: "bot"}),
        (PLENARY, {BOT: "bot", AG_EXP: "expert"}),
        (PLENARY, {BOT: "bot", WARDEN: "warden"}),
        (PLENARY, {BOT: "bot", STRANGER: "outsider"}),
        (AG_DESK, {BOT: "bot", AG_EXP: "expert"}),
        # two focal points for one delegation
        (AG_DESK, {BOT: "bot", AG_FP: "focal_point", BR_FP: "focal_point"}),
        (AG_EXPERTS, {WARDEN: "warden", AG_FP: "focal_point", BR_FP: "focal_point"}),
    ],
)
def test_a_members_list_is_well_formed(room: RoomRef, members: dict[str, str]) -> None:
    governor = governing_account(PLATFORM, room)
    event = state_event(governor, MEMBERS_EVENT_TYPE, {"members": members})
    assert refused_by(event, state_of(room)) == "R31"


@pytest.mark.parametrize(
    "content",
    [{}, {"members": []}, {"members": {BOT: "president"}}, {"members": {BOT: 100}}],
)
def test_a_malformed_members_list_is_refused(content: dict[str, Any]) -> None:
    assert refused_by(state_event(BOT, MEMBERS_EVENT_TYPE, content), state_of(PLENARY)) == "R31"


def test_several_focal_points_are_fine_where_delegations_meet() -> None:
    members = members_content(ROSTER, PLATFORM, PLENARY)
    assert list(members["members"].values()).count("focal_point") == 2
    assert allowed(state_event(BOT, MEMBERS_EVENT_TYPE, members), state_of(PLENARY))


# -- redaction and messages (R18) ---------------------------------------------------------------


def test_nobody_but_the_platform_redacts_in_the_plenary() -> None:
    state = state_of(PLENARY)
    redaction = {"redacts": "$event"}
    for user in (CHAIR, SEC, AG_FP):
        event = EventView("m.room.redaction", None, user, redaction)
        assert refused_by(event, state) == "R18"
    assert allowed(EventView("m.room.redaction", None, BOT, redaction), state)
    # Elsewhere power levels decide.
    assert allowed(EventView("m.room.redaction", None, AG_FP, redaction), state_of(AG_EXPERTS))


def test_messages_are_left_to_power_levels() -> None:
    assert allowed(message(AG_FP), state_of(PLENARY))
    assert allowed(message(AG_FP), state_of(FOLDER))  # power levels make it read-only


# -- a room whose rules cannot be read (R29) ----------------------------------------------------


def test_a_room_without_its_members_list_is_closed_but_repairable() -> None:
    state = state_of(PLENARY)
    del state[(MEMBERS_EVENT_TYPE, "")]
    for event in (
        message(CHAIR),
        message(BOT),
        member(BOT, AG_FP, "invite"),
        member(AG_FP, AG_FP, "join"),
        member(BOT, AG_FP, "leave"),
        state_event(CHAIR, "m.room.name", {"name": "x"}),
        state_event(
            BOT, "m.room.power_levels", dict(power_levels_content(ROSTER, PLATFORM, PLENARY))
        ),
    ):
        assert refused_by(event, state) == "R29", event
    assert allowed(
        state_event(BOT, MEMBERS_EVENT_TYPE, members_content(ROSTER, PLATFORM, PLENARY)), state
    )
    assert allowed(state_event(BOT, "m.room.name", {"name": "Plenary"}), state)
    # Repairs are still held to the rules.
    assert (
        refused_by(state_event(BOT, "m.room.join_rules", {"join_rule": "public"}), state) == "R30"
    )
    assert refused_by(state_event(BOT, MEMBERS_EVENT_TYPE, {"members": {}}), state) == "R31"


def test_a_members_list_breaking_the_rules_counts_as_none() -> None:
    # Written in createRoom's batch, where the module cannot see the marker yet.
    state = state_of(PLENARY)
    state[(MEMBERS_EVENT_TYPE, "")] = state_event(
        BOT, MEMBERS_EVENT_TYPE, {"members": {BOT: "bot", STRANGER: "bot"}}
    )
    assert refused_by(member(BOT, STRANGER, "invite"), state) == "R29"
    assert refused_by(member(STRANGER, STRANGER, "join"), state) == "R29"


def test_a_room_with_a_malformed_marker_is_closed_until_the_marker_is_repaired() -> None:
    state = state_of(AG_DESK)
    state[(MARKER_EVENT_TYPE, "")] = state_event(BOT, MARKER_EVENT_TYPE, {"kind": "desk"})
    assert refused_by(message(AG_FP), state) == "R29"
    assert refused_by(member(BOT, AG_FP, "invite"), state) == "R29"
    members = members_content(ROSTER, PLATFORM, AG_DESK)
    assert refused_by(state_event(BOT, MEMBERS_EVENT_TYPE, members), state) == "R29"
    assert (
        refused_by(state_event(AG_FP, MARKER_EVENT_TYPE, AG_DESK.marker_content()), state) == "R29"
    )
    assert allowed(state_event(BOT, MARKER_EVENT_TYPE, AG_DESK.marker_content()), state)
    assert refused_by(state_event(BOT, MARKER_EVENT_TYPE, {"kind": "nope"}), state) == "R30"


def test_the_account_that_wrote_the_marker_governs() -> None:
    # A marker written by someone else makes them, not the bot, the room's governor.
    state = state_of(PLENARY)
    state[(MARKER_EVENT_TYPE, "")] = state_event(CHAIR, MARKER_EVENT_TYPE, PLENARY.marker_content())
    assert refused_by(member(CHAIR, AG_FP, "invite"), state) == "R29"  # the list names BOT
    assert refused_by(member(BOT, AG_FP, "invite"), state) == "R29"


# -- properties over random rosters -------------------------------------------------------------

CODES = ["AG", "BR", "CA", "CL", "MX", "PE", "US", "UY"]


@st.composite
def rosters(draw: st.DrawFn) -> Roster:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
    delegations = tuple(
        Delegation(
            code=DelegationCode(code),
            focal_point=UserId(f"@{code.lower()}.fp:{SERVER}"),
            experts=tuple(
                UserId(f"@{code.lower()}.exp{n}:{SERVER}") for n in range(draw(st.integers(0, 2)))
            ),
        )
        for code in codes
    )
    return Roster(
        working_group="WG",
        chairs=(CHAIR,),
        secretariat=tuple(UserId(f"@sec{n}:{SERVER}") for n in range(draw(st.integers(1, 2)))),
        experts_read_folders=draw(st.booleans()),
        delegations=delegations,
    )


@settings(max_examples=40, deadline=None)
@given(rosters())
def test_the_platform_can_always_build_its_rooms(roster: Roster) -> None:
    """Every state event the platform writes, in its order, then every invitation and join, is
    allowed; what the module checks and what the platform writes agree."""
    for room in desired_rooms(roster):
        governor = governing_account(PLATFORM, room)
        state: State = {("m.room.create", ""): state_event(governor, "m.room.create", {})}
        for key, content in desired_state(roster, PLATFORM, room, server_name=SERVER).items():
            event = EventView(key[0], key[1], governor, content)
            decision = judge(event, state)
            if key[0] == MARKER_EVENT_TYPE:
                assert decision is None  # the room is governed from its marker on
            else:
                assert decision is not None and decision.allowed, (room, key, decision)
            state[key] = event
        for user in members_of(roster, PLATFORM, room):
            if user != governor:
                assert allowed(member(governor, user, "invite"), state), (room, user)
            assert allowed(member(user, user, "join"), state), (room, user)


_PEOPLE = [CHAIR, SEC, AG_FP, AG_EXP, BR_FP, BR_EXP, STRANGER, BOT, WARDEN]


@settings(max_examples=80, deadline=None)
@given(
    rosters(),
    st.data(),
    st.sampled_from([*sorted(GOVERNED_STATE_TYPES), "com.example.custom", "m.room.create"]),
    st.dictionaries(st.sampled_from(["a", "users", "join_rule", "kind"]), st.integers()),
)
def test_no_state_change_but_the_governors_is_ever_allowed(
    roster: Roster, data: st.DataObject, event_type: str, content: dict[str, int]
) -> None:
    room = data.draw(st.sampled_from(desired_rooms(roster)))
    governor = governing_account(PLATFORM, room)
    everyone = [*roster.participants(), *_PEOPLE]
    sender = data.draw(st.sampled_from([u for u in everyone if u != governor]))
    state_key = data.draw(st.sampled_from(["", sender, "!child:example.org"]))
    event = EventView(event_type, state_key, sender, content)
    decision = judge(event, state_of(room, roster))
    assert decision is not None and not decision.allowed
    assert decision.rule == "R17"


@settings(max_examples=80, deadline=None)
@given(rosters(), st.data())
def test_nobody_the_list_does_not_name_is_ever_invited_or_joins(
    roster: Roster, data: st.DataObject
) -> None:
    room = data.draw(st.sampled_from(desired_rooms(roster)))
    listed = members_of(roster, PLATFORM, room)
    everyone = [*roster.participants(), *_PEOPLE]
    outsider = data.draw(st.sampled_from([u for u in everyone if u not in listed]))
    inviter = data.draw(st.sampled_from(everyone))
    state = state_of(room, roster)
    assert not decide(member(inviter, outsider, "invite"), state).allowed
    assert not decide(member(outsider, outsider, "join"), state).allowed


@settings(max_examples=60, deadline=None)
@given(rosters(), st.data())
def test_only_the_tables_power_levels_are_allowed(roster: Roster, data: st.DataObject) -> None:
    room = data.draw(st.sampled_from(desired_rooms(roster)))
    governor = governing_account(PLATFORM, room)
    table = dict(power_levels_content(roster, PLATFORM, room))
    key = data.draw(st.sampled_from(sorted(table)))
    level = data.draw(st.sampled_from([0, 10, 50, 100]))
    if isinstance(table[key], dict):
        someone = data.draw(st.sampled_from([*_PEOPLE, *roster.participants()]))
        changed = {**table, key: {**table[key], someone: level}}
    else:
        changed = {**table, key: level}
    decision = decide(state_event(governor, "m.room.power_levels", changed), state_of(room, roster))
    assert decision.allowed == (changed == table)


# -- the Synapse module around `judge` ----------------------------------------------------------


class _FakeModuleApi:
    def __init__(self) -> None:
        self.callbacks: dict[str, Any] = {}

    def register_third_party_rules_callbacks(self, **callbacks: Any) -> None:
        self.callbacks.update(callbacks)


def _synapse_event(view: EventView) -> Any:
    event: dict[str, Any] = {
        "type": view.type,
        "sender": view.sender,
        "room_id": "!room:example.org",
        "content": dict(view.content),
        "prev_events": [],
        "auth_events": [],
        "depth": 1,
        "origin_server_ts": 0,
        "hashes": {"sha256": "x"},
        "signatures": {},
    }
    if view.state_key is not None:
        event["state_key"] = view.state_key
    return synapse_events.make_event_from_dict(event, room_versions.RoomVersions.V11)


def _module() -> tuple[Any, _FakeModuleApi]:
    api = _FakeModuleApi()
    module = synapse_module.RoomPolicyModule(synapse_module.RoomPolicyModule.parse_config({}), api)
    assert api.callbacks == {"check_event_allowed": module.check_event_allowed}
    return module, api


def test_the_module_takes_no_settings() -> None:
    parse = synapse_module.RoomPolicyModule.parse_config
    assert parse({}) == {} and parse(None) == {}
    with pytest.raises(ValueError, match="unknown config keys: strict"):
        parse({"strict": True})


async def test_the_module_allows_what_judge_allows_and_refuses_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    module, _ = _module()
    state = {key: _synapse_event(view) for key, view in state_of(PLENARY).items()}
    for allowed_event in (message(AG_FP), member(BOT, AG_FP, "invite")):
        answer = await module.check_event_allowed(_synapse_event(allowed_event), state)
        assert answer == (True, None)
    # Unmarked: left alone, whatever the event.
    bare = {("m.room.create", ""): _synapse_event(state_event(STRANGER, "m.room.create", {}))}
    event = _synapse_event(state_event(STRANGER, "m.room.join_rules", {"join_rule": "public"}))
    assert await module.check_event_allowed(event, bare) == (True, None)

    secret = "a confidential draft position"
    refused = _synapse_event(state_event(CHAIR, "m.room.topic", {"topic": secret}))
    with (
        caplog.at_level("INFO", logger="room_policies.synapse_module"),
        pytest.raises(errors.SynapseError) as raised,
    ):
        await module.check_event_allowed(refused, state)
    assert raised.value.code == 403
    assert raised.value.errcode == errors.Codes.FORBIDDEN
    expected = decide(state_event(CHAIR, "m.room.topic", {}), state_of(PLENARY))
    assert raised.value.msg == expected.reason
    [record] = caplog.records
    assert record.levelname == "INFO"
    assert record.args == ("m.room.topic", CHAIR, "!room:example.org", "R17")
    assert secret not in caplog.text


async def test_the_module_fails_closed_in_a_governed_room(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    module, _ = _module()

    def broken(event: EventView, state: Mapping[tuple[str, str], EventView]) -> Decision:
        raise RuntimeError(f"boom {event.content}")

    monkeypatch.setattr(synapse_module, "judge", broken)
    state = {key: _synapse_event(view) for key, view in state_of(PLENARY).items()}
    secret = "a confidential draft position"
    with pytest.raises(errors.SynapseError) as raised, caplog.at_level("INFO"):
        await module.check_event_allowed(
            _synapse_event(EventView("m.room.message", None, AG_FP, {"body": secret})), state
        )
    assert raised.value.code == 403
    assert raised.value.msg == synapse_module._UNEXPECTED.reason
    failure, refusal = caplog.records
    assert failure.levelname == "ERROR" and "RuntimeError" in failure.getMessage()
    assert refusal.levelname == "INFO" and refusal.args[-1] == "R29"
    assert secret not in caplog.text
    # Unmarked rooms never reach judge.
    bare = {("m.room.create", ""): _synapse_event(state_event(STRANGER, "m.room.create", {}))}
    assert await module.check_event_allowed(_synapse_event(message(AG_FP)), bare) == (True, None)

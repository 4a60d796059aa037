"""What the Synapse module decides (R29–R31 and the membership rules), over hand-built state."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
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
from room_policies.access_table import GOVERNED_STATE_TYPES, governing_account
from room_policies.event_rules import STATE_READ, EventView, Redacted, judge
from room_policies.membership import members_of
from room_policies.power_levels import power_levels_content, power_levels_for
from room_policies.roles import (
    Decision,
    DelegationCode,
    FolderKey,
    Platform,
    Role,
    RoomKind,
    UserId,
)
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
        key: EventView(key[0], key[1], governor, content, DEVICE)
        for key, content in desired_state(roster, platform, room, server_name=SERVER).items()
    }


# The events judged below come from a session with a device (a client, or the platform's own
# session) unless a test says otherwise: device-less sessions have rules of their own (R36).
DEVICE = "PLENARIADEVICE"


def member(sender: str, target: str, membership: str, device_id: str | None = DEVICE) -> EventView:
    return EventView("m.room.member", target, sender, {"membership": membership}, device_id)


def state_event(
    sender: str, event_type: str, content: Mapping[str, Any], device_id: str | None = DEVICE
) -> EventView:
    return EventView(event_type, "", sender, content, device_id)


def message(sender: str, device_id: str | None = DEVICE) -> EventView:
    return EventView(
        "m.room.message", None, sender, {"msgtype": "m.text", "body": "hello"}, device_id
    )


def redaction(sender: str, redacted: Redacted | None, device_id: str | None = DEVICE) -> EventView:
    return EventView("m.room.redaction", None, sender, {"redacts": "$event"}, device_id, redacted)


def written_by(sender: str) -> Redacted:
    """A message, as the event a redaction removes."""
    return Redacted("m.room.message", None, sender)


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
            rule = "R35" if event_type == "m.room.tombstone" else "R17"
            assert refused_by(state_event(user, event_type, content), state) == rule


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


# -- redaction and messages (R18, R20, R33, R34) ------------------------------------------------


def test_nobody_but_the_platform_redacts_in_the_plenary() -> None:
    state = state_of(PLENARY)
    for user in (CHAIR, SEC, AG_FP):
        for author in (user, BOT, BR_FP):
            assert refused_by(redaction(user, written_by(author)), state) == "R18"
    assert allowed(redaction(BOT, written_by(BOT)), state)


def test_one_removes_only_ones_own_message() -> None:
    experts = state_of(AG_EXPERTS)
    assert allowed(redaction(AG_EXP, written_by(AG_EXP)), experts)
    assert allowed(redaction(AG_FP, written_by(AG_FP)), experts)
    assert allowed(redaction(WARDEN, written_by(WARDEN)), experts)
    assert allowed(redaction(SEC, written_by(SEC)), state_of(FOLDER))


@pytest.mark.parametrize(
    ("room", "sender", "author"),
    [
        (AG_EXPERTS, AG_FP, AG_EXP),  # the moderator does not alter an expert's words
        (AG_EXPERTS, AG_EXP, AG_FP),
        (AG_EXPERTS, WARDEN, AG_EXP),  # nor does the platform
        (AG_EXPERTS, WARDEN, AG_FP),
        (PLENARY, BOT, BR_FP),
        (PLENARY, BOT, CHAIR),
        (FOLDER, BOT, CHAIR),
        (FOLDER, CHAIR, SEC),
        (AG_DESK, BOT, AG_FP),
        (AG_DESK, AG_FP, BOT),
    ],
)
def test_nobody_removes_another_persons_message(room: RoomRef, sender: str, author: str) -> None:
    rule = refused_by(redaction(sender, written_by(author)), state_of(room))
    # In the plenary only the platform redacts at all (R18); the platform never alters what a
    # delegation wrote, nor anything in the plenary (R19); elsewhere R33 says why. The enforcer
    # cites the same rules (`conduct.may_redact`).
    governor = governing_account(PLATFORM, room)
    if room == PLENARY and sender != governor:
        assert rule == "R18"
    elif sender == governor and (room == PLENARY or author in (AG_FP, AG_EXP, BR_FP)):
        assert rule == "R19"
    else:
        assert rule == "R33"


@pytest.mark.parametrize("event_type", ["m.room.encryption", MARKER_EVENT_TYPE, MEMBERS_EVENT_TYPE])
@pytest.mark.parametrize("room", [AG_EXPERTS, AG_DESK, FOLDER])
def test_nobody_removes_state(room: RoomRef, event_type: str) -> None:
    governor = governing_account(PLATFORM, room)
    target = Redacted(event_type, "", governor)
    state = state_of(room)
    for sender in (governor, AG_FP):
        assert refused_by(redaction(sender, target), state) == "R34"


def test_a_redaction_of_what_cannot_be_read_is_refused() -> None:
    for room, sender in ((AG_EXPERTS, AG_EXP), (AG_EXPERTS, WARDEN), (PLENARY, BOT)):
        assert refused_by(redaction(sender, None), state_of(room)) == "R34"


def test_nobody_upgrades_a_room() -> None:
    tombstone = {"body": "This room has been replaced", "replacement_room": "!new:example.org"}
    for room in (PLENARY, AG_EXPERTS, AG_DESK, RoomRef(RoomKind.SPACE)):
        state = state_of(room)
        governor = governing_account(PLATFORM, room)
        for sender in (governor, AG_FP, CHAIR):
            event = state_event(sender, "m.room.tombstone", tombstone)
            decision = decide(event, state)
            assert (decision.allowed, decision.rule) == (False, "R35")
            assert "never upgraded" in decision.reason
    # Also where the rules cannot be read.
    closed = state_of(AG_EXPERTS)
    del closed[(MEMBERS_EVENT_TYPE, "")]
    assert refused_by(state_event(WARDEN, "m.room.tombstone", tombstone), closed) == "R35"


def test_a_refusal_names_the_country_as_written() -> None:
    decision = decide(
        state_event(WARDEN, "m.room.join_rules", {"join_rule": "public"}), state_of(AG_EXPERTS)
    )
    assert decision.reason.startswith("The experts room of Antigua and Barbuda")


# -- the platform's own sessions (R36) -----------------------------------------------------------


def test_the_platform_acts_only_from_a_session_with_a_device() -> None:
    experts, plenary = state_of(AG_EXPERTS), state_of(PLENARY)
    listed = dict(members_content(ROSTER, PLATFORM, AG_EXPERTS))
    listed["members"] = {**listed["members"], SEC: "expert"}
    # What the rules would let the governing account do, a session without a device may not.
    for event, state in (
        (
            state_event(
                WARDEN, MEMBERS_EVENT_TYPE, members_content(ROSTER, PLATFORM, AG_EXPERTS), None
            ),
            experts,
        ),
        (member(WARDEN, AG_EXP, "invite", None), experts),
        (message(WARDEN, None), experts),
        (redaction(WARDEN, written_by(WARDEN), None), experts),
        (state_event(BOT, "m.room.topic", {"topic": "x"}, None), plenary),
        (message(BOT, None), plenary),
    ):
        assert refused_by(event, state) == "R36", event
    # The Secretariat listed as an expert: the list is well formed, and the session has none.
    rewrite = state_event(WARDEN, MEMBERS_EVENT_TYPE, listed, None)
    assert refused_by(rewrite, experts) == "R36"
    assert allowed(state_event(WARDEN, MEMBERS_EVENT_TYPE, listed), experts)
    # What the rules refuse anyway keeps its own reason.
    assert refused_by(member(WARDEN, CHAIR, "invite", None), experts) == "R10"


def test_the_platforms_accounts_named_in_the_config_are_held_to_it_everywhere() -> None:
    # The warden is not the plenary's governor: only the module's config says it is the
    # platform's. (Its events there are refused by the rules anyway but for leaving.)
    plenary = state_of(PLENARY)
    leaving = member(WARDEN, WARDEN, "leave", None)
    assert allowed(leaving, plenary)
    decision = judge(leaving, plenary, frozenset({BOT, WARDEN}))
    assert decision is not None and (decision.allowed, decision.rule) == (False, "R36")


def test_people_act_from_any_session() -> None:
    # Display names set through the admin API reach the rooms as device-less member events.
    assert allowed(member(AG_EXP, AG_EXP, "join", None), state_of(AG_EXPERTS))
    assert allowed(message(CHAIR, None), state_of(PLENARY))


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
            event = EventView(key[0], key[1], governor, content, DEVICE)
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
    event = EventView(event_type, state_key, sender, content, DEVICE)
    decision = judge(event, state_of(room, roster))
    assert decision is not None and not decision.allowed
    assert decision.rule == ("R35" if event_type == "m.room.tombstone" else "R17")


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


class _FakeDatabase:
    """The one query the module makes itself: which devices hold an access token."""

    def __init__(self, store: _FakeStore) -> None:
        self.store = store

    async def simple_select_list(
        self, table: str, keyvalues: dict[str, Any], retcols: tuple[str, ...], desc: str
    ) -> list[tuple[Any, ...]]:
        assert (table, retcols) == ("access_tokens", ("device_id",))
        return [(device,) for device in self.store.tokens.get(keyvalues["user_id"], [])]


class _FakeStore:
    """Synapse's store, as far as the module reads it: events, devices and access tokens."""

    def __init__(self) -> None:
        self.events: dict[str, Any] = {}
        self.devices: dict[str, list[str]] = {}
        self.tokens: dict[str, list[str | None]] = {}
        self.db_pool = _FakeDatabase(self)

    async def get_event(
        self, event_id: str, *, allow_none: bool, check_room_id: str | None = None
    ) -> Any:
        assert allow_none
        event = self.events.get(event_id)
        if event is None or (check_room_id is not None and event.room_id != check_room_id):
            return None
        return event

    async def get_devices_by_user(self, user_id: str) -> dict[str, dict[str, Any]]:
        return {d: {"device_id": d, "user_id": user_id} for d in self.devices.get(user_id, [])}


class _FakeModuleApi:
    def __init__(self) -> None:
        self.callbacks: dict[str, Any] = {}
        self._store = _FakeStore()

    def register_third_party_rules_callbacks(self, **callbacks: Any) -> None:
        self.callbacks.update(callbacks)

    def register_spam_checker_callbacks(self, **callbacks: Any) -> None:
        self.callbacks.update(callbacks)


def _synapse_event(view: EventView, room_id: str = "!room:example.org") -> Any:
    event: dict[str, Any] = {
        "type": view.type,
        "sender": view.sender,
        "room_id": room_id,
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
    metadata = {"device_id": view.device_id} if view.device_id is not None else {}
    return synapse_events.make_event_from_dict(event, room_versions.RoomVersions.V11, metadata)


def _module(config: Mapping[str, Any] | None = None) -> tuple[Any, _FakeModuleApi]:
    api = _FakeModuleApi()
    named = {"bot": BOT, "warden": WARDEN} if config is None else config
    parsed = synapse_module.RoomPolicyModule.parse_config(named)
    module = synapse_module.RoomPolicyModule(parsed, api)
    assert api.callbacks == {
        "check_event_allowed": module.check_event_allowed,
        "check_login_for_spam": module.check_login_for_spam,
    }
    return module, api


def test_the_module_names_the_platforms_accounts_or_none() -> None:
    parse = synapse_module.RoomPolicyModule.parse_config
    assert parse({}) == parse(None) == synapse_module.ModuleConfig()
    assert parse({}).platform_accounts == frozenset()
    named = parse({"bot": BOT, "warden": WARDEN})
    assert named.platform_accounts == {BOT, WARDEN}
    assert parse({"warden": WARDEN}).platform_accounts == {WARDEN}
    with pytest.raises(ValueError, match="unknown config keys: strict"):
        parse({"strict": True})
    with pytest.raises(ValueError, match="bot must be a user id"):
        parse({"bot": "plenaria"})
    with pytest.raises(ValueError, match="warden must be a user id"):
        parse({"warden": ["@w:example.org"]})
    with pytest.raises(ValueError, match="two accounts"):
        parse({"bot": BOT, "warden": BOT})
    with pytest.raises(ValueError, match="mapping"):
        parse(["bot"])  # type: ignore[arg-type]


def test_the_deployed_module_names_the_platforms_accounts() -> None:
    deploy = Path(__file__).resolve().parents[2] / "deploy"
    homeserver = yaml.safe_load((deploy / "homeserver.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((deploy / "config.yaml").read_text(encoding="utf-8"))
    [module] = homeserver["modules"]
    parsed = synapse_module.RoomPolicyModule.parse_config(module["config"])
    assert parsed.bot == config["bot"]["user_id"]
    assert parsed.warden == config["warden"]["user_id"]


def test_the_module_warns_when_sign_ins_are_not_guarded(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="room_policies.synapse_module"):
        _module({})
    [record] = caplog.records
    assert "sign-ins as the platform's bot and warden are not guarded" in record.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING", logger="room_policies.synapse_module"):
        _module({"bot": BOT})
    [record] = caplog.records
    assert "the platform's warden are not guarded" in record.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING", logger="room_policies.synapse_module"):
        _module({"bot": BOT, "warden": WARDEN})
    assert not caplog.records


async def test_the_module_refuses_a_second_session_of_the_platforms_accounts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    module, api = _module({"bot": BOT, "warden": WARDEN})
    store = api._store

    async def sign_in(user: str, device_id: str | None) -> Any:
        return await module.check_login_for_spam(user, device_id, None, [("ua", "127.0.0.1")], None)

    # Anyone else, and the platform's first sign-in.
    store.devices[CHAIR] = ["PHONE"]
    assert await sign_in(CHAIR, None) == "NOT_SPAM"
    assert await sign_in(WARDEN, None) == "NOT_SPAM"
    store.devices[WARDEN], store.tokens[WARDEN] = ["WARDENDEV"], ["WARDENDEV", None]
    with caplog.at_level("WARNING", logger="room_policies.synapse_module"):
        code, fields = await sign_in(WARDEN, None)
    assert code == errors.Codes.FORBIDDEN
    assert (
        fields["org.plenaria.rule"] == "R37" and "second session" in fields["org.plenaria.reason"]
    )
    assert caplog.records[-1].args == (WARDEN, "R37")
    # Not even as the platform's own device while it is signed in.
    code, fields = await sign_in(WARDEN, "WARDENDEV")
    assert code == errors.Codes.FORBIDDEN and "signed in already" in fields["org.plenaria.reason"]
    # Once its token is revoked, the platform signs in again as the same device.
    store.tokens[WARDEN] = [None]  # only a token minted by the admin API, without a device
    assert await sign_in(WARDEN, "WARDENDEV") == "NOT_SPAM"
    assert (await sign_in(WARDEN, "OTHER"))[0] == errors.Codes.FORBIDDEN


async def test_the_module_refuses_a_sign_in_it_cannot_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module, api = _module({"bot": BOT, "warden": WARDEN})

    async def broken(user_id: str) -> dict[str, Any]:
        raise RuntimeError("database gone")

    monkeypatch.setattr(api._store, "get_devices_by_user", broken)
    code, fields = await module.check_login_for_spam(BOT, None, None, [], None)
    assert code == errors.Codes.FORBIDDEN and fields["org.plenaria.rule"] == "R37"
    assert await module.check_login_for_spam(CHAIR, None, None, [], None) == "NOT_SPAM"


async def test_the_module_reads_the_device_of_each_event() -> None:
    module, _ = _module({"bot": BOT, "warden": WARDEN})
    state = {key: _synapse_event(view) for key, view in state_of(AG_EXPERTS).items()}
    listed = dict(members_content(ROSTER, PLATFORM, AG_EXPERTS))
    listed["members"] = {**listed["members"], SEC: "expert"}
    rewrite = state_event(WARDEN, MEMBERS_EVENT_TYPE, listed)
    assert await module.check_event_allowed(_synapse_event(rewrite), state) == (True, None)
    minted = state_event(WARDEN, MEMBERS_EVENT_TYPE, listed, device_id=None)
    with pytest.raises(errors.SynapseError) as raised:
        await module.check_event_allowed(_synapse_event(minted), state)
    assert raised.value.msg == decide(minted, state_of(AG_EXPERTS)).reason


async def test_the_module_judges_a_redaction_with_the_event_it_removes() -> None:
    module, api = _module({"bot": BOT, "warden": WARDEN})
    state = {key: _synapse_event(view) for key, view in state_of(AG_EXPERTS).items()}
    api._store.events["$expert"] = _synapse_event(message(AG_EXP))
    api._store.events["$encryption"] = state[("m.room.encryption", "")]
    api._store.events["$elsewhere"] = _synapse_event(message(AG_FP), "!other:example.org")

    def redacting(sender: str, target: str) -> Any:
        return _synapse_event(
            EventView("m.room.redaction", None, sender, {"redacts": target}, DEVICE)
        )

    assert await module.check_event_allowed(redacting(AG_EXP, "$expert"), state) == (True, None)
    for sender, target, rule in (
        (AG_FP, "$expert", "R33"),
        (WARDEN, "$expert", "R19"),  # the platform never alters a delegation's words
        (AG_FP, "$encryption", "R34"),
        (AG_FP, "$elsewhere", "R34"),  # not this room's: cannot be read here
        (AG_FP, "$unknown", "R34"),
    ):
        with pytest.raises(errors.SynapseError) as raised:
            await module.check_event_allowed(redacting(sender, target), state)
        expected = decide(
            redaction(
                sender,
                None
                if target in ("$elsewhere", "$unknown")
                else Redacted(
                    str(api._store.events[target].type),
                    api._store.events[target].get_state_key(),
                    str(api._store.events[target].sender),
                ),
            ),
            state_of(AG_EXPERTS),
        )
        assert (expected.rule, raised.value.msg) == (rule, expected.reason), (sender, target)


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

    def broken(
        event: EventView, state: Mapping[tuple[str, str], EventView], accounts: object
    ) -> Decision:
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

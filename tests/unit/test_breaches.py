"""`judge_event` (R32): whether an event already in a governed room broke a rule, over
hand-made events for a roster with AG and BR, and one property over random rosters."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from room_policies.access_table import governing_account
from room_policies.breaches import (
    Breach,
    expert_removed_by_focal_point,
    judge_event,
    redacted_event_id,
    report_room,
)
from room_policies.membership import may_join, may_kick
from room_policies.roles import DelegationCode, FolderKey, Platform, RoomKind, UserId
from room_policies.room_state import desired_state
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import Roster, load_roster
from tests.unit.test_room_policies_properties import PLATFORM as PROPERTY_PLATFORM
from tests.unit.test_room_policies_properties import STRANGER as PROPERTY_STRANGER
from tests.unit.test_room_policies_properties import rosters

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

ROSTER: Roster = load_roster(
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
MODERATION = RoomRef(RoomKind.MODERATION)
FOLDER = RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN)
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("AG"))
AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
BR_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("BR"))


def member(sender: str, target: str, membership: str) -> dict[str, Any]:
    return {
        "type": "m.room.member",
        "event_id": "$member",
        "sender": sender,
        "state_key": target,
        "content": {"membership": membership},
    }


def state(sender: str, event_type: str, content: dict[str, Any], key: str = "") -> dict[str, Any]:
    return {
        "type": event_type,
        "event_id": "$state",
        "sender": sender,
        "state_key": key,
        "content": content,
    }


def desired(room: RoomRef) -> dict[tuple[str, str], dict[str, Any]]:
    return desired_state(ROSTER, PLATFORM, room, server_name=SERVER)


def judge(room: RoomRef, event: dict[str, Any]) -> Breach | None:
    return judge_event(ROSTER, PLATFORM, room, event, desired(room))


def breach(room: RoomRef, event: dict[str, Any]) -> Breach:
    found = judge(room, event)
    assert found is not None, event
    assert found.event_id == event["event_id"]
    assert found.sender == event["sender"]
    assert not found.decision.allowed
    assert found.decision.reason.strip()
    return found


# --- invitations ---------------------------------------------------------------------------------


def test_a_focal_point_inviting_into_their_experts_room_is_a_breach() -> None:
    # Even someone who belongs there: the platform invites, nobody else (R16).
    found = breach(AG_EXPERTS, member(AG_FP, AG_EXP, "invite"))
    assert found.decision.rule == "R16"
    assert (found.action, found.target, found.undoable) == (f"invited {AG_EXP}", AG_EXP, True)


def test_the_chair_inviting_into_the_plenary_is_a_breach() -> None:
    assert breach(PLENARY, member(CHAIR, BR_FP, "invite")).decision.rule == "R16"


def test_the_bot_inviting_into_an_experts_room_is_a_breach() -> None:
    # The warden governs experts rooms; the bot is not their governing account (R15, R16).
    assert breach(AG_EXPERTS, member(BOT, AG_EXP, "invite")).decision.rule == "R16"


@pytest.mark.parametrize(
    ("room", "governor", "invitee"),
    [
        (AG_EXPERTS, WARDEN, AG_EXP),
        (AG_EXPERTS, WARDEN, AG_FP),
        (PLENARY, BOT, BR_FP),
        (MODERATION, BOT, SEC),
        (AG_DESK, BOT, AG_FP),
    ],
)
def test_the_governor_inviting_someone_who_belongs_is_in_order(
    room: RoomRef, governor: UserId, invitee: UserId
) -> None:
    assert judge(room, member(governor, invitee, "invite")) is None


@pytest.mark.parametrize(
    ("room", "governor", "invitee", "rule"),
    [
        (AG_EXPERTS, WARDEN, BR_EXP, "R13"),
        (AG_EXPERTS, WARDEN, BR_FP, "R13"),
        (AG_EXPERTS, WARDEN, CHAIR, "R14"),
        (PLENARY, BOT, AG_EXP, "R11"),
        (PLENARY, BOT, STRANGER, "R10"),
        (FOLDER, BOT, AG_EXP, "R12"),
    ],
)
def test_the_governor_inviting_someone_who_does_not_belong_is_a_breach(
    room: RoomRef, governor: UserId, invitee: UserId, rule: str
) -> None:
    found = breach(room, member(governor, invitee, "invite"))
    assert found.decision == may_join(ROSTER, PLATFORM, invitee, room)
    assert found.decision.rule == rule


# --- joins and knocks ----------------------------------------------------------------------------


def test_the_chair_joining_an_experts_room_is_a_breach() -> None:
    found = breach(AG_EXPERTS, member(CHAIR, CHAIR, "join"))
    assert found.decision.rule == "R14"
    assert (found.action, found.target) == ("joined", CHAIR)


def test_an_expert_joining_their_own_experts_room_is_in_order() -> None:
    assert judge(AG_EXPERTS, member(AG_EXP, AG_EXP, "join")) is None


def test_an_expert_knocking_on_the_plenary_is_a_breach() -> None:
    found = breach(PLENARY, member(AG_EXP, AG_EXP, "knock"))
    assert found.action == "asked to join"


# --- removals ------------------------------------------------------------------------------------


def test_a_focal_point_removing_their_expert_exercises_moderation() -> None:
    event = member(AG_FP, AG_EXP, "leave")
    assert judge(AG_EXPERTS, event) is None
    assert expert_removed_by_focal_point(ROSTER, AG_EXPERTS, event) == AG_EXP


@pytest.mark.parametrize(
    ("room", "event"),
    [
        (AG_EXPERTS, member(AG_EXP, AG_EXP, "leave")),  # the expert left by themselves
        (AG_EXPERTS, member(WARDEN, AG_EXP, "leave")),  # the platform removed them
        (AG_EXPERTS, member(AG_FP, AG_EXP, "invite")),
        (AG_EXPERTS, member(AG_FP, AG_FP, "leave")),  # the focal point is no expert
        (AG_DESK, member(AG_FP, AG_EXP, "leave")),  # not the experts room
        (AG_EXPERTS, state(AG_FP, "m.room.topic", {"topic": "x"})),
    ],
)
def test_no_expert_removed_by_the_focal_point(room: RoomRef, event: dict[str, Any]) -> None:
    assert expert_removed_by_focal_point(ROSTER, room, event) is None


def test_another_focal_point_removing_an_expert_removes_no_expert() -> None:
    assert expert_removed_by_focal_point(ROSTER, AG_EXPERTS, member(BR_FP, AG_EXP, "leave")) is None


def test_the_chair_removing_a_focal_point_from_the_plenary_is_a_breach() -> None:
    found = breach(PLENARY, member(CHAIR, BR_FP, "leave"))
    assert found.decision.rule == "R21"
    assert (found.action, found.target) == (f"removed {BR_FP}", BR_FP)


def test_anyone_may_leave() -> None:
    assert judge(PLENARY, member(BR_FP, BR_FP, "leave")) is None


def test_removing_the_governor_is_a_breach() -> None:
    assert breach(AG_EXPERTS, member(AG_FP, WARDEN, "leave")).decision.rule == "R21"


def test_the_governor_leaving_its_room_is_a_breach() -> None:
    assert may_kick(ROSTER, PLATFORM, WARDEN, WARDEN, AG_EXPERTS).allowed is False
    assert breach(AG_EXPERTS, member(WARDEN, WARDEN, "leave")).decision.rule == "R21"


def test_a_focal_point_banning_their_expert_is_a_breach() -> None:
    event = member(AG_FP, AG_EXP, "ban")
    assert breach(AG_EXPERTS, event).decision.rule == "R21"


def test_a_ban_breach_does_not_give_a_permission_as_its_reason() -> None:
    found = breach(AG_EXPERTS, member(AG_FP, AG_EXP, "ban"))
    allowed_kick = may_kick(ROSTER, PLATFORM, AG_FP, AG_EXP, AG_EXPERTS)
    assert allowed_kick.allowed
    assert found.decision.reason != allowed_kick.reason


# --- state ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("room", "sender", "event_type"),
    [
        (AG_EXPERTS, AG_FP, "m.room.topic"),
        (AG_EXPERTS, AG_FP, "m.room.power_levels"),
        (AG_EXPERTS, AG_FP, "m.room.join_rules"),
        (PLENARY, CHAIR, "m.room.name"),
        (PLENARY, SEC, "org.plenaria.room"),
        (PLENARY, WARDEN, "m.room.encryption"),
        (AG_EXPERTS, BOT, "m.room.history_visibility"),
    ],
)
def test_state_from_anyone_but_the_governor_is_a_breach(
    room: RoomRef, sender: UserId, event_type: str
) -> None:
    found = breach(room, state(sender, event_type, {"anything": True}))
    assert found.decision.rule == "R17"
    assert (found.action, found.target) == (f"changed {event_type}", event_type)


@pytest.mark.parametrize("room", [PLENARY, MODERATION, FOLDER, AG_EXPERTS, AG_DESK])
def test_the_governor_writing_the_desired_state_is_in_order(room: RoomRef) -> None:
    governor = governing_account(PLATFORM, room)
    for (event_type, key), content in desired(room).items():
        assert judge(room, state(governor, event_type, content, key)) is None, event_type


@pytest.mark.parametrize("room", [PLENARY, AG_EXPERTS])
def test_the_governor_writing_other_power_levels_is_a_breach(room: RoomRef) -> None:
    governor = governing_account(PLATFORM, room)
    levels = dict(desired(room)[("m.room.power_levels", "")])
    levels["users"] = {**levels["users"], STRANGER: 100}
    found = breach(room, state(governor, "m.room.power_levels", levels))
    assert found.decision.rule == "R22"
    assert found.target == "m.room.power_levels"


def test_the_governor_writing_another_join_rule_is_a_breach() -> None:
    found = breach(PLENARY, state(BOT, "m.room.join_rules", {"join_rule": "public"}))
    assert found.decision.rule == "R17"


# --- redactions and messages ---------------------------------------------------------------------


def redaction(sender: str, redacts: str = "$message", *, v11: bool = True) -> dict[str, Any]:
    """A real redaction: the removed event's id in `content.redacts` (room version 11) or at
    the top level (earlier versions); never its sender."""
    event: dict[str, Any] = {"type": "m.room.redaction", "event_id": "$r", "sender": sender}
    if v11:
        event["content"] = {"redacts": redacts, "reason": "x"}
    else:
        event["redacts"] = redacts
        event["content"] = {}
    return event


def written(sender: str, event_id: str = "$message") -> dict[str, Any]:
    """A message as the homeserver serves it to `GET /rooms/{id}/event/{id}`."""
    return {"type": "m.room.encrypted", "event_id": event_id, "sender": sender, "content": {}}


def judge_redaction(
    room: RoomRef, event: dict[str, Any], redacted: dict[str, Any] | None
) -> Breach | None:
    return judge_event(ROSTER, PLATFORM, room, event, desired(room), redacted)


def test_the_redacted_event_is_named_in_the_content_or_at_the_top_level() -> None:
    assert redacted_event_id(redaction(CHAIR, "$a")) == "$a"
    assert redacted_event_id(redaction(CHAIR, "$b", v11=False)) == "$b"
    assert redacted_event_id({"type": "m.room.redaction", "content": {}}) is None
    assert redacted_event_id({"type": "m.room.redaction", "content": {"redacts": 3}}) is None


def test_the_chair_redacting_in_the_plenary_is_a_breach_that_cannot_be_undone() -> None:
    found = judge_redaction(PLENARY, redaction(CHAIR), written(BR_FP))
    assert found is not None
    assert found.decision.rule == "R18"
    assert found.undoable is False
    assert (found.action, found.target) == (f"removed a message by {BR_FP}", BR_FP)


def test_a_focal_point_redacting_their_own_message_in_the_plenary_is_a_breach() -> None:
    found = judge_redaction(PLENARY, redaction(BR_FP, v11=False), written(BR_FP))
    assert found is not None and found.decision.rule == "R18"
    assert found.action == "removed a message"


def test_an_expert_redacting_their_own_message_in_the_experts_room_is_in_order() -> None:
    assert judge_redaction(AG_EXPERTS, redaction(AG_EXP), written(AG_EXP)) is None
    assert judge_redaction(AG_EXPERTS, redaction(AG_FP, v11=False), written(AG_FP)) is None


def test_the_bot_redacting_a_delegations_message_in_the_plenary_is_a_breach() -> None:
    found = judge_redaction(PLENARY, redaction(BOT), written(BR_FP))
    assert found is not None
    assert found.decision.rule == "R19"
    assert found.undoable is False


def test_the_bot_redacting_its_own_message_in_the_plenary_is_in_order() -> None:
    assert judge_redaction(PLENARY, redaction(BOT), written(BOT)) is None


@pytest.mark.parametrize(
    ("room", "sender", "author", "rule"),
    [
        (AG_EXPERTS, AG_FP, AG_EXP, "R33"),  # the moderator does not alter an expert's words
        (AG_EXPERTS, AG_EXP, AG_FP, "R33"),
        (AG_EXPERTS, WARDEN, AG_EXP, "R19"),  # nor does the platform
        (FOLDER, BOT, CHAIR, "R33"),
        (FOLDER, CHAIR, SEC, "R33"),
        (MODERATION, SEC, CHAIR, "R33"),
        (AG_DESK, BOT, AG_FP, "R19"),
    ],
)
def test_redacting_another_persons_message_is_a_breach_that_cannot_be_undone(
    room: RoomRef, sender: UserId, author: UserId, rule: str
) -> None:
    found = judge_redaction(room, redaction(sender), written(author))
    assert found is not None, (room, sender, author)
    assert found.decision.rule == rule
    assert found.undoable is False
    assert found.action == f"removed a message by {author}"


@pytest.mark.parametrize(
    ("room", "sender", "event_type", "restored"),
    [
        (AG_EXPERTS, AG_FP, "m.room.encryption", True),
        (AG_EXPERTS, WARDEN, "org.plenaria.room", True),
        (PLENARY, BOT, "org.plenaria.members", True),
        (AG_DESK, AG_FP, "m.room.topic", True),
        (AG_EXPERTS, AG_FP, "m.room.pinned_events", False),  # nothing the rules need
    ],
)
def test_redacting_state_is_a_breach_and_the_settings_the_rules_need_come_back(
    room: RoomRef, sender: UserId, event_type: str, restored: bool
) -> None:
    governor = governing_account(PLATFORM, room)
    found = judge_redaction(room, redaction(sender), state(governor, event_type, {}))
    assert found is not None
    assert found.decision.rule == "R34"
    assert (found.action, found.target) == (f"removed the room's {event_type}", event_type)
    assert found.undoable is restored


def test_redacting_an_event_the_platform_cannot_read_is_a_breach() -> None:
    found = judge_redaction(AG_EXPERTS, redaction(AG_EXP), None)
    assert found is not None
    assert (found.decision.rule, found.undoable) == ("R34", False)
    assert found.action == "removed an event the platform could not read"


def test_the_redactions_sender_never_comes_from_the_redaction_itself() -> None:
    # A `target_sender` field is no part of a real redaction: it proves nothing.
    forged = {**redaction(AG_FP), "target_sender": AG_FP}
    found = judge_redaction(AG_EXPERTS, forged, written(AG_EXP))
    assert found is not None and found.decision.rule == "R33"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "m.room.message", "event_id": "$m", "sender": STRANGER, "content": {"body": "x"}},
        {"type": "m.room.message", "event_id": "$m", "sender": AG_EXP, "content": {}},
        {"type": "m.reaction", "event_id": "$m", "sender": CHAIR, "content": {}},
        {"type": "m.room.encrypted", "event_id": "$m", "sender": BR_EXP, "content": {}},
        {"type": "m.room.member", "event_id": "$m", "sender": STRANGER, "content": {}},
    ],
)
@pytest.mark.parametrize("room", [PLENARY, AG_EXPERTS])
def test_events_without_a_state_key_are_no_breach(room: RoomRef, event: dict[str, Any]) -> None:
    assert judge(room, event) is None


# --- property: join and invite breaches follow may_join -------------------------------------------


@settings(max_examples=60, deadline=None)
@given(roster=rosters(), data=st.data())
def test_join_and_invite_breaches_follow_may_join(roster: Roster, data: st.DataObject) -> None:
    platform = PROPERTY_PLATFORM
    people = [*roster.participants(), platform.bot_id, platform.warden_id, PROPERTY_STRANGER]
    rooms = desired_rooms(roster)
    triples = st.tuples(
        st.sampled_from(people), st.sampled_from(people), st.sampled_from(["join", "invite"])
    )
    for sender, target, membership in data.draw(st.lists(triples, min_size=1, max_size=8)):
        room = data.draw(st.sampled_from(rooms))
        if membership == "join":
            sender = target  # one joins by oneself
        found = judge_event(roster, platform, room, member(sender, target, membership), {})
        joining = may_join(roster, platform, target, room)
        governor = governing_account(platform, room)
        if membership == "join":
            assert (found is not None) == (not joining.allowed), (target, room)
            if found is not None:
                assert found.decision == joining
        else:
            in_order = sender == governor and joining.allowed
            assert (found is None) == in_order, (sender, target, room)
            if found is not None and sender != governor:
                assert found.decision.rule == "R16"


# --- where a breach is reported (R38) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("room", "reported_in"),
    [
        (PLENARY, MODERATION),
        (MODERATION, MODERATION),
        (FOLDER, MODERATION),
        (RoomRef(RoomKind.SPACE), MODERATION),
        (AG_DESK, MODERATION),
        (AG_EXPERTS, AG_DESK),  # the focal point's desk: the Chair never sees an experts room
        (RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("BR")), BR_DESK),
    ],
)
def test_a_breach_is_reported_in_the_moderation_room_or_the_delegations_desk(
    room: RoomRef, reported_in: RoomRef
) -> None:
    assert report_room(room) == reported_in


def test_no_breach_of_an_experts_room_is_reported_where_others_read() -> None:
    for room in desired_rooms(ROSTER):
        where = report_room(room)
        assert where in desired_rooms(ROSTER)
        if room.kind is RoomKind.EXPERTS:
            assert (where.kind, where.delegation) == (RoomKind.DESK, room.delegation)

"""The rules of conduct (R16–R21, R27, R33, R34) are asked by both sides of SPEC §2: the Synapse
module prevents (`event_rules.judge`, from the room's own state) and the enforcer reacts
(`breaches.judge_event`, from the roster). Over random rosters, both sides must answer every act
alike: a refusal inside the homeserver is a breach after the fact, and the same rule says why."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from room_policies.breaches import judge_event
from room_policies.conduct import GovernedRoom, Redacted, may_ban, may_redact, may_remove
from room_policies.event_rules import EventView, judge
from room_policies.membership import governing_account, members_of
from room_policies.roles import Role, RoomKind, UserId
from room_policies.room_state import desired_state
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import Roster
from tests.unit.test_breaches import member
from tests.unit.test_room_policies_properties import (
    PLATFORM,
    SERVER,
    STRANGER,
    governed_state,
    rosters,
)

ACCOUNTS = {PLATFORM.bot_id, PLATFORM.warden_id}
DEVICE = "DEVICE"
BOT = UserId("@bot:example.org")
FP = UserId("@fp:example.org")
EXPERT = UserId("@exp:example.org")
EXPERTS_ROOM = GovernedRoom(
    RoomKind.EXPERTS,
    UserId("@warden:example.org"),
    "the experts room of Antigua and Barbuda",
    {UserId("@warden:example.org"): Role.WARDEN, FP: Role.FOCAL_POINT, EXPERT: Role.EXPERT},
)
PLENARY = GovernedRoom(RoomKind.PLENARY, BOT, "the plenary", {BOT: Role.BOT, FP: Role.FOCAL_POINT})


def test_a_moderator_removes_those_below_them_but_never_bans() -> None:
    assert may_remove(EXPERTS_ROOM, FP, EXPERT).allowed
    assert not may_remove(EXPERTS_ROOM, EXPERT, FP).allowed
    assert not may_ban(EXPERTS_ROOM, FP, EXPERT).allowed
    assert may_ban(EXPERTS_ROOM, EXPERTS_ROOM.governor, EXPERT).allowed
    assert not may_ban(EXPERTS_ROOM, EXPERTS_ROOM.governor, EXPERTS_ROOM.governor).allowed
    assert not may_remove(PLENARY, FP, STRANGER).allowed  # nobody moderates the plenary


def test_a_redaction_refused_names_the_setting_when_it_is_known() -> None:
    refused = may_redact(EXPERTS_ROOM, FP, Redacted("m.room.encryption", "", EXPERTS_ROOM.governor))
    assert (refused.rule, "(m.room.encryption)" in refused.reason) == ("R34", True)
    unnamed = may_redact(EXPERTS_ROOM, FP, Redacted("", "", EXPERTS_ROOM.governor))
    assert (unnamed.rule, "()" in unnamed.reason) == ("R34", False)


def _both(
    roster: Roster, room: RoomRef, event: dict[str, Any], redacted: Redacted | None = None
) -> tuple[tuple[bool, str], tuple[bool, str | None]]:
    """(allowed, rule) as the module judges the event before it exists, and as the enforcer
    judges it once it is in the room (allowed when no breach; then no rule)."""
    view = EventView(
        event["type"], event.get("state_key"), event["sender"], event["content"], DEVICE, redacted
    )
    prevented = judge(view, governed_state(roster, room), ACCOUNTS)
    assert prevented is not None
    served = None
    if redacted is not None:
        served = {"type": redacted.type, "sender": redacted.sender, "content": {}}
        if redacted.state_key is not None:
            served["state_key"] = redacted.state_key
    desired = desired_state(roster, PLATFORM, room, server_name=SERVER)
    breach = judge_event(roster, PLATFORM, room, event, desired, served)
    reacted = (True, None) if breach is None else (False, breach.decision.rule)
    return (prevented.allowed, prevented.rule), reacted


@settings(max_examples=60, deadline=None)
@given(rosters(), st.data())
def test_prevent_and_react_answer_every_act_alike(roster: Roster, data: st.DataObject) -> None:
    room = data.draw(st.sampled_from(desired_rooms(roster)))
    governor = governing_account(PLATFORM, room)
    people = [*list(members_of(roster, PLATFORM, room))[:6], *ACCOUNTS, STRANGER]
    people += [data.draw(st.sampled_from(roster.participants()))]
    sender = data.draw(st.sampled_from(people))
    target = data.draw(st.sampled_from(people))
    acts: list[tuple[dict[str, Any], Redacted | None]] = [
        (member(sender, target, membership), None)
        for membership in ("leave", "ban", "invite", "knock")
    ]
    redaction = {"type": "m.room.redaction", "event_id": "$r", "sender": sender}
    redaction["content"] = {"redacts": "$target"}
    acts += [
        (redaction, Redacted("m.room.message", None, target)),
        (redaction, Redacted("m.room.encryption", "", governor)),
    ]
    for event, redacted in acts:
        (allowed, rule), (not_a_breach, breach_rule) = _both(roster, room, event, redacted)
        assert allowed == not_a_breach, (event, redacted, rule, breach_rule)
        joining = event["content"].get("membership") == "invite" and sender == governor
        if not allowed and not joining:
            # Whether someone may be in the room at all is asked of each side's own source (the
            # members list, R10; the roster, R9–R15); every other refusal cites the same rule.
            assert rule == breach_rule, (event, redacted)

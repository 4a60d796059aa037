"""SPEC §2's privacy rules as invariants over random rosters and random roster changes.

Rosters have 1–12 delegations with real ISO codes, 0–3 experts each, 1–2 chairs, 1–3 secretariat
members and a random `experts_read_folders`; changes add and remove delegations, hand a focal
point over, add and remove experts. After every change, every rule below must hold, for every
room the platform has ever had (rooms of removed delegations included).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pycountry
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from room_policies.access_table import GOVERNED_STATE_TYPES, governing_account
from room_policies.event_rules import EventView, Redacted, judge
from room_policies.membership import (
    access,
    may_invite,
    may_join,
    may_kick,
    may_redact,
    may_send_state,
    members_of,
    role_in,
)
from room_policies.power_levels import POWER_LEVELS, power_levels_content
from room_policies.roles import Decision, DelegationCode, Platform, Role, RoomKind, UserId
from room_policies.room_state import desired_state
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import Delegation, Roster, dump_roster, load_roster, validate

SERVER = "example.org"
PLATFORM = Platform(UserId("@plenaria:example.org"), UserId("@plenaria-warden:example.org"))
STRANGER = UserId("@stranger:example.org")
CODES = sorted(country.alpha_2 for country in pycountry.countries)
STATE_TYPES = [*sorted(GOVERNED_STATE_TYPES), "com.example.custom"]
SOURCES = Path(__file__).resolve().parents[2] / "room_policies"
# Every rule a decision may cite is numbered in a comment or docstring of room_policies/.
NUMBERED_RULES = {
    match
    for path in SOURCES.glob("*.py")
    for match in re.findall(r"\bR\d+\b", path.read_text(encoding="utf-8"))
}

_ids = itertools.count()


def fresh(prefix: str) -> UserId:
    return UserId(f"@{prefix}.{next(_ids)}:{SERVER}")


@st.composite
def rosters(draw: st.DrawFn) -> Roster:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=12, unique=True))
    delegations = tuple(
        Delegation(
            code=DelegationCode(code),
            focal_point=fresh(f"{code.lower()}.fp"),
            experts=tuple(fresh(f"{code.lower()}.exp") for _ in range(draw(st.integers(0, 3)))),
        )
        for code in codes
    )
    return Roster(
        working_group="WG",
        chairs=tuple(fresh("chair") for _ in range(draw(st.integers(1, 2)))),
        secretariat=tuple(fresh("sec") for _ in range(draw(st.integers(1, 3)))),
        experts_read_folders=draw(st.booleans()),
        delegations=delegations,
    )


# -- the invariants ----------------------------------------------------------------------------


def check_decision(decision: Decision) -> None:
    assert decision.reason.strip(), "every decision says why"
    assert decision.rule in NUMBERED_RULES, decision.rule


def check_rules(roster: Roster, rooms: Iterable[RoomRef], people: Iterable[UserId]) -> None:
    """Every invariant of SPEC §2, for these rooms and these people (plus the platform and a
    stranger)."""
    validate(roster, SERVER, bot_id=PLATFORM.bot_id, warden_id=PLATFORM.warden_id)
    everyone = list(dict.fromkeys([*people, PLATFORM.bot_id, PLATFORM.warden_id, STRANGER]))
    for room in rooms:
        members = members_of(roster, PLATFORM, room)
        governor = governing_account(PLATFORM, room)
        for index, user in enumerate(everyone):
            role = role_in(roster, PLATFORM, user)
            joining = may_join(roster, PLATFORM, user, room)
            check_decision(joining)
            # members_of and may_join agree.
            assert joining.allowed == (user in members), (user, room, joining)
            if user in members:
                assert members[user] == access(roster, PLATFORM, user, room)
            check_privacy(roster, room, user, role, joining.allowed)
            # R16: the platform invites, nobody else.
            if user != governor:
                inviting = may_invite(roster, PLATFORM, user, STRANGER, room)
                assert not inviting.allowed
                check_decision(inviting)
            # R17: only the governing account changes room state, whatever the state type.
            event_type = STATE_TYPES[index % len(STATE_TYPES)]
            state = may_send_state(roster, PLATFORM, user, room, event_type, "")
            check_decision(state)
            assert state.allowed == (user == governor), (user, room, event_type)
        for event_type in STATE_TYPES:
            assert may_send_state(roster, PLATFORM, governor, room, event_type, "").allowed
        check_redaction(roster, room, everyone)
        check_power_levels(roster, room, members, everyone)


def check_privacy(roster: Roster, room: RoomRef, user: UserId, role: Role, allowed: bool) -> None:
    kind = room.kind
    if role is Role.EXPERT:
        # No expert in the plenary, the moderation room, the space, or a room of another
        # delegation; folders only if experts_read_folders, and then never posting.
        if kind in (
            RoomKind.PLENARY,
            RoomKind.MODERATION,
            RoomKind.SPACE,
            RoomKind.DESK,
            RoomKind.SUPPORT,
        ):
            assert not allowed, (user, room)
        if kind is RoomKind.FOLDER:
            assert allowed == roster.experts_read_folders, (user, room)
            assert not access(roster, PLATFORM, user, room).posts
        if kind is RoomKind.EXPERTS and room.delegation != roster.delegation_of(user):
            assert not allowed, (user, room)
    if role is Role.FOCAL_POINT and room.delegation not in (None, roster.delegation_of(user)):
        assert not allowed, (user, room)
    # The Chair, the Secretariat and the bot never see an experts room.
    if role in (Role.CHAIR, Role.SECRETARIAT, Role.BOT) and kind is RoomKind.EXPERTS:
        assert not allowed, (user, room)
    # R42: the Support room is the Technical Secretariat's and the bot's, nobody else's.
    if kind is RoomKind.SUPPORT:
        assert allowed == (role in (Role.SECRETARIAT, Role.BOT)), (user, room)
    # The warden is in the experts rooms and nowhere else.
    if role is Role.WARDEN:
        assert allowed == (kind is RoomKind.EXPERTS), room
    if role is Role.OUTSIDER:
        assert not allowed, (user, room)
    # An experts room's members are exactly its focal point, its experts and the warden.
    if kind is RoomKind.EXPERTS:
        delegation = roster.delegation(room.delegation or "")
        expected = {PLATFORM.warden_id}
        if delegation is not None:
            expected |= {delegation.focal_point, *delegation.experts}
        assert set(members_of(roster, PLATFORM, room)) == expected


def check_redaction(roster: Roster, room: RoomRef, everyone: list[UserId]) -> None:
    governor = governing_account(PLATFORM, room)
    delegates = [u for u in everyone if roster.delegation_of(u) is not None]
    # The platform never redacts a delegation's message, in any room.
    for target in delegates:
        decision = may_redact(roster, PLATFORM, governor, room, target)
        check_decision(decision)
        assert not decision.allowed, (room, target)
    if room.kind is RoomKind.PLENARY:
        # Nobody but the platform redacts in the plenary, not even their own messages.
        for sender in everyone:
            if sender != governor:
                for target in (sender, governor, *delegates[:3]):
                    assert not may_redact(roster, PLATFORM, sender, room, target).allowed


def _representatives(members: Mapping[UserId, object], roster: Roster) -> list[UserId]:
    """One member per role (the space has hundreds; the rules depend on the role only)."""
    seen: dict[Role, UserId] = {}
    for user in members:
        seen.setdefault(role_in(roster, PLATFORM, user), user)
    return list(seen.values())


def check_power_levels(
    roster: Roster, room: RoomRef, members: Mapping[UserId, object], everyone: list[UserId]
) -> None:
    content = power_levels_content(roster, PLATFORM, room)
    row = POWER_LEVELS[room.kind]
    table = set(row.values())
    levels = {
        content["users_default"],
        content["events_default"],
        content["state_default"],
        content["invite"],
        content["kick"],
        content["ban"],
        content["redact"],
        *content["users"].values(),
        *content["events"].values(),
        *content["notifications"].values(),
    }
    assert levels <= table, (room, levels - table)  # no number but the table's

    def level(user: UserId) -> int:
        return content["users"].get(user, content["users_default"])

    # Every desired member has their level from the table; nobody else is above the default.
    assert set(content["users"]) <= set(members)
    for user in everyone:
        expected = row[role_in(roster, PLATFORM, user)] if user in members else row[Role.OUTSIDER]
        assert level(user) == expected, (user, room)
    assert content["users_default"] == row[Role.OUTSIDER]

    governor = governing_account(PLATFORM, room)
    assert level(governor) == max(table)  # room version 11: no creator power to rely on
    for user in everyone:
        if user == governor:
            continue
        # Only the platform changes state, invites and bans.
        assert level(user) < content["state_default"]
        assert all(level(user) < required for required in content["events"].values())
        assert level(user) < content["invite"]
        assert level(user) < content["ban"]
        # Posting: who may post reaches events_default, readers do not.
        if user in members:
            posts = access(roster, PLATFORM, user, room).posts
            assert (level(user) >= content["events_default"]) == posts, (user, room)

    # What Synapse lets a member do (power levels) and what the rules allow agree.
    sample = _representatives(members, roster)
    for actor, target in itertools.product(sample, repeat=2):
        if actor == target or target == governor:
            continue
        by_levels = level(actor) >= content["kick"] and level(actor) > level(target)
        assert may_kick(roster, PLATFORM, actor, target, room).allowed == by_levels, (
            actor,
            target,
            room,
        )
        if may_redact(roster, PLATFORM, actor, room, target).allowed:
            assert level(actor) >= content["redact"], (actor, target, room)
    # Redacting one's own message takes only the level of sending `m.room.redaction`.
    redaction = content["events"].get("m.room.redaction", content["events_default"])
    for actor in sample:
        own = may_redact(roster, PLATFORM, actor, room, actor).allowed
        assert own == (level(actor) >= redaction), (actor, room)


# -- properties over random rosters ------------------------------------------------------------


def governed_state(roster: Roster, room: RoomRef) -> dict[tuple[str, str], EventView]:
    """The room's state as the platform writes it, as the Synapse module sees it."""
    governor = governing_account(PLATFORM, room)
    return {
        key: EventView(key[0], key[1], governor, content, "PLATFORMDEVICE")
        for key, content in desired_state(roster, PLATFORM, room, server_name=SERVER).items()
    }


@settings(max_examples=60, deadline=None)
@given(rosters(), st.data())
def test_no_redaction_of_another_persons_message_is_ever_allowed(
    roster: Roster, data: st.DataObject
) -> None:
    """SPEC §2: "in governed rooms nobody redacts another person's message (the platform's own
    accounts included), and nobody redacts state" — by the rules and by the module."""
    room = data.draw(st.sampled_from(desired_rooms(roster)))
    everyone = [*roster.participants(), PLATFORM.bot_id, PLATFORM.warden_id, STRANGER]
    sender = data.draw(st.sampled_from(everyone))
    author = data.draw(st.sampled_from([u for u in everyone if u != sender]))
    state = governed_state(roster, room)
    for target, is_state in ((author, False), (author, True), (sender, True)):
        decision = may_redact(roster, PLATFORM, sender, room, target, target_is_state=is_state)
        check_decision(decision)
        assert not decision.allowed, (sender, target, is_state, room)
        redacted = Redacted(
            "m.room.encryption" if is_state else "m.room.message", "" if is_state else None, target
        )
        event = EventView("m.room.redaction", None, sender, {"redacts": "$e"}, "DEVICE", redacted)
        judged = judge(event, state, {PLATFORM.bot_id, PLATFORM.warden_id})
        assert judged is not None and not judged.allowed, (sender, target, is_state, room)
        check_decision(judged)


@settings(max_examples=60, deadline=None)
@given(rosters(), st.data())
def test_no_device_less_event_of_the_platform_is_ever_allowed(
    roster: Roster, data: st.DataObject
) -> None:
    """SPEC §2 "The server operator": governed state written from a session without a device
    (a token minted by the admin API) is refused by the module; so is anything else the
    platform's accounts would send from such a session."""
    room = data.draw(st.sampled_from(desired_rooms(roster)))
    governor = governing_account(PLATFORM, room)
    sender = data.draw(st.sampled_from([PLATFORM.bot_id, PLATFORM.warden_id]))
    state = governed_state(roster, room)
    listed = [u for u in members_of(roster, PLATFORM, room) if u != governor]
    candidates = [
        EventView(etype, key, sender, dict(view.content)) for (etype, key), view in state.items()
    ]
    candidates += [EventView("m.room.member", u, sender, {"membership": "invite"}) for u in listed]
    candidates += [
        EventView("m.room.member", sender, sender, {"membership": m}) for m in ("join", "leave")
    ]
    candidates += [
        EventView("m.room.message", None, sender, {"body": "x"}),
        EventView(
            "m.room.redaction", None, sender, {}, None, Redacted("m.room.message", None, sender)
        ),
    ]
    event = data.draw(st.sampled_from(candidates))
    assert event.device_id is None
    decision = judge(event, state, {PLATFORM.bot_id, PLATFORM.warden_id})
    assert decision is not None and not decision.allowed, (event, room)
    check_decision(decision)
    if sender == governor:
        # With the platform's own device, whatever the rules allow is allowed again.
        with_device = dataclasses.replace(event, device_id="PLATFORMDEVICE")
        again = judge(with_device, state, {PLATFORM.bot_id, PLATFORM.warden_id})
        assert again is not None
        assert again.allowed or again.rule != "R36", (event, room, again)


@settings(max_examples=40, deadline=None)
@given(rosters())
def test_the_rules_hold_for_any_roster(roster: Roster) -> None:
    check_rules(roster, desired_rooms(roster), roster.participants())


@settings(max_examples=60, deadline=None)
@given(rosters())
def test_the_roster_round_trips_through_yaml(roster: Roster) -> None:
    assert load_roster(dump_roster(roster), SERVER) == roster


@settings(max_examples=60, deadline=None)
@given(rosters())
def test_desired_rooms_are_distinct_and_their_markers_read_back(roster: Roster) -> None:
    rooms = desired_rooms(roster)
    assert len(rooms) == len(set(rooms)) == 7 + 2 * len(roster.delegations)
    for room in rooms:
        assert RoomRef.from_marker(room.marker_content()) == room


# -- properties over random sequences of roster changes ----------------------------------------


class RosterChanges(RuleBasedStateMachine):
    """Roster changes as the commands make them; the rules hold after each one, and nobody who
    left the roster keeps a place anywhere."""

    roster: Roster

    @initialize(roster=rosters())
    def start(self, roster: Roster) -> None:
        self.roster = roster
        self.rooms: set[RoomRef] = set(desired_rooms(roster))
        self.people: set[UserId] = set(roster.participants())

    def _change(self, roster: Roster) -> None:
        self.roster = roster
        self.rooms |= set(desired_rooms(roster))
        self.people |= set(roster.participants())

    @precondition(lambda self: len(self.roster.delegations) < 12)
    @rule(code=st.sampled_from(CODES), experts=st.integers(0, 3))
    def add_delegation(self, code: str, experts: int) -> None:
        if self.roster.delegation(code) is None:
            lower = code.lower()
            self._change(
                self.roster.with_delegation(
                    Delegation(
                        code=DelegationCode(code),
                        focal_point=fresh(f"{lower}.fp"),
                        experts=tuple(fresh(f"{lower}.exp") for _ in range(experts)),
                    )
                )
            )

    @precondition(lambda self: bool(self.roster.delegations))
    @rule(data=st.data())
    def remove_delegation(self, data: st.DataObject) -> None:
        delegation = data.draw(st.sampled_from(self.roster.delegations))
        self._change(self.roster.without_delegation(delegation.code))

    @precondition(lambda self: bool(self.roster.delegations))
    @rule(data=st.data(), to_an_expert=st.booleans())
    def hand_over_focal_point(self, data: st.DataObject, to_an_expert: bool) -> None:
        delegation = data.draw(st.sampled_from(self.roster.delegations))
        if to_an_expert and delegation.experts:
            successor = data.draw(st.sampled_from(delegation.experts))
        else:
            successor = fresh(f"{delegation.code.lower()}.fp")
        self._change(self.roster.with_focal_point(delegation.code, successor))

    @precondition(lambda self: any(len(d.experts) < 3 for d in self.roster.delegations))
    @rule(data=st.data())
    def add_expert(self, data: st.DataObject) -> None:
        open_ = [d for d in self.roster.delegations if len(d.experts) < 3]
        delegation = data.draw(st.sampled_from(open_))
        self._change(
            self.roster.with_expert(delegation.code, fresh(f"{delegation.code.lower()}.exp"))
        )

    @precondition(lambda self: any(d.experts for d in self.roster.delegations))
    @rule(data=st.data())
    def remove_expert(self, data: st.DataObject) -> None:
        delegation = data.draw(st.sampled_from([d for d in self.roster.delegations if d.experts]))
        expert = data.draw(st.sampled_from(delegation.experts))
        self._change(self.roster.without_expert(delegation.code, expert))

    @rule()
    def toggle_experts_read_folders(self) -> None:
        self._change(
            Roster.model_validate(
                {**dict(self.roster), "experts_read_folders": not self.roster.experts_read_folders}
            )
        )

    @invariant()
    def rules_hold(self) -> None:
        check_rules(self.roster, sorted(self.rooms, key=repr), self.roster.participants())

    @invariant()
    def who_left_keeps_nothing(self) -> None:
        current = set(self.roster.participants())
        for user in self.people - current:
            for room in self.rooms:
                assert not may_join(self.roster, PLATFORM, user, room).allowed, (user, room)


RosterChanges.TestCase.settings = settings(max_examples=20, stateful_step_count=12, deadline=None)
TestRosterChanges = RosterChanges.TestCase


def test_the_rules_are_numbered_without_gaps() -> None:
    highest = max(int(rule[1:]) for rule in NUMBERED_RULES)
    assert {f"R{n}" for n in range(1, highest + 1)} == NUMBERED_RULES

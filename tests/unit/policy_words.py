"""Every refusal the rules of membership and conduct give for a small roster (AG, BR), and every
reason a roster is refused: what tests/unit/test_policy_reasons.py checks is worded in each
language (and tests/unit/test_no_english_left.py sweeps)."""

from __future__ import annotations

from collections.abc import Iterator

from room_policies import conduct
from room_policies.breaches import Breach, judge_event
from room_policies.conduct import Redacted
from room_policies.membership import governed_room, may_join, may_kick, may_send_state
from room_policies.roles import Decision
from room_policies.room_state import desired_state
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import Roster, load_roster, validate
from room_policies.roster_problems import RosterError, RosterProblem
from tests.unit.test_breaches import (
    AG_EXP,
    AG_FP,
    BOT,
    BR_EXP,
    BR_FP,
    CHAIR,
    PLATFORM,
    ROSTER,
    SEC,
    SERVER,
    STRANGER,
    WARDEN,
    member,
    state,
)

PEOPLE = (CHAIR, SEC, AG_FP, AG_EXP, BR_FP, BR_EXP, STRANGER, BOT, WARDEN)


def rooms() -> list[RoomRef]:
    return desired_rooms(ROSTER)


def decisions() -> Iterator[Decision]:
    """The refusals of every question the rules answer, for every room and pair of people."""
    for ref in rooms():
        room = governed_room(ROSTER, PLATFORM, ref)
        yield conduct.may_knock(room)
        yield may_send_state(ROSTER, PLATFORM, AG_FP, ref, "m.room.name", "")
        for user in PEOPLE:
            yield may_join(ROSTER, PLATFORM, user, ref)
            yield conduct.may_redact(room, user, None)
            for kind, key in (("m.room.topic", ""), ("", "")):
                yield conduct.may_redact(room, user, Redacted(kind, key, BOT))
            for other in PEOPLE:
                yield conduct.may_invite(room, user, other, may_join(ROSTER, PLATFORM, other, ref))
                yield may_kick(ROSTER, PLATFORM, user, other, ref)
                yield conduct.may_ban(room, user, other)
                yield conduct.may_redact(room, user, Redacted("m.room.message", None, other))


def refusals() -> list[Decision]:
    seen: dict[str, Decision] = {}
    for decision in decisions():
        if not decision.allowed:
            seen.setdefault(decision.reason, decision)
    return list(seen.values())


def breaches() -> list[Breach]:
    """One breach of each kind of act, in the plenary, the moderation room and the AG desk."""
    found: list[Breach] = []
    for ref in rooms():
        desired = desired_state(ROSTER, PLATFORM, ref, server_name=SERVER)
        governor = governed_room(ROSTER, PLATFORM, ref).governor
        events = [
            (member(CHAIR, STRANGER, "invite"), None),
            (member(STRANGER, STRANGER, "join"), None),
            (member(CHAIR, AG_FP, "leave"), None),
            (member(governor, governor, "leave"), None),
            (member(CHAIR, AG_FP, "ban"), None),
            (member(STRANGER, STRANGER, "knock"), None),
            (state(AG_FP, "m.room.topic", {"topic": "x"}), None),
            (state(governor, "m.room.join_rules", {"join_rule": "public"}), None),
        ]
        redaction = {"type": "m.room.redaction", "event_id": "$r", "sender": CHAIR}
        redaction["content"] = {"redacts": "$x"}
        events += [
            (redaction, None),
            (redaction, {"type": "m.room.topic", "state_key": "", "sender": governor}),
            (redaction, {"type": "m.room.message", "sender": CHAIR}),
            (redaction, {"type": "m.room.message", "sender": AG_FP}),
        ]
        for event, redacted in events:
            breach = judge_event(ROSTER, PLATFORM, ref, event, desired, redacted)
            if breach is not None:
                found.append(breach)
    return found


ROSTER_TEXT = f"""\
working_group: WG
chairs: ["{CHAIR}"]
secretariat: ["{SEC}"]
delegations:
  - {{code: AG, focal_point: "{AG_FP}", experts: ["{AG_EXP}"]}}
"""


def _refused(roster: Roster | str) -> tuple[RosterProblem, ...]:
    try:
        if isinstance(roster, str):
            load_roster(roster, SERVER, bot_id=BOT, warden_id=WARDEN)
        else:
            validate(roster, SERVER, bot_id=BOT, warden_id=WARDEN)
    except RosterError as error:
        return error.problems
    raise AssertionError("the roster was accepted")


def roster_problems() -> list[RosterProblem]:
    """A roster refused for each reason `validate` and `load_roster` give."""
    base = load_roster(ROSTER_TEXT, SERVER)
    cases: list[Roster | str] = [
        base.model_copy(update={"working_group": " ", "chairs": (), "secretariat": ()}),
        ROSTER_TEXT + '  - {code: XX, focal_point: "@xx:example.org"}\n',
        ROSTER_TEXT + '  - {code: BR, name: " ", focal_point: "@br:example.org"}\n',
        ROSTER_TEXT + '  - {code: AG, focal_point: "@ag2:example.org"}\n',
        ROSTER_TEXT + '  - {code: BR, focal_point: "Not An Id"}\n',
        ROSTER_TEXT + '  - {code: BR, focal_point: "@br:other.org"}\n',
        ROSTER_TEXT + f'  - {{code: BR, focal_point: "{BOT}", experts: ["{WARDEN}"]}}\n',
        ROSTER_TEXT + f'  - {{code: BR, focal_point: "{AG_EXP}"}}\n',
        ROSTER_TEXT.replace(f'chairs: ["{CHAIR}"]', f'chairs: ["{CHAIR}", "{AG_FP}"]'),
        ROSTER_TEXT.replace(f'chairs: ["{CHAIR}"]', f'chairs: ["{CHAIR}", "{CHAIR}"]'),
        ROSTER_TEXT + f'names: {{"@nobody:example.org": "N", "{CHAIR}": " "}}\n',
        "working_group: [",
        "- a list",
        ROSTER_TEXT + "colour: blue\n",
        "chairs: []\n",
    ]
    problems: list[RosterProblem] = []
    for case in cases:
        problems += _refused(case)
    return problems

"""Breaches: whether an event already in a governed room broke a rule, judged by the roster.

The enforcer (bot/governance/enforcer.py) asks `judge_event` about every state, membership and
redaction event its syncs bring; the Synapse module asks `event_rules.judge` before an event
exists, from the room's own state. Both answer with the rules of `conduct`, asked for the room
as the roster makes it (`membership.governed_room`) here, as its members list says there.

R32  An event already in a room is a breach when its sender had no right to it (R9–R21), and
     also when the platform's own account was made to write what the rules do not give (a
     server administrator's tools act through it, §2 "Prevent": "which server admins cannot
     bypass"). A focal point who removes one of their experts from the experts room exercises
     their moderation (§2): the roster follows, as `!experts remove` would.
R38  A breach is reported where §2 ("React") says: "to the moderation room for
     plenary/folders/moderation, to the focal point's desk for their experts room"
     (`report_room`). The space and the desks have no room of their own for it, so their
     breaches go to the moderation room too; an experts room's never do, since the Chair and
     the Secretariat never see an experts room (R14).

A redaction is judged with the event it removes, which the enforcer fetches from the homeserver
(`redacted_event_id` says which; a real redaction names it in `content.redacts` from room
version 11, at the top level before). Removing another person's message (R19, R33), anything in
the plenary but the platform's own (R18), or any state (R34) is a breach; so is a redaction whose
target the platform cannot read (R34, failing closed). A message removed stays removed; a
setting the rules need is restored by the reconciler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from room_policies import conduct
from room_policies.conduct import GovernedRoom, Redacted
from room_policies.membership import governed_room, may_join, may_send_state
from room_policies.reasons import Why, facts
from room_policies.roles import Decision, Platform, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import Roster

__all__ = [
    "Act",
    "Breach",
    "expert_removed_by_focal_point",
    "judge_event",
    "redacted_event_id",
    "report_room",
]


@dataclass(frozen=True)
class Breach:
    """An event that broke a rule, and the decision that says which."""

    event_id: str
    sender: str
    action: str  # what was attempted, in a few words (English: the audit log's)
    target: str
    decision: Decision
    undoable: bool = True
    act: Act | None = None  # which `action`, for `commands/` to word (its fact is `target`)


class Act(StrEnum):
    """What a breach's sender did, as `commands/corrections.py` words it (`Breach.target` is the
    fact: the person, the event type or the message's author)."""

    INVITED = "invited"
    JOINED = "joined"
    REMOVED = "removed"
    LEFT = "left"
    BANNED = "banned"
    KNOCKED = "knocked"
    CHANGED = "changed"
    REDACTED_UNREADABLE = "redacted_unreadable"
    REDACTED_SETTING = "redacted_setting"
    REDACTED_OWN = "redacted_own"
    REDACTED_OTHERS = "redacted_others"


def report_room(ref: RoomRef) -> RoomRef:
    """Where a breach in this room is reported (R38): the delegation's desk for its experts
    room, the moderation room for every other room."""
    if ref.kind is RoomKind.EXPERTS:
        return RoomRef(RoomKind.DESK, delegation=ref.delegation)
    return RoomRef(RoomKind.MODERATION)


def redacted_event_id(event: Mapping[str, Any]) -> str | None:
    """The id of the event a redaction removes: `content.redacts` (room version 11 and later)
    or the top-level `redacts` (earlier versions); None if it names none."""
    content = event.get("content")
    for value in (
        content.get("redacts") if isinstance(content, Mapping) else None,
        event.get("redacts"),
    ):
        if isinstance(value, str) and value:
            return value
    return None


def judge_event(
    roster: Roster,
    platform: Platform,
    ref: RoomRef,
    event: Mapping[str, Any],
    desired_state: Mapping[tuple[str, str], Any],
    redacted: Mapping[str, Any] | None = None,
) -> Breach | None:
    """Does this event (already in the room) break a rule (R32)? None if it is in order.
    For a redaction, `redacted` is the event it removes as the homeserver serves it (None if it
    could not be read)."""
    etype = event.get("type")
    sender = UserId(str(event.get("sender", "")))
    event_id = str(event.get("event_id", ""))
    content = event.get("content") or {}
    key = event.get("state_key")
    room = governed_room(roster, platform, ref)
    governor = room.governor
    if etype == "m.room.redaction":
        return _judge_redaction(room, event_id, sender, redacted, desired_state)
    if not isinstance(key, str) or not isinstance(etype, str):
        return None
    if etype == "m.room.member":
        return _judge_membership(roster, platform, ref, room, event)
    if sender == governor:
        # The platform's own account, e.g. driven by a server administrator's tool: the state
        # must still be what the rules say.
        wanted = desired_state.get((etype, key))
        if wanted is None or wanted == content:
            return None
        decision = Decision(
            False,
            f"the room's {etype} was changed to something the rules do not give "
            "(through the platform's own account, e.g. a server administrator's tool)",
            "R22" if etype == "m.room.power_levels" else "R17",
            Why.GOVERNOR_STATE,
            facts(event_type=etype),
        )
        return Breach(event_id, sender, f"changed {etype}", etype, decision, act=Act.CHANGED)
    decision = may_send_state(roster, platform, sender, ref, etype, key)
    if decision.allowed:
        return None
    return Breach(event_id, sender, f"changed {etype}", etype, decision, act=Act.CHANGED)


def _judge_membership(
    roster: Roster,
    platform: Platform,
    ref: RoomRef,
    room: GovernedRoom,
    event: Mapping[str, Any],
) -> Breach | None:
    sender = UserId(str(event.get("sender", "")))
    target = UserId(str(event.get("state_key")))
    membership = (event.get("content") or {}).get("membership")
    if membership == "invite":
        # The governing account invites only whom the roster wants; anyone else not at all.
        joining = may_join(roster, platform, target, ref)
        decision = conduct.may_invite(room, sender, target, joining)
        action, act = f"invited {target}", Act.INVITED
    elif membership == "join":
        decision, action, act = may_join(roster, platform, target, ref), "joined", Act.JOINED
    elif membership == "leave" and sender != target:
        decision = conduct.may_remove(room, sender, target)
        action, act = f"removed {target}", Act.REMOVED
    elif membership == "leave":
        decision = conduct.may_remove(room, sender, target)
        action, act = "left (the platform's own account)", Act.LEFT
    elif membership == "ban":
        decision = conduct.may_ban(room, sender, target)
        action, act = f"banned {target}", Act.BANNED
    elif membership == "knock":
        decision, action, act = conduct.may_knock(room), "asked to join", Act.KNOCKED
    else:
        return None
    if decision.allowed:
        return None
    return Breach(str(event.get("event_id", "")), sender, action, target, decision, act=act)


def _judge_redaction(
    room: GovernedRoom,
    event_id: str,
    sender: UserId,
    redacted: Mapping[str, Any] | None,
    desired_state: Mapping[tuple[str, str], Any],
) -> Breach | None:
    target = _redacted(redacted)
    decision = conduct.may_redact(room, sender, target)
    if decision.allowed:
        return None
    if target is None:
        return Breach(
            event_id,
            sender,
            "removed an event the platform could not read",
            "",
            decision,
            False,
            Act.REDACTED_UNREADABLE,
        )
    if target.is_state:
        # The reconciler writes a setting the rules need again; others stay removed.
        restorable = (target.type, target.state_key) in desired_state
        action = f"removed the room's {target.type}"
        return Breach(
            event_id, sender, action, target.type, decision, restorable, Act.REDACTED_SETTING
        )
    if target.sender == sender:
        action, act = "removed a message", Act.REDACTED_OWN
    else:
        action, act = f"removed a message by {target.sender}", Act.REDACTED_OTHERS
    return Breach(event_id, sender, action, target.sender, decision, False, act)


def _redacted(event: Mapping[str, Any] | None) -> Redacted | None:
    """What the rules need of the event a redaction removes, as the homeserver served it; None
    if it could not be read or names no sender."""
    author = event.get("sender") if event is not None else None
    if event is None or not isinstance(author, str) or not author:
        return None
    state_key = event.get("state_key")
    return Redacted(
        str(event.get("type", "")), state_key if isinstance(state_key, str) else None, author
    )


def expert_removed_by_focal_point(
    roster: Roster, ref: RoomRef, event: Mapping[str, Any]
) -> UserId | None:
    """The expert whom the delegation's focal point removed from its experts room, if this event
    is that (SPEC §2: "The focal point moderates their experts room")."""
    if ref.kind is not RoomKind.EXPERTS or event.get("type") != "m.room.member":
        return None
    delegation = roster.delegation(ref.delegation or "")
    target = event.get("state_key")
    if (
        delegation is None
        or event.get("sender") != delegation.focal_point
        or (event.get("content") or {}).get("membership") not in ("leave", "ban")
        or target not in delegation.experts
    ):
        return None
    return UserId(str(target))

"""Breaches: whether an event already in a governed room broke a rule, judged by the roster.

The enforcer (bot/governance/enforcer.py) asks `judge_event` about every state, membership and
redaction event its syncs bring; the Synapse module asks `event_rules.judge` before an event
exists, from the room's own state. Both answer with the `may_*` decisions of `membership`.

R32  An event already in a room is a breach when its sender had no right to it (R9–R21), and
     also when the platform's own account was made to write what the rules do not give (a
     server administrator's tools act through it, §2 "Prevent": "which server admins cannot
     bypass"). A focal point who removes one of their experts from the experts room exercises
     their moderation (§2): the roster follows, as `!experts remove` would.

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
from typing import Any

from room_policies.membership import (
    Decision,
    governing_account,
    may_invite,
    may_join,
    may_kick,
    may_redact,
    may_send_state,
)
from room_policies.roles import Platform, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import Roster

__all__ = ["Breach", "expert_removed_by_focal_point", "judge_event", "redacted_event_id"]


@dataclass(frozen=True)
class Breach:
    """An event that broke a rule, and the decision that says which."""

    event_id: str
    sender: str
    action: str  # what was attempted, in a few words
    target: str
    decision: Decision
    undoable: bool = True


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
    governor = governing_account(platform, ref)
    if etype == "m.room.redaction":
        return _judge_redaction(roster, platform, ref, event_id, sender, redacted, desired_state)
    if not isinstance(key, str) or not isinstance(etype, str):
        return None
    if etype == "m.room.member":
        target = UserId(key)
        membership = content.get("membership")
        decision: Decision | None = None
        if membership == "invite":
            decision = may_invite(roster, platform, sender, target, ref)
            if sender == governor:  # the platform's invitation: only whom the roster wants
                decision = may_join(roster, platform, target, ref)
            action = f"invited {target}"
        elif membership == "join":
            decision = may_join(roster, platform, target, ref)
            action = "joined"
        elif membership == "leave" and sender != target:
            decision = may_kick(roster, platform, sender, target, ref)
            action = f"removed {target}"
        elif membership == "ban" and sender != governor:
            decision = Decision(
                False,
                "Only the platform bans anyone from its rooms; people are removed by the roster.",
                "R21",
            )
            action = f"banned {target}"
        elif membership == "leave" and sender == target == governor:
            decision = may_kick(roster, platform, sender, target, ref)
            action = "left (the platform's own account)"
        elif membership == "knock":
            decision = may_join(roster, platform, target, ref)
            action = "asked to join"
        else:
            return None
        if decision is None or decision.allowed:
            return None
        return Breach(event_id, sender, action, target, decision)
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
        )
        return Breach(event_id, sender, f"changed {etype}", etype, decision)
    decision = may_send_state(roster, platform, sender, ref, etype, key)
    if decision.allowed:
        return None
    return Breach(event_id, sender, f"changed {etype}", etype, decision)


def _judge_redaction(
    roster: Roster,
    platform: Platform,
    ref: RoomRef,
    event_id: str,
    sender: UserId,
    redacted: Mapping[str, Any] | None,
    desired_state: Mapping[tuple[str, str], Any],
) -> Breach | None:
    author = redacted.get("sender") if redacted is not None else None
    target_sender = UserId(author) if isinstance(author, str) and author else None
    state_key = redacted.get("state_key") if redacted is not None else None
    target_type = str(redacted.get("type", "")) if redacted is not None else ""
    is_state = isinstance(state_key, str)
    decision = may_redact(roster, platform, sender, ref, target_sender, target_is_state=is_state)
    if decision.allowed:
        return None
    if target_sender is None:
        return Breach(
            event_id, sender, "removed an event the platform could not read", "", decision, False
        )
    if is_state:
        # The reconciler writes a setting the rules need again; others stay removed.
        restorable = (target_type, state_key) in desired_state
        action = f"removed the room's {target_type}"
        return Breach(event_id, sender, action, target_type, decision, undoable=restorable)
    action = (
        "removed a message" if target_sender == sender else f"removed a message by {target_sender}"
    )
    return Breach(event_id, sender, action, target_sender, decision, undoable=False)


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

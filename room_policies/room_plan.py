"""The reconcile plan: what must change for a room to be as the roster wants it, with no I/O.

`plan(desired, actual)` compares a `DesiredRoom` (what the roster wants: the room's state events,
its members, why anyone else is not wanted) with an `ActualRoom` (what the homeserver holds: its
state events and memberships, as plain data; None for a room not made yet) and returns the
`Correction`s that close the gap, in the order they are to be made. The reconciler
(bot/governance/reconciler.py) reads the actual room, asks the plan and applies it; a dry run is
the plan itself. `creation_request` is the one `createRoom` call that makes a missing room whole,
and `marker_of` recognises a room the platform made by its marker (SPEC §2 "Reconcile":
"Idempotent, … never duplicates rooms").

R39  A governed room carries the state the platform keeps (`desired_state`, R26–R28) and
     nothing a client could add that it never carries: an avatar, pinned events, a canonical
     alias, a parent space, or a space child that is not one of the platform's rooms is cleared
     (§2 "Reconcile": desired state vs actual → "fix power levels and names"; R17).
R40  Whoever is in a room (joined, invited or knocking) and not among its members is removed,
     with the reason `may_join` gives; whoever is among them and neither joined nor invited is
     invited, except someone the room bans, who stays out until a person lifts the ban (§2
     "Reconcile": "→ invite, kick"). A room whose marker names another room is left alone: it is
     recorded wrongly, and changing it would govern it as what it is not (R7, R29).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from room_policies.access_table import governing_account
from room_policies.membership import may_join, members_of
from room_policies.roles import Decision, Platform, RoomId, RoomKind, UserId
from room_policies.room_state import ROOM_VERSION, StateKey, creation_content, desired_state
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef
from room_policies.roster import Roster

__all__ = [
    "UNWANTED_STATE_TYPES",
    "ActualRoom",
    "Correction",
    "DesiredRoom",
    "Fix",
    "creation_request",
    "desired_room",
    "kept_out",
    "marker_of",
    "plan",
]

# R39: state a client could add that the platform's rooms never carry; cleared when found.
UNWANTED_STATE_TYPES = frozenset(
    {"m.room.avatar", "m.room.pinned_events", "m.room.canonical_alias", "m.space.parent"}
)
# R40: the memberships that put someone in a room (a "leave" or a "ban" does not).
_PRESENT = frozenset({"join", "invite", "knock"})
# R40: the memberships that need no invitation.
_IN = frozenset({"join", "invite"})


class Fix(StrEnum):
    """What a correction does."""

    CREATE_ROOM = "create room"
    SET_STATE = "set state"
    CLEAR_STATE = "clear state"  # an unwanted state event, set to {} (R39)
    INVITE = "invite"
    REMOVE = "remove"
    WRONG_MARKER = "wrong marker"  # the room's marker names another room: left alone (R40)


@dataclass(frozen=True)
class Correction:
    """One correction a room needs: planned, made, or (`failed`) refused by the homeserver.

    `target` is a user id (invite, remove), a state event type (set, clear) or a room's key
    (create; for a wrong marker, the room the marker names). A state correction carries its
    state key and content; a removal its reason.
    """

    room: RoomRef
    fix: Fix
    target: str
    state_key: str = ""
    content: Mapping[str, Any] = field(default_factory=dict, hash=False)
    reason: str = ""
    failed: str = ""  # the homeserver's error code, when the correction could not be made
    # A removal's reason as a decision, for `commands/` to word in the room's languages.
    why: Decision | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DesiredRoom:
    """What the roster wants of one room: its state events in the order they are written, its
    members (the governing account first) and, for anyone else found in it, why they may not
    be there."""

    ref: RoomRef
    governor: UserId
    state: Mapping[StateKey, Mapping[str, Any]]
    members: Sequence[UserId]
    why_not_here: Callable[[UserId], Decision]


@dataclass(frozen=True)
class ActualRoom:
    """What a room holds: its state events (but memberships) and each user's membership."""

    state: Mapping[StateKey, Mapping[str, Any]]
    membership: Mapping[UserId, str]

    @classmethod
    def from_state_events(cls, events: Iterable[Mapping[str, Any]]) -> ActualRoom:
        """The room as its state events (`GET /rooms/{id}/state`) describe it."""
        state: dict[StateKey, Mapping[str, Any]] = {}
        membership: dict[UserId, str] = {}
        for event in events:
            etype, key = event.get("type"), event.get("state_key")
            if not isinstance(etype, str) or not isinstance(key, str):
                continue
            content = event.get("content") or {}
            if etype == "m.room.member":
                membership[UserId(key)] = str(content.get("membership", "leave"))
            else:
                state[(etype, key)] = content
        return cls(state, membership)


def desired_room(
    roster: Roster,
    platform: Platform,
    ref: RoomRef,
    *,
    server_name: str,
    children: Mapping[RoomRef, RoomId] | None = None,
) -> DesiredRoom:
    """What the roster wants of the room; `children` are the space's child rooms already made."""

    def why_not_here(user: UserId) -> Decision:
        return may_join(roster, platform, user, ref)

    return DesiredRoom(
        ref=ref,
        governor=governing_account(platform, ref),
        state=desired_state(roster, platform, ref, server_name=server_name, children=children),
        members=tuple(members_of(roster, platform, ref)),
        why_not_here=why_not_here,
    )


def plan(desired: DesiredRoom, actual: ActualRoom | None) -> list[Correction]:
    """The corrections that make `actual` (None: no room yet) as `desired`, in order: the state
    first (the marker and the members list lead, so that the Synapse module judges the rest by
    them), then removals, then invitations."""
    ref = desired.ref
    if actual is None:
        # One `createRoom` makes the room whole and invites every member (`creation_request`).
        return [
            Correction(ref, Fix.CREATE_ROOM, ref.key),
            *(Correction(ref, Fix.INVITE, user) for user in _invited_at_creation(desired)),
        ]
    marker = actual.state.get((MARKER_EVENT_TYPE, ""))
    # An empty marker was redacted (R34): the room is still this one, and its marker is written
    # again below like any other setting the rules need.
    if marker:
        named = RoomRef.from_marker(marker)
        if named != ref:
            return [Correction(ref, Fix.WRONG_MARKER, named.key if named else "")]
    corrections = [
        Correction(ref, Fix.SET_STATE, etype, key, content)
        for (etype, key), content in desired.state.items()
        if actual.state.get((etype, key)) != content
    ]
    corrections += [
        Correction(ref, Fix.CLEAR_STATE, etype, key, {})
        for (etype, key), content in actual.state.items()
        if content and _unwanted(etype, key, desired)
    ]
    wanted = set(desired.members)
    corrections += [
        Correction(ref, Fix.REMOVE, user, reason=why.reason, why=why)
        for user, membership in actual.membership.items()
        if membership in _PRESENT and user not in wanted
        for why in [desired.why_not_here(user)]
    ]
    corrections += [
        Correction(ref, Fix.INVITE, user)
        for user in desired.members
        if user != desired.governor and actual.membership.get(user) not in (*_IN, "ban")
    ]
    return corrections


def kept_out(desired: DesiredRoom, actual: ActualRoom) -> list[UserId]:
    """The members the room bans: the plan does not invite them (R40)."""
    return [user for user in desired.members if actual.membership.get(user) == "ban"]


def _unwanted(etype: str, key: str, desired: DesiredRoom) -> bool:
    """R39: a state event the room never carries."""
    if etype in UNWANTED_STATE_TYPES:
        return True
    return etype == "m.space.child" and (etype, key) not in desired.state


def _invited_at_creation(desired: DesiredRoom) -> list[UserId]:
    return [user for user in desired.members if user != desired.governor]


def creation_request(desired: DesiredRoom) -> dict[str, Any]:
    """The `createRoom` request that makes the room whole in one call (R27)."""
    ref = desired.ref
    state = dict(desired.state)
    power_levels = state.pop(("m.room.power_levels", ""))
    name = state.pop(("m.room.name", ""))["name"]
    body: dict[str, Any] = {
        "room_version": ROOM_VERSION,
        "preset": "private_chat",
        "visibility": "private",
        "creation_content": creation_content(ref),
        "power_level_content_override": power_levels,
        # The marker and the members come first (see `desired_state`).
        "initial_state": [
            {"type": etype, "state_key": key, "content": content}
            for (etype, key), content in state.items()
        ],
        "name": name,
        "invite": _invited_at_creation(desired),
    }
    if ref.kind is RoomKind.DESK:
        body["is_direct"] = True
    return body


def marker_of(events: Iterable[Mapping[str, Any]], own: str) -> RoomRef | None:
    """The governed room these state events say is `own`'s: a room `own` created and whose
    marker `own` wrote (R7, R29); None for any other room."""
    events = list(events)
    created_by_own = any(
        e.get("type") == "m.room.create" and e.get("sender") == own for e in events
    )
    if not created_by_own:
        return None
    for event in events:
        if (
            event.get("type") == MARKER_EVENT_TYPE
            and event.get("state_key") == ""
            and event.get("sender") == own
        ):
            return RoomRef.from_marker(event.get("content") or {})
    return None

"""Judging one event against the rules a governed room publishes: what the Synapse module asks.

The homeserver sees no roster. A governed room carries its own rules as state: the marker
(`org.plenaria.room`, R7) says what the room is, its sender is the room's governing account, and
the members list (`org.plenaria.members`, R26) says who belongs there and as what. `judge` reads
those two events from the state *before* an event and answers with a `Decision`, or None for a
room the platform does not govern. `EventView` is the little of an event it needs, so that this
module stays pure and `synapse_module` alone speaks Synapse.

Invitations, removals, bans, knocks, redactions and state changes are judged by the rules of
`conduct` (R16–R21, R27, R33, R34), the very functions the enforcer asks, for the room its
members list describes; joins follow R9 and R10 from that list, and the platform's own sessions
R36 (`sessions`). Four more rules close what power levels cannot:

R29  The module reads the rules from the room's own state (§2 "Prevent": a Synapse module
     "refuses, inside the homeserver, invites, joins and state changes that break the rules").
     A room is governed once it carries a marker, "written only by the platform" (§2), and the
     account that wrote it governs the room. If the marker or the members list cannot be read,
     the room is closed: only its governing account may change its settings, to repair them.
R30  Even the governing account is held to the rules the room publishes (§2: the module is
     "which server admins cannot bypass"; Synapse's admin APIs, such as `make_room_admin` or
     the admin join, act through the room's most powerful local account). Its power levels are
     the table's for the members it lists (R22–R25); it stays invite-only, closed to guests,
     encrypted with `m.megolm.v1.aes-sha2` and never world-readable (§2, R27); and its marker,
     once written, never changes (R7).
R31  A members list is well formed: it names the governing account with the governing role and
     nobody else in that role (R15), gives everyone a role that has a place in this kind of
     room (§2 table, R9), and names at most one focal point in an experts room or a desk
     ("exactly 1 per delegation", §1; R2, R13).
R35  Rooms are never upgraded: `m.room.tombstone` is refused, whoever sends it (§2: "Rooms are
     never upgraded (`m.room.tombstone` is refused): a new room would be ungoverned"). Synapse
     builds the tombstone before the new room, so a refused upgrade leaves nothing behind.

A redaction is judged with the event it removes (`Redacted`, read by the module from Synapse's
store): its sender, and whether it is state. If that event cannot be read, the redaction is
refused (R34).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from room_policies import conduct
from room_policies.access_table import ACCESS, governing_role
from room_policies.conduct import GovernedRoom, Redacted, capital
from room_policies.power_levels import power_levels_for
from room_policies.reasons import THIS_ROOM, Place
from room_policies.roles import PER_DELEGATION, Decision, Role, RoomKind, UserId
from room_policies.room_state import (
    ENCRYPTION_ALGORITHM,
    MEMBERS_EVENT_TYPE,
    roles_from_members_content,
)
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef
from room_policies.roster import country_name
from room_policies.sessions import may_act_without_a_device

__all__ = ["STATE_READ", "EventView", "Redacted", "judge"]

# The only state `judge` reads: the caller may pass just these.
STATE_READ: tuple[tuple[str, str], ...] = ((MARKER_EVENT_TYPE, ""), (MEMBERS_EVENT_TYPE, ""))


@dataclass(frozen=True)
class EventView:
    """What `judge` needs of an event: its type, state key (None for a message), sender and
    content; the device of the session that sent it (None for a session without one, such as
    a token minted by the admin API); for a redaction, the event it removes (None if unknown)."""

    type: str
    state_key: str | None
    sender: str
    content: Mapping[str, Any] = field(default_factory=dict)
    device_id: str | None = None
    redacted: Redacted | None = None

    @property
    def membership(self) -> str | None:
        """The `membership` of an `m.room.member` event, None for any other event."""
        value = self.content.get("membership")
        return value if self.type == "m.room.member" and isinstance(value, str) else None


@dataclass(frozen=True)
class _Room:
    """A governed room as its state describes it; `ref` and `roles` are None if unreadable."""

    governor: UserId
    ref: RoomRef | None
    roles: Mapping[UserId, Role] | None

    @property
    def label(self) -> str:
        if self.ref is None:
            return "this room"
        return _label(self.ref)

    def governed(self) -> GovernedRoom | None:
        """The room as `conduct` sees it, None while its rules cannot be read (R29)."""
        if self.ref is None or self.roles is None:
            return None
        return GovernedRoom(self.ref.kind, self.governor, self.label, self.roles, _place(self.ref))


def judge(
    event: EventView,
    state: Mapping[tuple[str, str], EventView],
    platform_accounts: Collection[str] = (),
) -> Decision | None:
    """May this event enter the room whose state before it is `state`? None if the room is not
    governed (it has no marker yet: the events that create a room come before its marker).
    `platform_accounts` are the bot and the warden, when the module's config names them."""
    marker = state.get((MARKER_EVENT_TYPE, ""))
    if marker is None:
        return None
    room = _read_room(marker, state.get((MEMBERS_EVENT_TYPE, "")))
    decision = _judge(event, room)
    if decision.allowed and event.device_id is None:
        # R36: whatever the other rules allow the platform, only its own session may do.
        acting = may_act_without_a_device(event.sender, {room.governor, *platform_accounts})
        if not acting.allowed:
            return acting
    return decision


def _judge(event: EventView, room: _Room) -> Decision:
    if event.type == "m.room.tombstone":
        # R35: a new room would be ungoverned.
        return Decision(
            False,
            f"{capital(room.label)} is never upgraded or replaced: a new room would not be "
            "governed by the working group's rules.",
            "R35",
        )
    governed = room.governed()
    if governed is None:
        return _judge_closed(event, room)
    if event.type == "m.room.member":
        return _judge_membership(event, governed)
    if event.state_key is not None:
        return _judge_state(event, room)
    if event.type == "m.room.redaction":
        return conduct.may_redact(governed, event.sender, event.redacted)
    # R24: who posts, and what, is the power levels' business.
    return Decision(True, f"Posting in {room.label} follows its power levels.", "R24")


def _read_room(marker: EventView, members: EventView | None) -> _Room:
    # R29: the account that wrote the marker governs the room.
    governor = UserId(marker.sender)
    ref = RoomRef.from_marker(marker.content)
    roles = roles_from_members_content(members.content) if members is not None else None
    if ref is not None and roles is not None and _members_problem(ref, governor, roles):
        # A list that breaks R31 (written before the module could see it) is no list at all.
        roles = None
    return _Room(governor, ref, roles)


# -- a room whose rules cannot be read (R29) ---------------------------------------------------


def _judge_closed(event: EventView, room: _Room) -> Decision:
    """R29: fail closed; the governing account may repair the room's settings, nothing else."""
    what = "its marker (org.plenaria.room)" if room.ref is None else "its members list"
    if event.sender != room.governor or event.state_key is None or event.type == "m.room.member":
        return Decision(
            False,
            f"The rules of {room.label} cannot be read ({what} is missing or malformed), so "
            "nothing may happen in it until the platform repairs them.",
            "R29",
        )
    if event.type == "m.room.power_levels":
        return Decision(
            False,
            f"The power levels of {room.label} follow its members list, which cannot be read "
            f"({what} is missing or malformed): the platform repairs that first.",
            "R29",
        )
    if event.type == MEMBERS_EVENT_TYPE and room.ref is None:
        return Decision(
            False,
            "The members list of this room says who belongs in a room of a given kind, and the "
            "room's marker (org.plenaria.room) cannot be read: the platform repairs that first.",
            "R29",
        )
    return _judge_state(event, room)


# -- membership (R9, R10; R16, R21 and R27 in `conduct`) ---------------------------------------


def _judge_membership(event: EventView, room: GovernedRoom) -> Decision:
    sender, target, membership = event.sender, event.state_key or "", event.membership
    if membership == "invite":
        return conduct.may_invite(room, sender, target, _listed(room, target))
    if membership == "join":
        # Nobody joins for someone else (Matrix's own auth rules say so too).
        return _listed(room, target, also=sender == target)
    if membership == "leave":
        return conduct.may_remove(room, sender, target)
    if membership == "ban":
        return conduct.may_ban(room, sender, target)
    if membership == "knock":
        return conduct.may_knock(room)
    return Decision(False, f"This change of membership is not one {room.label} allows.", "R9")


def _listed(room: GovernedRoom, user: str, *, also: bool = True) -> Decision:
    """R9, R10: whoever the room's members list names, and nobody else, has a place in it
    (`also`: a further condition of the act)."""
    if also and (user == room.governor or room.access(user).is_member):
        return Decision(True, f"{user} is listed in {room.label}.", "R9")
    return Decision(
        False,
        f"{user} is not on the members list of {room.label}, so they may not be in it: only "
        "the people the working group's roster places in a room are in it.",
        "R10",
    )


# -- other state (R17, R30, R31) ---------------------------------------------------------------


def _judge_state(event: EventView, room: _Room) -> Decision:
    # R17 (`conduct`): state changes are the platform's alone; R30 and R31 hold the platform
    # itself to the rules the room publishes.
    changing = conduct.may_change_state(
        event.sender,
        event.type,
        governor=room.governor,
        where=room.label,
        place=THIS_ROOM if room.ref is None else _place(room.ref),
    )
    if not changing.allowed:
        return changing
    refusal = _held_to_the_rules(event, room)
    if refusal is not None:
        return Decision(False, refusal, "R31" if event.type == MEMBERS_EVENT_TYPE else "R30")
    return changing


def _held_to_the_rules(event: EventView, room: _Room) -> str | None:
    """Why the governing account may not set this state (R30, R31), or None if it may."""
    content, where = event.content, room.label
    if event.state_key != "":
        return None  # every setting below lives at state key ""
    if event.type == "m.room.power_levels":
        assert room.ref is not None and room.roles is not None
        wanted = power_levels_for(room.ref.kind, room.roles)
        differing = sorted(
            key
            for key in set(content) | set(wanted)
            if _plain(content.get(key)) != _plain(wanted.get(key))
        )
        if differing:
            return (
                f"The power levels of {where} are the working group's rules for the people its "
                "members list names; this change departs from them "
                f"({', '.join(differing)}), so nobody, not even a server administrator, gets "
                "powers the rules do not give."
            )
    elif event.type == "m.room.join_rules" and content.get("join_rule") != "invite":
        return f"{capital(where)} stays invite-only, as every room of the working group."
    elif event.type == "m.room.guest_access" and content.get("guest_access") != "forbidden":
        return f"{capital(where)} stays closed to guests, as every room of the working group."
    elif event.type == "m.room.encryption" and content.get("algorithm") != ENCRYPTION_ALGORITHM:
        return (
            f"{capital(where)} stays end-to-end encrypted with {ENCRYPTION_ALGORITHM}, as "
            "every room of the working group."
        )
    elif (
        event.type == "m.room.history_visibility"
        and content.get("history_visibility") == "world_readable"
    ):
        return f"The history of {where} is for its members only; it is never public."
    elif event.type == MARKER_EVENT_TYPE:
        new = RoomRef.from_marker(content)
        if new is None:
            return "A room's marker (org.plenaria.room) must name a kind of room, as SPEC §7 says."
        if room.ref is not None and new != room.ref:
            return (
                f"{capital(where)} stays what it was made for: its marker "
                "(org.plenaria.room) never changes."
            )
    elif event.type == MEMBERS_EVENT_TYPE:
        assert room.ref is not None
        roles = roles_from_members_content(content)
        if roles is None:
            return (
                "A members list (org.plenaria.members) maps each user id to a role "
                '("chair", "focal_point", …); this one does not.'
            )
        return _members_problem(room.ref, room.governor, roles)
    return None


def _members_problem(ref: RoomRef, governor: UserId, roles: Mapping[UserId, Role]) -> str | None:
    """Why a members list breaks R31, or None if it is well formed."""
    where = _label(ref)
    governing = governing_role(ref.kind)
    if roles.get(governor) is not governing:
        return (
            f"The members list of {where} must name the account that governs it, {governor}, "
            f"as its {governing.value}."
        )
    for user, role in roles.items():
        if role is governing and user != governor:
            return (
                f"Only {governor} governs {where}; the members list may not name {user} as "
                f"its {governing.value} too."
            )
        if not ACCESS[ref.kind][role].is_member:
            return (
                f"The members list of {where} names {user} as {_role_words(role)}, who has no "
                "place in such a room."
            )
    if ref.kind in PER_DELEGATION:
        focal_points = sorted(u for u, r in roles.items() if r is Role.FOCAL_POINT)
        if len(focal_points) > 1:
            return (
                f"A delegation has exactly one focal point; the members list of {where} names "
                f"{len(focal_points)} ({', '.join(focal_points)})."
            )
    return None


# -- wording -----------------------------------------------------------------------------------


def _label(ref: RoomRef) -> str:
    if ref.kind is RoomKind.FOLDER:
        assert ref.folder is not None
        return f"the {ref.folder.value} folder room"
    if ref.delegation is not None:
        country = country_name(ref.delegation) or ref.delegation
        what = "experts room" if ref.kind is RoomKind.EXPERTS else "desk"
        return f"the {what} of {country}"
    return {
        RoomKind.SPACE: "the working group's space",
        RoomKind.PLENARY: "the plenary",
        RoomKind.MODERATION: "the moderation room",
        RoomKind.SUPPORT: "the Support room",
    }[ref.kind]


def _place(ref: RoomRef) -> Place:
    if ref.kind is RoomKind.FOLDER:
        assert ref.folder is not None
        return Place("folder_key", ref.folder.value)
    if ref.delegation is not None:
        return Place(ref.kind.value, country_name(ref.delegation) or ref.delegation)
    return Place(ref.kind.value)


def _role_words(role: Role) -> str:
    return {
        Role.CHAIR: "a Chair",
        Role.SECRETARIAT: "a member of the Technical Secretariat",
        Role.FOCAL_POINT: "a focal point",
        Role.EXPERT: "an expert",
        Role.BOT: "the platform's bot",
        Role.WARDEN: "the platform's warden account",
        Role.OUTSIDER: "someone outside the roster",
    }[role]


def _plain(value: object) -> object:
    """A JSON value as plain dicts and lists, whatever mapping and sequence types carry it."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value

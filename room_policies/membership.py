"""Who may be in which room, by the roster: SPEC §2's table applied to the working group's people.

The table itself is `access_table.ACCESS` (R9); two rules close cells it cannot express alone:
footnote ¹ (R12) and "rooms of delegation X are X's alone" (R13). `members_of` is the members
list a room should carry (R26), `may_join` says why someone does or does not belong, and the
other questions (`may_invite`, `may_send_state`, `may_redact`, `may_kick`) are the rules of
`conduct`, asked for a room as the roster makes it.

Every question returns a `Decision` (allowed, reason, rule): the reason is a sentence a delegate
understands, the rule the R-number. Nothing here acts; the reconciler and the enforcer ask, and
act on the answer; the Synapse module asks `conduct` the same questions from the room's state.

The rules, numbered as Synapse's event_auth.py numbers the spec's auth rules, each traced to the
source (SPEC.md; R1–R6 are in roster.py, R7–R8 in rooms.py, R9 and R15 in access_table.py,
R16–R21 and R33–R34 in conduct.py, R22–R25 in power_levels.py, R26–R28 in room_state.py,
R29–R31 and R35 in event_rules.py, R32 and R38 in breaches.py, R36–R37 in sessions.py,
R39–R40 in room_plan.py, R41 in room_state.py, R42 in access_table.py):

R10  Nobody outside the roster and the platform's two accounts has a place in any room (§2: all
     rooms are invite-only; the roster is the desired state, "Reconcile").
R11  "Only the focal point of a delegation takes part at the delegation level (plenary) for it."
     No expert is in the space or the plenary.
R12  Footnote ¹: experts read the folder rooms only if `experts_read_folders: true`, and never
     post there.
R13  "Experts talk only with their own focal point; no other delegation sees or joins their
     room." An experts room and a desk belong to one delegation; other delegations have none.
R14  "The Secretariat sees the plenary, never an experts room. The Chair never sees an experts
     room."
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from room_policies import conduct
from room_policies.access_table import ACCESS, NO_ACCESS, Access, Standing, governing_account
from room_policies.conduct import GovernedRoom, Redacted
from room_policies.reasons import Facts, Place, Why, facts
from room_policies.roles import (
    DELEGATES,
    PER_DELEGATION,
    Decision,
    Platform,
    Role,
    RoomKind,
    UserId,
)
from room_policies.rooms import RoomRef
from room_policies.roster import Roster, country_name

__all__ = [
    "access",
    "governed_room",
    "may_invite",
    "may_join",
    "may_kick",
    "may_redact",
    "may_send_state",
    "members_of",
    "role_in",
]


# -- who someone is, here ----------------------------------------------------------------------


def role_in(roster: Roster, platform: Platform, user: UserId) -> Role:
    """The user's role: a platform account's, a roster member's, or `OUTSIDER`."""
    return platform.role_of(user) or roster.role_of(user) or Role.OUTSIDER


def _closing_rule(roster: Roster, role: Role, user: UserId, room: RoomRef) -> str | None:
    """The rule that closes the table's cell for this user in this room, if one does."""
    # R13: an experts room and a desk are their own delegation's alone.
    if (
        room.kind in PER_DELEGATION
        and role in DELEGATES
        and roster.delegation_of(user) != room.delegation
    ):
        return "R13"
    # R12: footnote ¹.
    if room.kind is RoomKind.FOLDER and role is Role.EXPERT and not roster.experts_read_folders:
        return "R12"
    return None


def access(roster: Roster, platform: Platform, user: UserId, room: RoomRef) -> Access:
    """The user's access to the room as the rules want it (R9–R15)."""
    role = role_in(roster, platform, user)
    if _closing_rule(roster, role, user, room) is not None:
        return NO_ACCESS
    return ACCESS[room.kind][role]


def members_of(roster: Roster, platform: Platform, room: RoomRef) -> dict[UserId, Access]:
    """The room's desired members and their access: the governing account first, then the
    roster's people in roster order."""
    candidates: list[UserId] = [governing_account(platform, room)]
    if room.kind in PER_DELEGATION:
        delegation = roster.delegation(room.delegation or "")
        if delegation is not None:
            candidates += [delegation.focal_point, *delegation.experts]
    else:
        candidates += roster.participants()
    members: dict[UserId, Access] = {}
    for user in candidates:
        cell = access(roster, platform, user, room)
        if cell.is_member:
            members.setdefault(user, cell)
    return members


# -- wording -----------------------------------------------------------------------------------


def _country(roster: Roster, code: str | None) -> str:
    delegation = roster.delegation(code or "")
    if delegation is not None:
        return delegation.name
    return country_name(code or "") or str(code)


def _place(roster: Roster, room: RoomRef) -> Place:
    if room.kind is RoomKind.FOLDER:
        assert room.folder is not None
        return Place("folder", str(getattr(roster.folders, room.folder.value)))
    if room.kind in PER_DELEGATION:
        return Place(room.kind.value, _country(roster, room.delegation))
    return Place(room.kind.value)


def _room_label(roster: Roster, room: RoomRef) -> str:
    if room.kind is RoomKind.FOLDER:
        assert room.folder is not None
        folder = getattr(roster.folders, room.folder.value)
        return f"the folder room “{folder}”"
    if room.kind is RoomKind.EXPERTS:
        return f"the experts room of {_country(roster, room.delegation)}"
    if room.kind is RoomKind.DESK:
        return f"the desk of {_country(roster, room.delegation)}"
    return {
        RoomKind.SPACE: "the working group's space",
        RoomKind.PLENARY: "the plenary",
        RoomKind.MODERATION: "the moderation room",
        RoomKind.SUPPORT: "the Support room",
    }[room.kind]


def _who(roster: Roster, platform: Platform, user: UserId) -> str:
    role = role_in(roster, platform, user)
    country = _country(roster, roster.delegation_of(user))
    what = {
        Role.CHAIR: "a Chair",
        Role.SECRETARIAT: "of the Technical Secretariat",
        Role.FOCAL_POINT: f"the focal point of {country}",
        Role.EXPERT: f"an expert of {country}",
        Role.BOT: "the platform's bot",
        Role.WARDEN: "the platform's warden account",
        Role.OUTSIDER: "not on the working group's roster",
    }[role]
    return f"{user} ({what})"


def _who_facts(roster: Roster, platform: Platform, user: UserId) -> Facts:
    role = role_in(roster, platform, user)
    return facts(
        user=user, who_role=role.value, who_country=_country(roster, roster.delegation_of(user))
    )


# Why a cell of the table is "–": (rule, sentence, code). Cells closed by R12/R13 are worded below.
_WHY_NOT: Mapping[tuple[RoomKind, Role], tuple[str, str, Why]] = MappingProxyType(
    {
        **{
            (kind, Role.OUTSIDER): (
                "R10",
                "only the people on the working group's roster and the platform are in its rooms",
                Why.NOT_ON_ROSTER,
            )
            for kind in RoomKind
        },
        **{
            (kind, Role.EXPERT): (
                "R11",
                "only a delegation's focal point takes part at the delegation level for it; "
                "experts talk with their own focal point in their experts room",
                Why.EXPERT_AT_DELEGATION_LEVEL,
            )
            for kind in (RoomKind.SPACE, RoomKind.PLENARY)
        },
        **{
            (RoomKind.MODERATION, role): (
                "R9",
                "the moderation room is the Chair's office: only the Chair, the Secretariat and "
                "the platform are in it",
                Why.MODERATION_ROOM,
            )
            for role in (Role.FOCAL_POINT, Role.EXPERT)
        },
        **{
            (RoomKind.SUPPORT, role): (
                "R42",
                "the Support room is the Technical Secretariat's: requests reach it through the "
                "bot, from a direct room with the bot (!support), and answers go back the same way",
                Why.SUPPORT_ROOM,
            )
            for role in (Role.CHAIR, Role.FOCAL_POINT, Role.EXPERT)
        },
        **{
            (RoomKind.DESK, role): (
                "R9",
                "a desk is between a delegation's focal point and the platform only",
                Why.DESK,
            )
            for role in (Role.CHAIR, Role.SECRETARIAT, Role.EXPERT)
        },
        **{
            (RoomKind.EXPERTS, role): (
                "R14",
                "the Chair and the Secretariat never see an experts room: experts talk only "
                "with their own focal point",
                Why.EXPERTS_ROOM,
            )
            for role in (Role.CHAIR, Role.SECRETARIAT)
        },
        (RoomKind.EXPERTS, Role.BOT): (
            "R15",
            "the bot never holds the keys of an experts room; the warden governs it",
            Why.BOT_IN_EXPERTS_ROOM,
        ),
        **{
            (kind, Role.WARDEN): (
                "R15",
                "the warden account is used only in experts rooms, where the bot must not read",
                Why.WARDEN,
            )
            for kind in RoomKind
            if kind is not RoomKind.EXPERTS
        },
    }
)
assert all(
    ((kind, role) in _WHY_NOT) == (not cell.is_member)
    for kind, row in ACCESS.items()
    for role, cell in row.items()
)

_STANDING_WORDS = {
    Standing.MEMBER: "a member",
    Standing.MODERATOR: "a moderator",
    Standing.ADMIN: "its governing account",
}


# -- questions ---------------------------------------------------------------------------------


def may_join(roster: Roster, platform: Platform, user: UserId, room: RoomRef) -> Decision:
    """May the user be in the room? Agrees with `members_of` (R9–R15)."""
    role = role_in(roster, platform, user)
    who, where = _who(roster, platform, user), _room_label(roster, room)
    closing = _closing_rule(roster, role, user, room)
    about = _who_facts(roster, platform, user) + _place(roster, room).facts()
    if closing == "R13":
        return Decision(
            False,
            f"{who} may not be in {where}: experts talk only with their own focal point, and no "
            "other delegation sees or joins a delegation's rooms.",
            "R13",
            Why.OTHER_DELEGATION,
            about,
        )
    if closing == "R12":
        return Decision(
            False,
            f"{who} may not be in {where}: experts read the folder rooms only when the roster "
            "allows it (experts_read_folders).",
            "R12",
            Why.FOLDERS_CLOSED,
            about,
        )
    cell = ACCESS[room.kind][role]
    if not cell.is_member:
        rule, why, code = _WHY_NOT[(room.kind, role)]
        return Decision(False, f"{who} may not be in {where}: {why}.", rule, code, about)
    posting = "" if cell.posts else ", reading only"
    return Decision(
        True, f"{who} belongs in {where} as {_STANDING_WORDS[cell.standing]}{posting}.", "R9"
    )


def may_invite(
    roster: Roster, platform: Platform, inviter: UserId, invitee: UserId, room: RoomRef
) -> Decision:
    """May `inviter` invite `invitee` into the room? Only its governing account may (R16),
    and only someone who may be there (`may_join`)."""
    joining = may_join(roster, platform, invitee, room)
    return conduct.may_invite(governed_room(roster, platform, room), inviter, invitee, joining)


def may_send_state(
    roster: Roster,
    platform: Platform,
    sender: UserId,
    room: RoomRef,
    event_type: str,
    state_key: str,
) -> Decision:
    """May `sender` set this state event? Only the room's governing account may (R17).

    Every state type and key is the platform's; `m.room.member` is not asked here but through
    `may_join`, `may_invite` and `may_kick` (a ValueError says so).
    """
    if event_type == "m.room.member":
        raise ValueError("membership is decided by may_join, may_invite and may_kick")
    return conduct.may_change_state(
        sender,
        event_type,
        governor=governing_account(platform, room),
        where=_room_label(roster, room),
        place=_place(roster, room),
    )


def may_redact(
    roster: Roster,
    platform: Platform,
    sender: UserId,
    room: RoomRef,
    target_sender: UserId | None,
    *,
    target_is_state: bool = False,
) -> Decision:
    """May `sender` redact an event that `target_sender` sent in the room? `target_is_state` if
    that event is a state event; `target_sender` None if it cannot be read. (R18–R20, R33, R34)"""
    target = None
    if target_sender is not None:
        target = Redacted("", "" if target_is_state else None, target_sender)
    return conduct.may_redact(governed_room(roster, platform, room), sender, target)


def may_kick(
    roster: Roster, platform: Platform, kicker: UserId, target: UserId, room: RoomRef
) -> Decision:
    """May `kicker` remove `target` from the room (or leave it, when they are the same)? (R21)"""
    return conduct.may_remove(governed_room(roster, platform, room), kicker, target)


def governed_room(roster: Roster, platform: Platform, room: RoomRef) -> GovernedRoom:
    """The room as the rules of `conduct` see it, its members listed by the roster (R26)."""
    return GovernedRoom(
        kind=room.kind,
        governor=governing_account(platform, room),
        label=_room_label(roster, room),
        roles=_RosterMembers(roster, platform, room),
        place=_place(roster, room),
    )


class _RosterMembers(Mapping[UserId, Role]):
    """The members list the roster makes for a room (`members_of`, with roles), read one person
    at a time: the rules ask about two people, not about a space of hundreds."""

    def __init__(self, roster: Roster, platform: Platform, room: RoomRef) -> None:
        self._roster, self._platform, self._room = roster, platform, room

    def __getitem__(self, user: UserId) -> Role:
        if not access(self._roster, self._platform, user, self._room).is_member:
            raise KeyError(user)
        return role_in(self._roster, self._platform, user)

    def __iter__(self) -> Iterator[UserId]:
        return iter(members_of(self._roster, self._platform, self._room))

    def __len__(self) -> int:
        return len(members_of(self._roster, self._platform, self._room))

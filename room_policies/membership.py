"""Who may be in which room, and who may do what there: SPEC §2 as one table and a few rules.

`ACCESS` maps (room kind, role) to an `Access`: none, member, moderator or admin, and whether
the member may post. It is SPEC §2's table, cell for cell. Two rules close cells the table
cannot express alone: footnote ¹ (R12) and "rooms of delegation X are X's alone" (R13).

Every question returns a `Decision` (allowed, reason, rule): the reason is a sentence a delegate
understands, the rule the R-number below. Nothing here acts; the reconciler, the enforcer and the
Synapse module ask, and act on the answer.

The rules, numbered as Synapse's event_auth.py numbers the spec's auth rules, each traced to the
source (SPEC.md; R1–R6 are in roster.py, R7–R8 in rooms.py, R22–R25 in power_levels.py, R26–R28
in room_state.py, R29–R31 and R35 in event_rules.py, R32 in breaches.py, R36–R37 in sessions.py):

R9   Who may be in a room, and as what, is SPEC §2's table (`ACCESS`).
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
R15  "The bot … never holds the keys of an experts room: that room is governed by the warden";
     the warden is used "only where the bot must not read" (§1), so it is in no other room.
     The room's governing account is the one with ✓ admin in its row.
R16  The platform invites; nobody else does (§2 "Reconcile: … → invite"): who is in a room
     follows the roster, so moderators do not invite either.
R17  "State changes (power levels, join rules, history visibility, encryption,
     `org.plenaria.room`) are the platform's alone" — and so are all other room state events
     (name, topic, avatar, …); membership is decided by R9–R16 and R21.
R18  "Nobody but the platform may redact in the plenary."
R19  "The platform never redacts a delegation's message." In the plenary the platform redacts
     only its own messages: the roster cannot tell who wrote there as a delegation in the past.
R20  Elsewhere a member who may post may redact their own messages; nobody redacts anyone
     else's (R33).
R21  Only the platform removes people from a room, following the roster, except that a focal
     point moderating their experts room may remove a member there (§2); in the plenary
     coordination gives no right to remove a delegation. Anyone may leave, except the
     governing account (a room without it could not be repaired).
R33  Nobody redacts another person's message, not even a moderator or the platform's own
     accounts (§2: "Coordination gives no right to alter what delegations wrote: in governed
     rooms nobody redacts another person's message (the platform's own accounts included)").
     A person may redact their own message where they may post (R20).
R34  Nobody redacts state (§2: "and nobody redacts state"): a redacted `m.room.encryption`
     reads as no encryption, a redacted marker or members list closes the room (R29). A
     redaction whose target cannot be read is treated as one of state (fail closed, R29).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from room_policies.roles import Platform, Role, RoomKind, UserId, role_table
from room_policies.rooms import RoomRef
from room_policies.roster import Roster, country_name

__all__ = [
    "ACCESS",
    "GOVERNED_STATE_TYPES",
    "GOVERNS",
    "MODERATES",
    "NO_ACCESS",
    "POSTS",
    "READS",
    "SPEAKS",
    "Access",
    "Decision",
    "Standing",
    "access",
    "governing_account",
    "governing_role",
    "may_invite",
    "may_join",
    "may_kick",
    "may_redact",
    "may_send_state",
    "members_of",
    "role_in",
]


class Standing(StrEnum):
    """A person's standing in a room (SPEC §2's "–", "✓", "moderator", "admin")."""

    NONE = "none"
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


@dataclass(frozen=True)
class Access:
    """A cell of SPEC §2's table: the standing, and whether the member may post."""

    standing: Standing
    posts: bool

    @property
    def is_member(self) -> bool:
        return self.standing is not Standing.NONE


@dataclass(frozen=True)
class Decision:
    """The answer to a "may …?" question: allowed or not, why (for a delegate), and the rule."""

    allowed: bool
    reason: str
    rule: str


NO_ACCESS = Access(Standing.NONE, posts=False)
READS = Access(Standing.MEMBER, posts=False)
SPEAKS = Access(Standing.MEMBER, posts=True)
POSTS = SPEAKS  # in a folder room, speaking is posting documents
MODERATES = Access(Standing.MODERATOR, posts=True)
GOVERNS = Access(Standing.ADMIN, posts=True)

_ = NO_ACCESS  # "–" in SPEC's table
# R9: SPEC §2's table. In an experts room or a desk, "focal point" and "expert" mean those of the
# room's own delegation; those of other delegations have no access there (R13).
# fmt: off
_ROWS: dict[RoomKind, tuple[Access, ...]] = {
    #                     chair      secretariat focal point expert   bot      warden   outsider
    RoomKind.SPACE:      (SPEAKS,    SPEAKS,     SPEAKS,     _,       GOVERNS, _,       _),
    RoomKind.PLENARY:    (MODERATES, MODERATES,  SPEAKS,     _,       GOVERNS, _,       _),
    RoomKind.MODERATION: (SPEAKS,    SPEAKS,     _,          _,       GOVERNS, _,       _),
    RoomKind.FOLDER:     (POSTS,     POSTS,      READS,      READS,   GOVERNS, _,       _),  # ¹
    RoomKind.EXPERTS:    (_,         _,          MODERATES,  SPEAKS,  _,       GOVERNS, _),
    RoomKind.DESK:       (_,         _,          SPEAKS,     _,       GOVERNS, _,       _),
}
# fmt: on
# ¹ only if the roster says `experts_read_folders: true` (R12).

ACCESS: Mapping[RoomKind, Mapping[Role, Access]] = role_table(_ROWS)

# R15: each room has exactly one governing account, the one with admin standing in its row.
_GOVERNOR: Mapping[RoomKind, Role] = MappingProxyType(
    {
        kind: next(role for role, cell in row.items() if cell is GOVERNS)
        for kind, row in ACCESS.items()
    }
)
assert all(sum(cell is GOVERNS for cell in row.values()) == 1 for row in ACCESS.values())

_PER_DELEGATION = frozenset({RoomKind.EXPERTS, RoomKind.DESK})
_DELEGATES = frozenset({Role.FOCAL_POINT, Role.EXPERT})

# R17: the state events a room carries or a client might send. All are the governing account's
# alone (so is any other state type: `state_default` covers it); listing them makes power levels
# say so explicitly, whatever the default.
GOVERNED_STATE_TYPES: frozenset[str] = frozenset(
    {
        "m.room.power_levels",
        "m.room.join_rules",
        "m.room.history_visibility",
        "m.room.encryption",
        "m.room.guest_access",
        "org.plenaria.room",
        "org.plenaria.members",
        "m.room.name",
        "m.room.topic",
        "m.room.avatar",
        "m.room.canonical_alias",
        "m.room.pinned_events",
        "m.room.server_acl",
        "m.room.tombstone",
        "m.room.third_party_invite",
        "m.space.child",
        "m.space.parent",
    }
)


# -- who someone is, here ----------------------------------------------------------------------


def role_in(roster: Roster, platform: Platform, user: UserId) -> Role:
    """The user's role: a platform account's, a roster member's, or `OUTSIDER`."""
    return platform.role_of(user) or roster.role_of(user) or Role.OUTSIDER


def governing_role(room: RoomRef | RoomKind) -> Role:
    """`BOT`, or `WARDEN` for an experts room (R15)."""
    return _GOVERNOR[room.kind if isinstance(room, RoomRef) else room]


def governing_account(platform: Platform, room: RoomRef) -> UserId:
    """The platform account that governs the room: the warden in experts rooms, else the bot."""
    return platform.warden_id if _GOVERNOR[room.kind] is Role.WARDEN else platform.bot_id


def _closing_rule(roster: Roster, role: Role, user: UserId, room: RoomRef) -> str | None:
    """The rule that closes the table's cell for this user in this room, if one does."""
    # R13: an experts room and a desk are their own delegation's alone.
    if (
        room.kind in _PER_DELEGATION
        and role in _DELEGATES
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
    if room.kind in _PER_DELEGATION:
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


# Why a cell of the table is "–": (rule, sentence). Cells closed by R12/R13 are worded below.
_WHY_NOT: Mapping[tuple[RoomKind, Role], tuple[str, str]] = MappingProxyType(
    {
        **{
            (kind, Role.OUTSIDER): (
                "R10",
                "only the people on the working group's roster and the platform are in its rooms",
            )
            for kind in RoomKind
        },
        **{
            (kind, Role.EXPERT): (
                "R11",
                "only a delegation's focal point takes part at the delegation level for it; "
                "experts talk with their own focal point in their experts room",
            )
            for kind in (RoomKind.SPACE, RoomKind.PLENARY)
        },
        **{
            (RoomKind.MODERATION, role): (
                "R9",
                "the moderation room is the Chair's office: only the Chair, the Secretariat and "
                "the platform are in it",
            )
            for role in (Role.FOCAL_POINT, Role.EXPERT)
        },
        **{
            (RoomKind.DESK, role): (
                "R9",
                "a desk is between a delegation's focal point and the platform only",
            )
            for role in (Role.CHAIR, Role.SECRETARIAT, Role.EXPERT)
        },
        **{
            (RoomKind.EXPERTS, role): (
                "R14",
                "the Chair and the Secretariat never see an experts room: experts talk only "
                "with their own focal point",
            )
            for role in (Role.CHAIR, Role.SECRETARIAT)
        },
        (RoomKind.EXPERTS, Role.BOT): (
            "R15",
            "the bot never holds the keys of an experts room; the warden governs it",
        ),
        **{
            (kind, Role.WARDEN): (
                "R15",
                "the warden account is used only in experts rooms, where the bot must not read",
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
    if closing == "R13":
        return Decision(
            False,
            f"{who} may not be in {where}: experts talk only with their own focal point, and no "
            "other delegation sees or joins a delegation's rooms.",
            "R13",
        )
    if closing == "R12":
        return Decision(
            False,
            f"{who} may not be in {where}: experts read the folder rooms only when the roster "
            "allows it (experts_read_folders).",
            "R12",
        )
    cell = ACCESS[room.kind][role]
    if not cell.is_member:
        rule, why = _WHY_NOT[(room.kind, role)]
        return Decision(False, f"{who} may not be in {where}: {why}.", rule)
    posting = "" if cell.posts else ", reading only"
    return Decision(
        True, f"{who} belongs in {where} as {_STANDING_WORDS[cell.standing]}{posting}.", "R9"
    )


def may_invite(
    roster: Roster, platform: Platform, inviter: UserId, invitee: UserId, room: RoomRef
) -> Decision:
    """May `inviter` invite `invitee` into the room? Only its governing account may (R16),
    and only someone who may be there."""
    if inviter != governing_account(platform, room):
        return Decision(
            False,
            f"Only the platform invites people into {_room_label(roster, room)}, following the "
            "working group's roster; ask the Secretariat to change the roster instead.",
            "R16",
        )
    joining = may_join(roster, platform, invitee, room)
    if not joining.allowed:
        return joining
    return Decision(True, f"The platform invites {invitee}, as the roster wants.", "R16")


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
    if sender == governing_account(platform, room):
        return Decision(
            True, f"The platform keeps the settings of its rooms ({event_type}).", "R17"
        )
    return Decision(
        False,
        f"Only the platform changes the settings of {_room_label(roster, room)} ({event_type}); "
        "a room's settings are the platform's alone.",
        "R17",
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
    governor = governing_account(platform, room)
    where = _room_label(roster, room)
    if room.kind is RoomKind.PLENARY and sender != governor:
        return Decision(
            False,
            "Nobody but the platform may remove a message in the plenary: coordination "
            "gives no right to alter what delegations wrote.",
            "R18",
        )
    if target_sender is None:
        # R34: what cannot be read may be state; fail closed (R29).
        return Decision(
            False,
            f"The event to remove cannot be read in {where}, so it may not be removed.",
            "R34",
        )
    if target_is_state:
        return Decision(
            False,
            f"Nobody removes a setting of {where}: the room's settings stay as the rules say.",
            "R34",
        )
    if sender != target_sender:
        if sender == governor and (
            room.kind is RoomKind.PLENARY or role_in(roster, platform, target_sender) in _DELEGATES
        ):
            return Decision(
                False,
                "The platform removes only its own messages; it never alters what a delegation "
                f"wrote ({target_sender}).",
                "R19",
            )
        return Decision(
            False,
            f"Nobody removes another person's message in {where}, not even a moderator or the "
            "platform: coordination gives no right to alter what others wrote.",
            "R33",
        )
    if sender == governor:
        return Decision(True, "The platform may remove its own message.", "R20")
    mine = access(roster, platform, sender, room)
    if not mine.is_member:
        return Decision(False, f"{sender} is not a member of {where}.", "R20")
    if not mine.posts:
        return Decision(False, f"{sender} reads {where} and writes nothing there.", "R20")
    return Decision(True, "Anyone may remove their own message here.", "R20")


def may_kick(
    roster: Roster, platform: Platform, kicker: UserId, target: UserId, room: RoomRef
) -> Decision:
    """May `kicker` remove `target` from the room (or leave it, when they are the same)? (R21)"""
    governor = governing_account(platform, room)
    where = _room_label(roster, room)
    if target == governor:
        return Decision(
            False,
            f"The platform's account stays in {where}: without it the room could not be kept "
            "as the rules want.",
            "R21",
        )
    if kicker == target:
        return Decision(True, f"Anyone may leave {where}.", "R21")
    if kicker == governor:
        return Decision(True, f"The platform removes people from {where} by the roster.", "R21")
    if room.kind is RoomKind.PLENARY:
        return Decision(
            False,
            "Only the platform removes people from the plenary, following the roster: "
            "coordination gives no right to remove a delegation.",
            "R21",
        )
    mine = access(roster, platform, kicker, room)
    theirs = access(roster, platform, target, room)
    if _outranks(mine, theirs):
        return Decision(True, f"{kicker} moderates {where}.", "R21")
    return Decision(
        False,
        f"Only the platform, following the roster, removes people from {where}.",
        "R21",
    )


_ORDER = tuple(Standing)  # lowest first


def _outranks(mine: Access, theirs: Access) -> bool:
    """A moderator removes those below them (R21); not a rule of its own."""
    return mine.standing is Standing.MODERATOR and _ORDER.index(theirs.standing) < _ORDER.index(
        mine.standing
    )

"""SPEC §2's table: which standing each role has in each kind of room, and who governs a room.

`ACCESS` maps (room kind, role) to an `Access`: none, member, moderator or admin, and whether
the member may post. It is SPEC §2's table, cell for cell, and needs no roster: `membership`
asks it for the roster's people (closing the cells R12 and R13 close), the Synapse module for
the people a room's members list names (R26), `conduct` for both.

R9   Who may be in a room, and as what, is SPEC §2's table (`ACCESS`).
R15  "The bot … never holds the keys of an experts room: that room is governed by the warden";
     the warden is used "only where the bot must not read" (§1), so it is in no other room.
     The room's governing account is the one with ✓ admin in its row.
R42  The Support room is the Technical Secretariat's (seed V: "the delegations can count on the
     support of the Technical Secretariat … should they have any queries"): the Secretariat and
     the bot, which governs it, and nobody else; not the Chair, no focal point, no expert. A
     request reaches it only through the bot, from the asker's direct room with the bot, and the
     answer goes back the same way: nobody in the room learns more than the asker wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from room_policies.roles import Platform, Role, RoomKind, UserId, role_table
from room_policies.rooms import RoomRef

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
    "Standing",
    "governing_account",
    "governing_role",
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
    RoomKind.SUPPORT:    (_,         SPEAKS,     _,          _,       GOVERNS, _,       _),  # R42
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


def governing_role(room: RoomRef | RoomKind) -> Role:
    """`BOT`, or `WARDEN` for an experts room (R15)."""
    return _GOVERNOR[room.kind if isinstance(room, RoomRef) else room]


def governing_account(platform: Platform, room: RoomRef) -> UserId:
    """The platform account that governs the room: the warden in experts rooms, else the bot."""
    return platform.warden_id if _GOVERNOR[room.kind] is Role.WARDEN else platform.bot_id

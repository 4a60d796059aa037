"""Power levels: one table, and one function that builds a room's whole `m.room.power_levels`.

`POWER_LEVELS` maps (room kind, role) to a power level. It is the only place in the codebase
where a power-level number is written (SPEC §2); every other level in the content (defaults,
thresholds) is taken from the room's row of the table, following the access table
(`access_table`). The content is what Synapse enforces first; the rules that power levels cannot
express (R13, R19, …) are enforced by the reconciler, the enforcer and the Synapse module.

R22  Power levels come from one table; nothing else writes a power-level number (§2: "Power
     levels come from one table in `room_policies/`").
R23  State, invitations and bans take the governing account's level: "State changes … are the
     platform's alone" (R17), and the platform invites (R16). Room version 11 gives a room's
     creator no power of its own (§2: "room version 11 (not 12: creators must stay
     demotable)"), so the governing account is listed in `users` at the top level.
R24  `events_default` is the lowest level of those who post (R9): in a folder room the Chair,
     the Secretariat and the platform post and focal points (and experts, R12) only read (§2,
     §3: folders are "published by the Chair and the Secretariat").
R25  Kick and @room notifications take the level of the room's moderators (the focal point in
     their experts room, §2), or the governing account's where nobody moderates. Redacting
     another person's event takes the governing account's level everywhere (R33, R34: nobody
     does it, and the Synapse module refuses even the platform). In the plenary redaction —
     even of one's own message — and removal are the platform's alone (R18, R21): there the
     Chair's and the Secretariat's moderator level gives @room only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from room_policies.access_table import ACCESS, GOVERNED_STATE_TYPES, Standing, governing_role
from room_policies.membership import members_of, role_in
from room_policies.roles import Platform, Role, RoomKind, UserId, role_table
from room_policies.rooms import RoomRef
from room_policies.roster import Roster

__all__ = ["POWER_LEVELS", "PowerLevelsContent", "power_levels_content", "power_levels_for"]

# R22: the table. A role with no access to a room has the outsiders' level there (`users_default`).
# fmt: off
_ROWS: dict[RoomKind, tuple[int, ...]] = {
    #                     chair  secretariat focal point expert  bot   warden  outsider
    RoomKind.SPACE:      (0,     0,          0,          0,      100,  0,      0),
    RoomKind.PLENARY:    (50,    50,         0,          0,      100,  0,      0),
    RoomKind.MODERATION: (0,     0,          0,          0,      100,  0,      0),
    RoomKind.FOLDER:     (10,    10,         0,          0,      100,  0,      0),
    RoomKind.EXPERTS:    (0,     0,          50,         0,      0,    100,    0),
    RoomKind.DESK:       (0,     0,          0,          0,      100,  0,      0),
    RoomKind.SUPPORT:    (0,     0,          0,          0,      100,  0,      0),
}
# fmt: on

POWER_LEVELS: Mapping[RoomKind, Mapping[Role, int]] = role_table(_ROWS)


class PowerLevelsContent(TypedDict):
    """The content of an `m.room.power_levels` state event."""

    users: dict[str, int]
    users_default: int
    events: dict[str, int]
    events_default: int
    state_default: int
    invite: int
    kick: int
    ban: int
    redact: int
    historical: int
    notifications: dict[str, int]


def power_levels_content(roster: Roster, platform: Platform, room: RoomRef) -> PowerLevelsContent:
    """The whole `m.room.power_levels` content the room should have."""
    roles = {user: role_in(roster, platform, user) for user in members_of(roster, platform, room)}
    return power_levels_for(room.kind, roles)


def power_levels_for(kind: RoomKind, roles: Mapping[UserId, Role]) -> PowerLevelsContent:
    """The `m.room.power_levels` content of a room of this kind whose members have these roles.

    The Synapse module, which sees no roster, checks a room's power levels with this from the
    roles the platform published in the room (`org.plenaria.members`).
    """
    row = POWER_LEVELS[kind]
    cells = ACCESS[kind]
    default = row[Role.OUTSIDER]
    # R23: the governing account's level.
    governing = row[governing_role(kind)]
    # R24: the lowest level among those who post.
    events_default = min(row[role] for role, cell in cells.items() if cell.posts)
    # R25: the moderators' level, or the governing account's where nobody moderates.
    moderating = min(
        (row[role] for role, cell in cells.items() if cell.standing is Standing.MODERATOR),
        default=governing,
    )
    removing = governing if kind is RoomKind.PLENARY else moderating

    users = {user: row[role] for user, role in roles.items()}
    events = dict.fromkeys(sorted(GOVERNED_STATE_TYPES), governing)
    if kind is RoomKind.PLENARY:
        # R25 (R18): not even one's own message is redacted in the plenary but by the platform.
        events["m.room.redaction"] = governing
    return {
        "users": {user: level for user, level in users.items() if level != default},
        "users_default": default,
        "events": events,
        "events_default": events_default,
        "state_default": governing,
        "invite": governing,
        "kick": removing,
        "ban": governing,
        "redact": governing,  # R25 (R33, R34)
        # Synapse adds this (MSC2716 history import) to a new room's levels; the platform's alone.
        "historical": governing,
        "notifications": {"room": moderating},
    }

"""The state every governed room should carry: what the platform writes, and what it checks.

`desired_state` is the whole set of state events the platform keeps in a room, keyed by
(event type, state key). The reconciler writes what differs; the Synapse module, which sees no
roster, checks changes against what the room itself publishes: its marker (`org.plenaria.room`,
R7) and its members (`org.plenaria.members`, R26).

R26  A room publishes, as platform-only state `org.plenaria.members` (state key ""), who belongs in
     it and with which role: `{"members": {"@user:server": "focal_point", …}}`. It is derived
     from the roster by `members_of` (R9–R15) and is what the Synapse module holds invitations,
     joins and power levels to (§2 "Prevent": the module "reads the rules from the room's own
     state").
R27  Every room is invite-only, closed to guests, encrypted with `m.megolm.v1.aes-sha2`, room
     version 11, never federated, and its history is visible to members only (§2).
R28  Names and topics are the platform's and say, in words a delegate understands, what the room
     is for and who is in it (§2 table).
R41  The space lists only the rooms every member of the space may be in (§2 table): a room
     closed to some of them (the moderation room, closed to focal points) would show them an
     entry they cannot open ("Unknown — Private Room"), and name a room they have no part in.
     Such a room (the moderation room, the Support room of R42) stays outside the space; its
     members find it in their room list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from room_policies.access_table import ACCESS
from room_policies.membership import members_of, role_in
from room_policies.power_levels import power_levels_content
from room_policies.roles import FolderKey, Platform, Role, RoomId, RoomKind, UserId
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef, room_name
from room_policies.roster import Roster

__all__ = [
    "ENCRYPTION_ALGORITHM",
    "MEMBERS_EVENT_TYPE",
    "ROOM_VERSION",
    "StateKey",
    "creation_content",
    "desired_state",
    "members_content",
    "roles_from_members_content",
    "room_topic",
    "space_children",
]

MEMBERS_EVENT_TYPE = "org.plenaria.members"
ROOM_VERSION = "11"  # R27; not 12: a room's creator must stay demotable (§2)
ENCRYPTION_ALGORITHM = "m.megolm.v1.aes-sha2"

StateKey = tuple[str, str]


def members_content(roster: Roster, platform: Platform, room: RoomRef) -> dict[str, Any]:
    """The content of the room's `org.plenaria.members` event (R26)."""
    return {
        "members": {
            user: role_in(roster, platform, user).value
            for user in members_of(roster, platform, room)
        }
    }


def roles_from_members_content(content: Mapping[str, Any]) -> dict[UserId, Role] | None:
    """The roles an `org.plenaria.members` content publishes, or None if it is malformed."""
    members = content.get("members")
    if not isinstance(members, Mapping):
        return None
    roles: dict[UserId, Role] = {}
    for user, role in members.items():
        if not isinstance(user, str) or not isinstance(role, str) or role not in set(Role):
            return None
        roles[UserId(user)] = Role(role)
    return roles


def room_topic(roster: Roster, room: RoomRef) -> str:
    """What the room is for, for whoever opens it (R28)."""
    group = roster.working_group
    if room.kind is RoomKind.SPACE:
        return f"{group}: the plenary and the document folders."
    if room.kind is RoomKind.PLENARY:
        return (
            f"{group} at the delegation level: the Chair, the Technical Secretariat and one focal "
            "point per delegation. Upload proposals here as CODE_<document>.docx with tracked "
            "changes."
        )
    if room.kind is RoomKind.MODERATION:
        return f"{group}: the Chair's office, with the Technical Secretariat. Type !help."
    if room.kind is RoomKind.SUPPORT:
        return (
            f"{group}: the Technical Secretariat's support desk. Requests sent to the bot with "
            "!support arrive here as numbered tickets; reply to a ticket to answer the person "
            "who asked. !tickets lists the open ones, !close N closes one."
        )
    if room.kind is RoomKind.FOLDER:
        return (
            f"{group}: {room_name(roster, room)}, published by the Chair and the Technical "
            "Secretariat. Read-only for delegations."
        )
    delegation = roster.delegation(room.delegation or "")
    country = delegation.name if delegation else room.delegation
    if room.kind is RoomKind.EXPERTS:
        return (
            f"{country}: the focal point and the delegation's experts. Nobody else, neither the "
            "Chair nor the Secretariat nor the platform's bot, can read this room."
        )
    return f"{country}: the focal point's desk with the platform. Type !help."


def _topic_content(topic: str) -> dict[str, Any]:
    # Both renderings, as Synapse writes them (MSC3765), so a settled room compares equal.
    return {"topic": topic, "m.topic": {"m.text": [{"body": topic}]}}


# The rooms the space could list: the platform's shared rooms (a desk or an experts room
# belongs to one delegation, never to the space).
_SHARED_ROOMS = (
    RoomRef(RoomKind.PLENARY),
    RoomRef(RoomKind.MODERATION),
    RoomRef(RoomKind.SUPPORT),
    *(RoomRef(RoomKind.FOLDER, folder=key) for key in FolderKey),
)


def space_children() -> list[RoomRef]:
    """R41: the rooms the space lists, those every member of the space may be in."""
    space = ACCESS[RoomKind.SPACE]
    members = [role for role, cell in space.items() if cell.is_member]
    return [
        room for room in _SHARED_ROOMS if all(ACCESS[room.kind][role].is_member for role in members)
    ]


def creation_content(room: RoomRef) -> dict[str, Any]:
    """`creation_content` for `createRoom` (R27): never federated; the space is a space."""
    content: dict[str, Any] = {"m.federate": False}
    if room.kind is RoomKind.SPACE:
        content["type"] = "m.space"
    return content


def desired_state(
    roster: Roster,
    platform: Platform,
    room: RoomRef,
    *,
    server_name: str,
    children: Mapping[RoomRef, RoomId] | None = None,
) -> dict[StateKey, dict[str, Any]]:
    """Every state event the platform keeps in the room, in the order it writes them.

    The marker comes first and the members second, so that everything after them is judged by
    the Synapse module against what the room publishes. `children` are the space's child rooms
    already made (the space only).
    """
    state: dict[StateKey, dict[str, Any]] = {
        (MARKER_EVENT_TYPE, ""): room.marker_content(),
        (MEMBERS_EVENT_TYPE, ""): members_content(roster, platform, room),
        ("m.room.power_levels", ""): dict(power_levels_content(roster, platform, room)),
        ("m.room.join_rules", ""): {"join_rule": "invite"},
        ("m.room.history_visibility", ""): {"history_visibility": "shared"},
        ("m.room.guest_access", ""): {"guest_access": "forbidden"},
        ("m.room.encryption", ""): {"algorithm": ENCRYPTION_ALGORITHM},
        ("m.room.name", ""): {"name": room_name(roster, room)},
        ("m.room.topic", ""): _topic_content(room_topic(roster, room)),
    }
    if room.kind is RoomKind.SPACE:
        for room_id in (children or {}).values():
            state[("m.space.child", room_id)] = {"via": [server_name], "suggested": True}
    return state

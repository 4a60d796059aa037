"""Which rooms the platform has, and how each room says what it is.

A `RoomRef` names a room by meaning (kind, folder, delegation), not by Matrix room id. Every room
carries it as the `org.plenaria.room` state event (the marker, SPEC §7), so the platform can
rebuild its picture of the rooms from Matrix itself. `desired_rooms` is the set of rooms a roster
calls for; the shell maps them to room ids by reading the markers.

R7  "Each room carries a state event `org.plenaria.room` naming its kind (and delegation),
    written only by the platform" (§2), shaped as §7 says: folder rooms name their folder,
    experts rooms and desks their delegation, and no other room names either.
R8  The platform's rooms are the space, the plenary, the moderation room, the Support room of the
    Technical Secretariat (R42), the three folder rooms (§2 table, §3) and, for each
    delegation, its experts room and its desk (§2 table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from room_policies.roles import PER_DELEGATION, DelegationCode, FolderKey, RoomKind
from room_policies.roster import Roster, country_name

__all__ = ["MARKER_EVENT_TYPE", "RoomRef", "desired_rooms", "room_name"]

MARKER_EVENT_TYPE = "org.plenaria.room"


@dataclass(frozen=True)
class RoomRef:
    """A governed room by meaning: its kind, and its folder or delegation where it has one."""

    kind: RoomKind
    folder: FolderKey | None = None
    delegation: DelegationCode | None = None

    def __post_init__(self) -> None:
        # R7: folder rooms name their folder, experts rooms and desks their delegation (§7).
        if (self.folder is not None) != (self.kind is RoomKind.FOLDER):
            raise ValueError("a folder room, and only a folder room, names its folder")
        if (self.delegation is not None) != (self.kind in PER_DELEGATION):
            raise ValueError("experts rooms and desks, and only they, name their delegation")

    def marker_content(self) -> dict[str, str]:
        """The content of the room's `org.plenaria.room` state event (state key "")."""
        content = {"kind": self.kind.value}
        if self.folder is not None:
            content["folder"] = self.folder.value
        if self.delegation is not None:
            content["delegation"] = self.delegation
        return content

    @property
    def key(self) -> str:
        """A short stable name: `plenary`, `folder:plan`, `experts:AG`, …"""
        qualifier = self.folder or self.delegation
        return f"{self.kind.value}:{qualifier}" if qualifier else self.kind.value

    @classmethod
    def from_key(cls, key: str) -> RoomRef | None:
        """The room a `key` names, or None."""
        kind, _, qualifier = key.partition(":")
        content: dict[str, str] = {"kind": kind}
        if kind == RoomKind.FOLDER.value:
            content["folder"] = qualifier
        elif qualifier:
            content["delegation"] = qualifier
        return cls.from_marker(content)

    @classmethod
    def from_marker(cls, content: Mapping[str, object]) -> RoomRef | None:
        """The room a marker names, or None if the marker is malformed.

        Keys this version does not know are ignored (SPEC §7: keys are added, never renamed).
        """
        kind, folder, delegation = (content.get(k) for k in ("kind", "folder", "delegation"))
        if not isinstance(kind, str) or kind not in set(RoomKind):
            return None
        if folder is not None and (not isinstance(folder, str) or folder not in set(FolderKey)):
            return None
        if delegation is not None and (
            not isinstance(delegation, str) or country_name(delegation) is None
        ):
            return None
        try:
            return cls(
                RoomKind(str(kind)),
                FolderKey(str(folder)) if folder is not None else None,
                DelegationCode(delegation) if delegation is not None else None,
            )
        except ValueError:
            return None


def desired_rooms(roster: Roster) -> list[RoomRef]:
    """Every room the roster calls for, in a stable order (R8)."""
    # R8: the space, the plenary, the Chair's moderation room, the Secretariat's Support room
    # (R42), the three folder rooms (§2 table, §3), and for each delegation its experts room and
    # its desk (§2 table).
    rooms = [RoomRef(RoomKind.SPACE), RoomRef(RoomKind.PLENARY), RoomRef(RoomKind.MODERATION)]
    rooms.append(RoomRef(RoomKind.SUPPORT))
    rooms += [RoomRef(RoomKind.FOLDER, folder=key) for key in FolderKey]
    for delegation in roster.delegations:
        rooms.append(RoomRef(RoomKind.EXPERTS, delegation=delegation.code))
        rooms.append(RoomRef(RoomKind.DESK, delegation=delegation.code))
    return rooms


def room_name(roster: Roster, room: RoomRef) -> str:
    """The room's name as the platform sets it (folder names come from the roster)."""
    if room.kind is RoomKind.FOLDER:
        assert room.folder is not None
        return str(getattr(roster.folders, room.folder.value))
    if room.delegation is not None:
        delegation = roster.delegation(room.delegation)
        country = delegation.name if delegation else country_name(room.delegation)
        label = "Experts" if room.kind is RoomKind.EXPERTS else "Desk"
        return f"{label} — {country or room.delegation}"
    return {
        RoomKind.SPACE: roster.working_group,
        RoomKind.PLENARY: "Plenary",
        RoomKind.MODERATION: "Moderation",
        RoomKind.SUPPORT: "Support — Technical Secretariat",
    }[room.kind]

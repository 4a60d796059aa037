"""The room directory: which Matrix room is which governed room (`RoomRef` ↔ room id).

One directory for the whole bot: the reconciler fills it (from the database, from the rooms'
markers, from rooms it creates), everyone else asks it. The database copy is a cache of what the
markers in Matrix say (bot/governance/reconciler.py explains why the markers are the truth).
"""

from __future__ import annotations

from bot.storage.database import RoomRepository
from room_policies.access_table import governing_account
from room_policies.roles import Platform
from room_policies.rooms import RoomRef


class RoomDirectory:
    def __init__(self, rooms: RoomRepository, platform: Platform) -> None:
        self._rooms = rooms
        self._platform = platform
        self._by_ref: dict[RoomRef, str] = {}
        self._by_id: dict[str, RoomRef] = {}
        self.loaded = False

    def room_id(self, ref: RoomRef) -> str | None:
        return self._by_ref.get(ref)

    def ref_of(self, room_id: str) -> RoomRef | None:
        return self._by_id.get(room_id)

    def known(self) -> dict[RoomRef, str]:
        return dict(self._by_ref)

    def __contains__(self, ref: object) -> bool:
        return ref in self._by_ref

    def holds_room(self, room_id: str) -> bool:
        return room_id in self._by_id

    async def load(self) -> None:
        for record in (await self._rooms.all()).values():
            ref = RoomRef.from_key(record.ref)
            if ref is not None:
                self._remember(ref, record.room_id)
        self.loaded = True

    async def record(self, ref: RoomRef, room_id: str) -> None:
        self._remember(ref, room_id)
        await self._rooms.record(ref.key, room_id, governing_account(self._platform, ref))

    def _remember(self, ref: RoomRef, room_id: str) -> None:
        old = self._by_ref.get(ref)
        if old is not None:
            self._by_id.pop(old, None)
        self._by_ref[ref] = room_id
        self._by_id[room_id] = ref

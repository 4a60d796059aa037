"""Documents sent again to a member who joins a folder room late (SPEC §3): Matrix gives a late
joiner no keys to earlier messages, so the folder's current documents are re-sent — the same
encrypted files, whose keys travel in the new, encrypted messages.

The welcome and each document carry transaction ids derived from the join event, so a join
handled twice (after a crash) sends nothing twice.
"""

from __future__ import annotations

import functools

from bot.docflow.publishing import Readers, in_english
from bot.docflow.transfer import txn_id
from bot.governance.directory import RoomDirectory
from bot.matrix.gateway import Gateway
from bot.storage.registry import Registry
from commands import announcements
from room_policies.roles import RoomKind


class LateJoiners:
    def __init__(
        self,
        *,
        gateway: Gateway,
        rooms: RoomDirectory,
        registry: Registry,
        readers: Readers = in_english,
    ) -> None:
        self.readers = readers
        self.gateway = gateway
        self.rooms = rooms
        self.registry = registry

    async def member_joined(self, room_id: str, user_id: str, event_id: str) -> None:
        ref = self.rooms.ref_of(room_id)
        if ref is None or ref.kind is not RoomKind.FOLDER or ref.folder is None:
            return
        documents = [
            d for d in await self.registry.current(ref.folder.value) if d.file_info is not None
        ]
        if not documents:
            return
        await self.gateway.refresh_keys([user_id])
        welcome = await self.readers(
            ref, functools.partial(announcements.welcome_to_folder, user_id)
        )
        await self.gateway.send_notice(room_id, welcome, txn_id=txn_id("welcome", event_id))
        for document in documents:
            assert document.file_info is not None
            await self.gateway.send_file(
                room_id,
                document.file_name,
                document.file_info,
                document.size,
                document.mimetype,
                txn_id=txn_id(f"resend-{document.id}", event_id),
            )

"""A direct room between the bot and one person: found, or made (end-to-end encrypted).

A person's direct room with the bot is one the platform does not govern, encrypted, whose only
members (joined or invited) are the bot and that person: one the person opened (the bot accepts
the invitation) or one the bot made. The bot makes one as Element does (`trusted_private_chat`,
`is_direct`), encrypted from its first event, its history visible to the invitee from the
invitation, and lists it in its `m.direct` account data. It sends nothing there until its own
sync shows the room encrypted with the person in it, so that the room key is shared with the
person's sessions (nio shares it with invited members too).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.matrix.client_server import path_quote
from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway

log = logging.getLogger(__name__)

M_DIRECT = "m.direct"


class DirectRooms:
    def __init__(
        self, gateway: Gateway, governed: Callable[[str], bool], wait_s: float = 60.0
    ) -> None:
        self.gateway = gateway
        self.governed = governed
        self.wait_s = wait_s
        self._listing = asyncio.Lock()  # m.direct is read, changed and written whole

    async def room_with(self, user_id: str) -> str:
        """The room id of the bot's direct room with `user_id`, made if there is none."""
        listed = await self._listed()
        found = self._existing(user_id, listed.get(user_id, []))
        if found is not None:
            return found
        room_id = await self.gateway.create_room(
            {
                "preset": "trusted_private_chat",
                "is_direct": True,
                "invite": [user_id],
                "initial_state": [
                    {
                        "type": "m.room.encryption",
                        "state_key": "",
                        "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                    },
                    {
                        "type": "m.room.history_visibility",
                        "state_key": "",
                        "content": {"history_visibility": "invited"},
                    },
                ],
            }
        )
        log.info("made a direct room %s", room_id)
        async with self._listing:
            listed = await self._listed()
            listed[user_id] = [*listed.get(user_id, []), room_id]
            await self._list(listed)
        await self._seen(room_id, user_id)
        return room_id

    def _existing(self, user_id: str, listed: list[str]) -> str | None:
        """A direct room the bot's sync already shows: one listed in `m.direct` first."""
        rooms = self.gateway.client.rooms
        candidates = [r for r in listed if r in rooms] + [r for r in rooms if r not in listed]
        for room_id in candidates:
            room = rooms[room_id]
            if self.governed(room_id) or not room.encrypted:
                continue
            if set(room.users) == {self.gateway.user_id, user_id}:
                return str(room_id)
        return None

    async def _listed(self) -> dict[str, list[str]]:
        status, data = await self.gateway.request("GET", self._account_data_path())
        if status == 404:
            return {}
        if status != 200:
            raise MatrixError("read m.direct", str(data.get("errcode", status)))
        return {
            str(user): [str(r) for r in rooms]
            for user, rooms in data.items()
            if isinstance(rooms, list)
        }

    async def _list(self, listed: dict[str, list[str]]) -> None:
        body: dict[str, Any] = dict(listed)
        status, data = await self.gateway.request("PUT", self._account_data_path(), body)
        if status != 200:
            raise MatrixError("write m.direct", str(data.get("errcode", status)))

    def _account_data_path(self) -> str:
        user = path_quote(self.gateway.user_id)
        return f"/_matrix/client/v3/user/{user}/account_data/{M_DIRECT}"

    async def _seen(self, room_id: str, user_id: str) -> None:
        """Wait until the bot's own sync shows the room encrypted, with the person in it."""
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            room = self.gateway.client.rooms.get(room_id)
            if room is not None and room.encrypted and user_id in room.users:
                return
            await asyncio.sleep(0.2)
        raise MatrixError("direct room", "not_synced", room_id)

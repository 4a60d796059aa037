"""The welcome (issue #11): the first time a person of the roster joins a governed room, the bot
sends them the guide for their role (`commands/guide.py`) in their language — their `!lang`
choice, else the working group's.

A focal point reads it in their desk; the Chair, the Technical Secretariat and the experts in a
direct room with the bot (`bot/matrix/direct_rooms.py`), made if there is none. The platform's
own accounts and people outside the roster are never welcomed.

Once only, across crashes: the welcome is sent with a transaction id derived from the person's
user id, and recorded (`bot/storage/welcomes.py`) after it was sent. A crash between the two
sends it again with the same transaction id, which the homeserver drops; a person's joins
handled at once wait for each other.

The bot sees the joins of the rooms it is in (the router); the experts rooms, where it is not,
are watched by the warden (`StateWatch` in `bot/governance/enforcer.py`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from bot.governance.directory import RoomDirectory
from bot.governance.languages import Languages
from bot.matrix.direct_rooms import DirectRooms
from bot.matrix.gateway import Gateway
from bot.storage.welcomes import WelcomeRepository
from commands.guide import PEOPLE, Reader, compose
from commands.i18n import translator
from commands.table import Catalog
from room_policies.roles import DelegationCode, Platform, Role, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import Roster

log = logging.getLogger(__name__)


def welcome_txn_id(user_id: str) -> str:
    """The welcome's transaction id: the same for the same person, whatever the join."""
    return "welcome-" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


class Welcomer:
    def __init__(
        self,
        *,
        gateway: Gateway,
        rooms: RoomDirectory,
        roster: Callable[[], Awaitable[Roster | None]],
        platform: Platform,
        languages: Languages,
        welcomes: WelcomeRepository,
        catalog: Catalog,
        direct: DirectRooms,
        keys_changed: Callable[[list[str]], None] = lambda _: None,
        timezone: str = "UTC",
    ) -> None:
        self.timezone = timezone
        self.gateway = gateway
        self.rooms = rooms
        self.roster = roster
        self.platform = platform
        self.languages = languages
        self.welcomes = welcomes
        self.catalog = catalog
        self.direct = direct
        # The trust service's cache of published keys (`TrustService.devices_changed`): the
        # person may have signed in since the bot last asked, and the room key must reach the
        # session they verified.
        self.keys_changed = keys_changed
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def reader(self, user_id: str) -> Reader | None:
        """The guide's reader (`!guide`): a person of the roster, else None."""
        roster = await self.roster()
        if roster is None:
            return None
        reader = Reader(UserId(user_id), roster, self.platform, self.catalog, self.timezone)
        return reader if reader.role in PEOPLE else None

    async def member_joined(self, room_id: str, user_id: str, event_id: str) -> None:
        """A join the bot or the warden saw: a governed room's makes a first-time welcome."""
        if self.rooms.ref_of(room_id) is None:
            return  # a direct room, or a room the platform does not govern
        await self.welcome(user_id)

    async def welcome(self, user_id: str) -> bool:
        """Send `user_id` their guide unless they were welcomed; True if it was sent now."""
        async with self._locks[user_id]:
            if await self.welcomes.get(user_id) is not None:
                return False
            reader = await self.reader(user_id)
            if reader is None:
                return False  # the platform's accounts, and outsiders, are never welcomed
            language = await self.languages.of(user_id)
            guide = compose(reader, translator(language))
            room_id = await self._room_for(reader)
            self.keys_changed([user_id])
            await self.gateway.refresh_keys([user_id])
            await self.gateway.send_notice(room_id, guide, txn_id=welcome_txn_id(user_id))
            await self.welcomes.record(user_id, reader.role.value, room_id)
            log.info("welcomed %s (%s) in %s", user_id, reader.role.value, room_id)
            return True

    async def _room_for(self, reader: Reader) -> str:
        if reader.role is Role.FOCAL_POINT:
            code = reader.roster.delegation_of(reader.user)
            if code is not None:
                desk = self.rooms.room_id(RoomRef(RoomKind.DESK, delegation=DelegationCode(code)))
                if desk is not None:
                    return desk
        return await self.direct.room_with(reader.user)

"""`!get DOCUMENT [VERSION]` (issue #14): a published document posted again for the asker.

The file goes into the room the command was asked in (the desk, a direct message with the
bot, the moderation room), in the command's thread, as a new encrypted message: its key
travels in a Megolm session the bot shares with the devices the room's members have *now* —
the asker's session made after the document was published included, once their owner
cross-signed it (`TrustService.restrict`). The same encrypted file the folder holds is sent
when the bot posted it (no new upload); the stored copy is uploaded otherwise. Only a document
of a folder the asker reads (SPEC §2's table); the transaction id is derived from the command,
so a command handled twice posts the file once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.docflow.publishing import FolderNames
from bot.docflow.tools import DocumentTools
from bot.docflow.transfer import txn_id
from bot.governance.trust import RosterSource
from bot.matrix.gateway import Gateway
from bot.storage.registry import Published
from commands.get_document import NoSuchDocument, NoSuchVersion, NotYourFolder, SentDocument
from commands.table import Invocation
from documents.proposals import document_file_name
from room_policies.membership import access
from room_policies.roles import FolderKey, Platform, RoomKind, UserId
from room_policies.rooms import RoomRef


class DocumentFetcher:
    def __init__(
        self,
        *,
        gateway: Gateway,
        tools: DocumentTools,
        folders: FolderNames,
        roster: RosterSource,
        platform: Platform,
        keys_changed: Callable[[Iterable[str]], None],
    ) -> None:
        self.gateway = gateway
        self.tools = tools
        self.folders = folders
        self.roster = roster
        self.platform = platform
        self.keys_changed = keys_changed

    async def send_document(
        self, invocation: Invocation, document: str, version: int | None
    ) -> SentDocument:
        wanted = document_file_name(document.strip()).lower()
        current = [
            d for d in await self.tools.registry.current(None) if d.file_name.lower() == wanted
        ]
        if not current:
            raise NoSuchDocument(document.strip())
        names = await self.folders.all()
        readable = [d for d in current if await self._reads(invocation.sender, d.folder)]
        if not readable:
            raise NotYourFolder(
                current[0].file_name, names.get(current[0].folder, current[0].folder)
            )
        latest = readable[0]
        chosen: Published | None = latest
        if version is not None and version != latest.version:
            chosen = await self.tools.registry.version(latest.file_name, version, latest.folder)
        if chosen is None:
            raise NoSuchVersion(latest.file_name, version or 0, latest.version)
        # The asker's devices of now: their keys fetched afresh, so the room key goes to each.
        self.keys_changed([invocation.sender])
        await self.gateway.refresh_keys([invocation.sender])
        txn = txn_id("get", invocation.event_id)
        if chosen.file_info is not None:
            await self.gateway.send_file(
                invocation.room_id,
                chosen.file_name,
                chosen.file_info,
                chosen.size,
                chosen.mimetype,
                txn_id=txn,
                thread_root=invocation.event_id,
            )
        else:
            await self.tools.transfer.post_file(
                invocation.room_id,
                self.tools.files.get(chosen.sha256),
                chosen.file_name,
                chosen.mimetype,
                txn,
                thread_root=invocation.event_id,
            )
        return SentDocument(
            chosen.file_name,
            chosen.version,
            latest.version,
            names.get(latest.folder, latest.folder),
        )

    async def _reads(self, user: str, folder: str) -> bool:
        roster = await self.roster()
        if roster is None or folder not in set(FolderKey):
            return False
        room = RoomRef(RoomKind.FOLDER, folder=FolderKey(folder))
        return access(roster, self.platform, UserId(user), room).is_member

"""Publishing into the folders (SPEC §3): `!publish`, a file posted straight into a folder, and
what other parts publish (an accepted suggestion, a distributed revision, the demo's base).

A publication passes the safety gate, is stored in the file store *before* anything announces
it, is registered under the Matrix event that brought it (so a second handling registers
nothing new), and is posted, encrypted, in the folder room with a notice, then announced in the
plenary — with transaction ids derived from that event, so the homeserver drops a second copy.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Mapping
from pathlib import PurePath
from typing import Any

from bot.docflow.tools import DocumentTools
from bot.docflow.transfer import DOCX, txn_id
from bot.governance.directory import RoomDirectory
from bot.governance.trust import RosterSource
from bot.matrix.gateway import Gateway
from bot.storage.registry import Published, Registry
from commands import announcements
from commands.document_refusals import FoldersNotProvisioned
from commands.documents_deps import Publication, PublishedInfo
from commands.multilingual import Worded, in_languages
from commands.reply import Reply
from commands.table import Attachment, Invocation
from room_policies.roles import FolderKey, RoomKind
from room_policies.rooms import RoomRef
from room_policies.roster import Folders

# A notice as the readers of a room read it (bot.governance.service.Governance.worded).
Readers = Callable[[RoomRef, Worded], Awaitable[Reply]]


async def in_english(ref: RoomRef, notice: Worded) -> Reply:
    """Readers when none are given (tests, tools): English."""
    return in_languages(notice, ())


class FolderNames:
    """The folders' names as the roster gives them (SPEC §7), by key."""

    def __init__(self, roster: RosterSource) -> None:
        self._roster = roster

    async def all(self) -> dict[str, str]:
        roster = await self._roster()
        folders = roster.folders if roster is not None else Folders()
        return {key.value: str(getattr(folders, key.value)) for key in FolderKey}


class Publisher:
    def __init__(
        self,
        *,
        gateway: Gateway,
        rooms: RoomDirectory,
        tools: DocumentTools,
        folders: FolderNames,
        classifications: tuple[str, ...],
        language: str,
        readers: Readers = in_english,
    ) -> None:
        self.readers = readers
        self.gateway = gateway
        self.rooms = rooms
        self.tools = tools
        self.folders = folders
        self.classifications = tuple(c.lower() for c in classifications)
        self.language = language

    @property
    def registry(self) -> Registry:
        """What is on record (the demo and the tests read it here)."""
        return self.tools.registry

    # -- what `!publish` and `!documents` ask -------------------------------------------------

    async def folder_names(self) -> dict[str, str]:
        return await self.folders.all()

    async def attachment(self, invocation: Invocation) -> Attachment | None:
        return await self.tools.transfer.attachment(invocation)

    async def publish(
        self, invocation: Invocation, attachment: Attachment, publication: Publication
    ) -> PublishedInfo:
        data = await self.tools.transfer.download(attachment)
        return await self.register(
            invocation.sender, invocation.event_id, attachment, data, publication
        )

    async def current_documents(self, folder: str | None) -> list[PublishedInfo]:
        names = await self.folders.all()
        return [_info(d, names) for d in await self.tools.registry.current(folder)]

    def publication(self, folder: str, title: str | None = None) -> Publication:
        """A publication of the platform's own in `folder`: the first classification, the
        working group's language."""
        return Publication(folder, title, None, self.classifications[0], None)

    # -- what the other parts publish ---------------------------------------------------------

    async def folder_upload(self, invocation: Invocation, folder: FolderKey) -> PublishedInfo:
        """A file the Chair or the Secretariat posted in a folder room: registered as it is,
        not posted again."""
        attachment = invocation.attachment
        assert attachment is not None
        data = await self.tools.transfer.download(attachment)
        publication = self.publication(folder.value)
        return await self.register(
            invocation.sender, invocation.event_id, attachment, data, publication, repost=False
        )

    async def publish_file(
        self,
        data: bytes,
        file_name: str,
        folder: str,
        *,
        title: str,
        symbol: str | None,
        publisher: str,
        key: str,
    ) -> PublishedInfo:
        """Publish a file the platform holds (not one sent in the chat): `key` names this
        publication once and for all, so doing it again publishes nothing new."""
        attachment = Attachment(file_name, DOCX, len(data), key, {})
        publication = dataclasses.replace(self.publication(folder, title), symbol=symbol)
        return await self.register(publisher, key, attachment, data, publication)

    async def register(
        self,
        sender: str,
        source_event_id: str,
        attachment: Attachment,
        data: bytes,
        publication: Publication,
        *,
        repost: bool = True,
    ) -> PublishedInfo:
        """Gate, store, register (once per `source_event_id`) and post the next version."""
        file_name = PurePath(attachment.file_name).name or "document"
        await self.tools.engine.gate(file_name, data)
        digest = self.tools.files.put(data)
        published = await self.tools.registry.publish(
            folder=publication.folder,
            title=publication.title or PurePath(file_name).stem,
            file_name=file_name,
            symbol=publication.symbol,
            classification=publication.classification,
            language=publication.language or self.language,
            sha256=digest,
            size=len(data),
            mimetype=attachment.mimetype,
            publisher=sender,
            source_event_id=source_event_id,
        )
        info = _info(published, await self.folders.all())
        if published.event_id is None:
            await self._post(published, info, data, source_event_id, repost, attachment.content)
        return info

    async def _post(
        self,
        published: Published,
        info: PublishedInfo,
        data: bytes,
        source_event_id: str,
        repost: bool,
        content: Mapping[str, Any],
    ) -> None:
        folder = RoomRef(RoomKind.FOLDER, folder=FolderKey(published.folder))
        room_id = self.rooms.room_id(folder)
        if room_id is None:
            raise FoldersNotProvisioned()
        file_info: dict[str, Any] = dict(content.get("file") or {})
        event_id = source_event_id
        if repost:
            event_id, file_info = await self.tools.transfer.post_file(
                room_id,
                data,
                published.file_name,
                published.mimetype,
                txn_id("publish", source_event_id),
            )
        await self.gateway.send_notice(
            room_id,
            await self.readers(folder, functools.partial(announcements.publication_notice, info)),
            in_reply_to=event_id,
            txn_id=txn_id("publish-notice", source_event_id),
        )
        await self.tools.registry.posted(published.id, room_id, event_id, file_info)
        plenary = self.rooms.room_id(RoomRef(RoomKind.PLENARY))
        if plenary is not None:
            announcement = functools.partial(announcements.new_in_folder, info, room_id, event_id)
            await self.gateway.send_notice(
                plenary,
                await self.readers(RoomRef(RoomKind.PLENARY), announcement),
                txn_id=txn_id("announce", source_event_id),
            )


def _info(d: Published, folder_names: Mapping[str, str]) -> PublishedInfo:
    return PublishedInfo(
        d.folder,
        folder_names.get(d.folder, d.folder),
        d.title,
        d.file_name,
        d.version,
        d.symbol,
        d.classification,
        d.language,
        d.sha256,
        d.publisher,
        d.published_at,
    )

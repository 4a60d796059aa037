"""Reference suggestions (SPEC §3): a delegation sends a document to the Chair, who accepts or
declines it (`documents.lifecycles.SuggestionStatus`: decided once).

A suggested file passes the safety gate, is stored and queued under its Matrix event, and is
posted with a notice in the moderation room. Accepted, it is published in the Reference
documents folder; accepted or declined, the delegation is told in its desk.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import PurePath

from bot.docflow.publishing import Publisher
from bot.docflow.tools import DocumentTools
from bot.docflow.transfer import txn_id
from bot.governance.directory import RoomDirectory
from bot.matrix.gateway import Gateway
from bot.storage.registry import Suggestion
from commands import announcements
from commands.document_refusals import (
    NoFileGiven,
    NoSuchSuggestion,
    OnlyFocalPoints,
    SuggestionDecided,
)
from commands.documents_deps import SuggestionAccepted, SuggestionInfo
from commands.multilingual import Worded
from commands.table import Attachment, Invocation
from documents.lifecycles import SuggestionStatus
from room_policies.roles import DelegationCode, FolderKey, RoomKind
from room_policies.rooms import RoomRef


class Suggestions:
    def __init__(
        self,
        *,
        gateway: Gateway,
        rooms: RoomDirectory,
        tools: DocumentTools,
        publisher: Publisher,
    ) -> None:
        self.gateway = gateway
        self.rooms = rooms
        self.tools = tools
        self.publisher = publisher

    async def suggest(self, invocation: Invocation) -> SuggestionInfo:
        attachment = await self.tools.transfer.attachment(invocation)
        if attachment is None:
            raise NoFileGiven("suggest")
        if not invocation.delegation:
            raise OnlyFocalPoints("suggests reference documents")
        data = await self.tools.transfer.download(attachment)
        file_name = PurePath(attachment.file_name).name or "document"
        await self.tools.engine.gate(file_name, data)
        suggestion = await self.tools.registry.suggest(
            delegation=invocation.delegation,
            file_name=file_name,
            sha256=self.tools.files.put(data),
            size=len(data),
            mimetype=attachment.mimetype,
            suggested_by=invocation.sender,
            source_event_id=invocation.event_id,
        )
        info = _info(suggestion)
        moderation_ref = RoomRef(RoomKind.MODERATION)
        moderation = self.rooms.room_id(moderation_ref)
        if moderation is not None:
            event_id, _ = await self.tools.transfer.post_file(
                moderation,
                data,
                suggestion.file_name,
                suggestion.mimetype,
                txn_id("suggestion", invocation.event_id),
            )
            await self.gateway.send_notice(
                moderation,
                await self.publisher.readers(
                    moderation_ref,
                    functools.partial(announcements.suggestion_for_the_chair, info),
                ),
                in_reply_to=event_id,
                txn_id=txn_id("suggestion-notice", invocation.event_id),
            )
        return info

    async def references(self) -> list[SuggestionInfo]:
        return [_info(s) for s in await self.tools.registry.suggestions()]

    async def accept_suggestion(
        self, invocation: Invocation, number: int, title: str | None, symbol: str | None
    ) -> SuggestionAccepted:
        suggestion = await self._decidable(number, SuggestionStatus.ACCEPTED)
        attachment = Attachment(
            suggestion.file_name, suggestion.mimetype, suggestion.size, invocation.event_id, {}
        )
        publication = replace(
            self.publisher.publication(FolderKey.REFERENCE.value, title), symbol=symbol
        )
        published = await self.publisher.register(
            invocation.sender,
            f"suggestion-{suggestion.id}",
            attachment,
            self.tools.files.get(suggestion.sha256),
            publication,
        )
        decided = await self.tools.registry.decide(
            number, SuggestionStatus.ACCEPTED, invocation.sender, None
        )
        accepted = SuggestionAccepted(_info(decided or suggestion), published)
        await self._tell_desk(
            suggestion.delegation,
            functools.partial(announcements.suggestion_accepted, accepted),
            invocation.event_id,
        )
        return accepted

    async def decline_suggestion(
        self, invocation: Invocation, number: int, reason: str
    ) -> SuggestionInfo:
        suggestion = await self._decidable(number, SuggestionStatus.DECLINED)
        decided = await self.tools.registry.decide(
            number, SuggestionStatus.DECLINED, invocation.sender, reason
        )
        declined = _info(decided) if decided is not None else _info(suggestion, reason)
        await self._tell_desk(
            suggestion.delegation,
            functools.partial(announcements.suggestion_declined, declined),
            invocation.event_id,
        )
        return declined

    async def _decidable(self, number: int, decision: SuggestionStatus) -> Suggestion:
        suggestion = await self.tools.registry.suggestion(number)
        if suggestion is None:
            raise NoSuchSuggestion(number)
        if not suggestion.status.may_become(decision):
            raise SuggestionDecided(number, suggestion.status)
        return suggestion

    async def _tell_desk(self, delegation: str, notice: Worded, source_event_id: str) -> None:
        """In the delegation's desk: its focal point's room, so in their language."""
        ref = RoomRef(RoomKind.DESK, delegation=DelegationCode(delegation))
        desk = self.rooms.room_id(ref)
        if desk is not None:
            worded = await self.publisher.readers(ref, notice)
            await self.gateway.send_notice(desk, worded, txn_id=txn_id("desk", source_event_id))


def _info(s: Suggestion, reason: str | None = None) -> SuggestionInfo:
    return SuggestionInfo(
        s.id, s.delegation, s.file_name, s.suggested_at, s.status, reason or s.reason
    )

"""The documents registry: published documents by folder and version, proposals, statuses,
suggestions and the last compiled draft of each document.

Repositories over `published_documents`, `proposals`, `paragraph_statuses` (each change also
appended to `paragraph_status_history`, in the same transaction) and `suggestions`;
they return frozen records. Every write is keyed by the Matrix event that caused it
(`source_event_id`, unique), so handling an event twice — after a crash — never registers
anything twice. The rules (which proposal supersedes which, which status may follow which) are
`documents.proposals` and `documents.lifecycles`; the statuses are stored as their values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.models import ParagraphStatus as ParagraphStatusRecord
from bot.storage.models import (
    ParagraphStatusChange,
    ProposalRecord,
    PublishedDocument,
    SuggestionRecord,
)
from bot.storage.registry_records import (
    Draft,
    Proposal,
    Published,
    Suggestion,
    proposal_record,
    published_record,
    suggestion_record,
)
from documents.lifecycles import ParagraphStatus, SuggestionStatus
from documents.proposals import standing, supersedes

__all__ = ["Draft", "Proposal", "Published", "Registry", "Suggestion"]


class Registry:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._session = db._session

    # -- published documents ------------------------------------------------------------------

    async def by_source(self, source_event_id: str) -> Published | None:
        async with self._session() as s:
            row = await s.scalar(
                select(PublishedDocument).where(
                    PublishedDocument.source_event_id == source_event_id
                )
            )
            return published_record(row) if row else None

    async def publish(
        self,
        *,
        folder: str,
        title: str,
        file_name: str,
        symbol: str | None,
        classification: str,
        language: str,
        sha256: str,
        size: int,
        mimetype: str,
        publisher: str,
        source_event_id: str,
    ) -> Published:
        """Register the next version of `file_name` in `folder` (once per source event)."""
        existing = await self.by_source(source_event_id)
        if existing is not None:
            return existing
        async with self._session.begin() as s:
            latest = await s.scalar(
                select(func.max(PublishedDocument.version)).where(
                    PublishedDocument.folder == folder, PublishedDocument.file_name == file_name
                )
            )
            row = PublishedDocument(
                folder=folder,
                title=title,
                file_name=file_name,
                version=(latest or 0) + 1,
                symbol=symbol,
                classification=classification,
                language=language,
                sha256=sha256,
                size=size,
                mimetype=mimetype,
                publisher=publisher,
                published_at=datetime.now(UTC),
                source_event_id=source_event_id,
            )
            s.add(row)
            try:
                await s.flush()
            except IntegrityError:
                await s.rollback()
                found = await self.by_source(source_event_id)
                assert found is not None
                return found
            return published_record(row)

    async def posted(
        self, document_id: int, room_id: str, event_id: str, file_info: dict[str, Any]
    ) -> None:
        async with self._session.begin() as s:
            await s.execute(
                update(PublishedDocument)
                .where(PublishedDocument.id == document_id)
                .values(room_id=room_id, event_id=event_id, file_info=json.dumps(file_info))
            )

    async def current(self, folder: str | None = None) -> list[Published]:
        """The latest version of each document (of one folder, or all), by folder and name."""
        async with self._session() as s:
            rows = (await s.scalars(select(PublishedDocument))).all()
        latest: dict[tuple[str, str], PublishedDocument] = {}
        for row in rows:
            if folder is not None and row.folder != folder:
                continue
            key = (row.folder, row.file_name)
            if key not in latest or row.version > latest[key].version:
                latest[key] = row
        return [published_record(latest[k]) for k in sorted(latest)]

    async def latest(self, file_name: str, folder: str | None = None) -> Published | None:
        matches = [d for d in await self.current(folder) if d.file_name == file_name]
        return matches[0] if matches else None

    async def version(self, file_name: str, version: int, folder: str) -> Published | None:
        """One published version of a document (a round's, which a later one may follow)."""
        async with self._session() as s:
            row = await s.scalar(
                select(PublishedDocument).where(
                    PublishedDocument.file_name == file_name,
                    PublishedDocument.version == version,
                    PublishedDocument.folder == folder,
                )
            )
            return published_record(row) if row else None

    # -- proposals ----------------------------------------------------------------------------

    async def proposal_by_source(self, source_event_id: str) -> Proposal | None:
        async with self._session() as s:
            row = await s.scalar(
                select(ProposalRecord).where(ProposalRecord.source_event_id == source_event_id)
            )
            return proposal_record(row) if row else None

    async def add_proposal(
        self,
        *,
        delegation: str,
        base_file_name: str,
        base_version: int,
        file_name: str,
        sha256: str,
        size: int,
        submitted_by: str,
        source_event_id: str,
        changes: int,
        paragraphs: list[int],
    ) -> Proposal:
        """Record a proposal; it supersedes the delegation's earlier one on the same document."""
        existing = await self.proposal_by_source(source_event_id)
        if existing is not None:
            return existing
        async with self._session.begin() as s:
            row = ProposalRecord(
                delegation=delegation,
                base_file_name=base_file_name,
                base_version=base_version,
                file_name=file_name,
                sha256=sha256,
                size=size,
                submitted_by=submitted_by,
                submitted_at=datetime.now(UTC),
                source_event_id=source_event_id,
                changes=changes,
                paragraphs=json.dumps(paragraphs),
            )
            s.add(row)
            await s.flush()
            added = proposal_record(row)
            earlier = await s.scalars(
                select(ProposalRecord).where(
                    ProposalRecord.base_file_name == base_file_name, ProposalRecord.id != row.id
                )
            )
            for other in earlier.all():
                if supersedes(added, proposal_record(other)):
                    other.superseded_by = row.id
            return added

    async def proposals(
        self, *, base_file_name: str | None = None, delegation: str | None = None
    ) -> list[Proposal]:
        """Every proposal on record (superseded ones too), oldest first."""
        query = select(ProposalRecord).order_by(ProposalRecord.id)
        if base_file_name is not None:
            query = query.where(ProposalRecord.base_file_name == base_file_name)
        if delegation is not None:
            query = query.where(ProposalRecord.delegation == delegation)
        async with self._session() as s:
            return [proposal_record(r) for r in (await s.scalars(query)).all()]

    async def latest_proposals(
        self, base_file_name: str, base_version: int | None = None
    ) -> list[Proposal]:
        """The standing proposal of each delegation on the document (made on `base_version`,
        if given), by delegation code."""
        return standing(await self.proposals(base_file_name=base_file_name), base_version)

    # -- paragraph statuses -------------------------------------------------------------------

    async def set_status(
        self,
        base_file_name: str,
        paragraphs: list[int],
        status: ParagraphStatus,
        set_by: str,
        meeting: str | None = None,
        *,
        version: int | None = None,
        round_id: int | None = None,
    ) -> None:
        """Mark the paragraphs, and append each change to its paragraph's history (`version`:
        the document's version they were marked on; `round_id`: the round on it, if any)."""
        now = datetime.now(UTC)
        async with self._session.begin() as s:
            for number in paragraphs:
                row = await s.get(ParagraphStatusRecord, (base_file_name, number))
                if row is None:
                    row = ParagraphStatusRecord(base_file_name=base_file_name, paragraph=number)
                    s.add(row)
                row.status = status.value
                row.meeting = meeting
                row.set_by = set_by
                row.set_at = now
                s.add(
                    ParagraphStatusChange(
                        base_file_name=base_file_name,
                        paragraph=number,
                        status=status.value,
                        meeting=meeting,
                        version=version,
                        round_id=round_id,
                        set_by=set_by,
                        set_at=now,
                    )
                )

    async def statuses(self, base_file_name: str) -> dict[int, ParagraphStatus]:
        """The paragraphs someone marked (the others are open)."""
        async with self._session() as s:
            rows = (
                await s.scalars(
                    select(ParagraphStatusRecord).where(
                        ParagraphStatusRecord.base_file_name == base_file_name
                    )
                )
            ).all()
            return {r.paragraph: ParagraphStatus(r.status) for r in rows}

    # -- compiled drafts ----------------------------------------------------------------------

    async def save_draft(self, base_file_name: str, draft: Draft) -> None:
        await self._db.put(_draft_key(base_file_name), json.dumps(asdict(draft)))

    async def draft(self, base_file_name: str) -> Draft | None:
        stored = await self._db.get(_draft_key(base_file_name))
        return None if stored is None else Draft(**json.loads(stored))

    # -- suggestions ---------------------------------------------------------------------------

    async def suggest(
        self,
        *,
        delegation: str,
        file_name: str,
        sha256: str,
        size: int,
        mimetype: str,
        suggested_by: str,
        source_event_id: str,
    ) -> Suggestion:
        async with self._session.begin() as s:
            row = await s.scalar(
                select(SuggestionRecord).where(SuggestionRecord.source_event_id == source_event_id)
            )
            if row is None:
                row = SuggestionRecord(
                    delegation=delegation,
                    file_name=file_name,
                    sha256=sha256,
                    size=size,
                    mimetype=mimetype,
                    suggested_by=suggested_by,
                    suggested_at=datetime.now(UTC),
                    source_event_id=source_event_id,
                    status=SuggestionStatus.PENDING.value,
                )
                s.add(row)
                await s.flush()
            return suggestion_record(row)

    async def suggestions(self, status: SuggestionStatus | None = None) -> list[Suggestion]:
        query = select(SuggestionRecord).order_by(SuggestionRecord.id)
        if status is not None:
            query = query.where(SuggestionRecord.status == status.value)
        async with self._session() as s:
            return [suggestion_record(r) for r in (await s.scalars(query)).all()]

    async def decide(
        self, number: int, status: SuggestionStatus, decided_by: str, reason: str | None
    ) -> Suggestion | None:
        """Move a suggestion to `status` (accepted, declined); None if there is no such
        suggestion or its lifecycle does not allow it (it was decided already)."""
        async with self._session.begin() as s:
            row = await s.get(SuggestionRecord, number)
            if row is None or not SuggestionStatus(row.status).may_become(status):
                return None
            row.status = status.value
            row.reason = reason
            row.decided_by = decided_by
            row.decided_at = datetime.now(UTC)
            return suggestion_record(row)

    async def suggestion(self, number: int) -> Suggestion | None:
        async with self._session() as s:
            row = await s.get(SuggestionRecord, number)
            return suggestion_record(row) if row else None


def _draft_key(file_name: str) -> str:
    return "draft:" + hashlib.sha256(file_name.encode()).hexdigest()[:32]

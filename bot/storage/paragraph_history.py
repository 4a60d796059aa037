"""What `!history`, `!pending` and the compilation matrix read of a document's past: every
published version of it, the rounds held on its versions, and each status its paragraphs took.

Read only: the status changes are written by `Registry.set_status` (bot/storage/registry.py), in
the same transaction as the status itself. A round is the one on record for a version (the
latest not cancelled, `rounds`); a version without one is spoken of as the version alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import ParagraphStatusChange, PublishedDocument, RoundRecord
from bot.storage.registry import Published
from bot.storage.registry_records import published_record as published_of
from documents.lifecycles import ParagraphStatus, StatusEntry


@dataclass(frozen=True)
class StatusChange:
    paragraph: int
    status: ParagraphStatus
    meeting: str | None
    version: int | None  # the version it was marked on (None: marked before versions were kept)
    round_id: int | None
    set_by: str
    set_at: datetime

    def entry(self) -> StatusEntry:
        return StatusEntry(self.status, self.version, self.meeting, self.set_at.date().isoformat())


@dataclass(frozen=True)
class RoundOn:
    """The round held on one version of a document."""

    id: int
    version: int
    opens_at: datetime
    closes_at: datetime
    meeting: str | None


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class ParagraphHistory:
    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def versions(self, folder: str, file_name: str) -> list[Published]:
        """Every published version of the document, oldest first."""
        async with self._session() as s:
            rows = await s.scalars(
                select(PublishedDocument)
                .where(PublishedDocument.folder == folder, PublishedDocument.file_name == file_name)
                .order_by(PublishedDocument.version)
            )
            return [published_of(r) for r in rows.all()]

    async def changes(self, base_file_name: str) -> list[StatusChange]:
        """Every status change of the document's paragraphs, in the order they were made."""
        async with self._session() as s:
            rows = await s.scalars(
                select(ParagraphStatusChange)
                .where(ParagraphStatusChange.base_file_name == base_file_name)
                .order_by(ParagraphStatusChange.id)
            )
            return [
                StatusChange(
                    r.paragraph,
                    ParagraphStatus(r.status),
                    r.meeting,
                    r.version,
                    r.round_id,
                    r.set_by,
                    _utc(r.set_at),
                )
                for r in rows.all()
            ]

    async def by_paragraph(self, base_file_name: str) -> dict[int, list[StatusEntry]]:
        """The compilation matrix's status history: each paragraph's changes, in order."""
        story: dict[int, list[StatusEntry]] = {}
        for change in await self.changes(base_file_name):
            story.setdefault(change.paragraph, []).append(change.entry())
        return story

    async def rounds(self, document: str) -> dict[int, RoundOn]:
        """The round on each version of the document that had one (the latest not cancelled)."""
        async with self._session() as s:
            rows = await s.scalars(
                select(RoundRecord)
                .where(RoundRecord.document == document, RoundRecord.cancelled_at.is_(None))
                .order_by(RoundRecord.id)
            )
            return {
                r.version: RoundOn(r.id, r.version, _utc(r.opens_at), _utc(r.closes_at), r.meeting)
                for r in rows.all()
            }

"""The documents registry's records: frozen copies of its rows, which the rest of the bot reads
(`bot/storage/registry.py` writes and reads the tables)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.models import ProposalRecord, PublishedDocument, SuggestionRecord
from documents.lifecycles import SuggestionStatus

__all__ = ["Draft", "Proposal", "Published", "Suggestion"]


@dataclass(frozen=True)
class Published:
    id: int
    folder: str
    title: str
    file_name: str
    version: int
    symbol: str | None
    classification: str
    language: str
    sha256: str
    size: int
    mimetype: str
    publisher: str
    published_at: datetime
    room_id: str | None
    event_id: str | None
    file_info: dict[str, Any] | None


@dataclass(frozen=True)
class Proposal:
    id: int
    delegation: str
    base_file_name: str
    base_version: int
    file_name: str
    sha256: str
    size: int
    submitted_by: str
    submitted_at: datetime
    changes: int
    paragraphs: list[int]
    superseded_by: int | None


@dataclass(frozen=True)
class Suggestion:
    id: int
    delegation: str
    file_name: str
    sha256: str
    size: int
    mimetype: str
    suggested_by: str
    suggested_at: datetime
    status: SuggestionStatus
    reason: str | None


@dataclass(frozen=True)
class Draft:
    """The last compilation of a document: what `!distribute` publishes (file store digests)."""

    base_version: int
    revision: str
    clean: str
    revision_name: str
    compiled_by: str


def suggestion_record(row: SuggestionRecord) -> Suggestion:
    return Suggestion(
        row.id,
        row.delegation,
        row.file_name,
        row.sha256,
        row.size,
        row.mimetype,
        row.suggested_by,
        as_utc(row.suggested_at),
        SuggestionStatus(row.status),
        row.reason,
    )


def as_utc(when: datetime) -> datetime:
    # SQLite gives back naive datetimes; every time the platform writes is UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def published_record(row: PublishedDocument) -> Published:
    return Published(
        row.id,
        row.folder,
        row.title,
        row.file_name,
        row.version,
        row.symbol,
        row.classification,
        row.language,
        row.sha256,
        row.size,
        row.mimetype,
        row.publisher,
        as_utc(row.published_at),
        row.room_id,
        row.event_id,
        json.loads(row.file_info) if row.file_info else None,
    )


def proposal_record(row: ProposalRecord) -> Proposal:
    return Proposal(
        row.id,
        row.delegation,
        row.base_file_name,
        row.base_version,
        row.file_name,
        row.sha256,
        row.size,
        row.submitted_by,
        as_utc(row.submitted_at),
        row.changes,
        json.loads(row.paragraphs),
        row.superseded_by,
    )

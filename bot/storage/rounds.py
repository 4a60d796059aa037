"""Rounds in the database (issue #12): each round of a document's version, and the steps of it
already taken (`documents.rounds.Step.key`: its opening, each reminder, its close).

A round is keyed by the `!round open` command's event, so handling that command twice (after a
crash) opens it once. A step is recorded only after its effects (announcement, reminders, the
compilation) are posted; those are posted under transaction ids derived from the round, the
step and the room, so a crash between the effects and the record posts nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.database import Database
from bot.storage.models import RoundRecord, RoundStep
from documents.rounds import Round, StepKind

__all__ = ["RoundRepository", "StoredRound"]


@dataclass(frozen=True)
class StoredRound:
    """A round as recorded: its number (`id`), the schedule, who opened it."""

    id: int
    round: Round
    opened_by: str
    created_at: datetime

    @property
    def closed(self) -> bool:
        """Its close was taken (the compilation is done)."""
        return StepKind.CLOSE.value in self.round.taken

    @property
    def finished(self) -> bool:
        """Closed or cancelled: another round of its document may be opened."""
        return self.closed or self.round.cancelled


def _utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every time the platform writes is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _stored(row: RoundRecord, taken: frozenset[str]) -> StoredRound:
    reminders = tuple(timedelta(seconds=int(s)) for s in row.reminders.split(",") if s)
    return StoredRound(
        row.id,
        Round(
            document=row.document,
            version=row.version,
            opens_at=_utc(row.opens_at),
            closes_at=_utc(row.closes_at),
            reminders=reminders,
            meeting=date.fromisoformat(row.meeting) if row.meeting else None,
            cancelled=row.cancelled_at is not None,
            taken=taken,
        ),
        row.opened_by,
        _utc(row.created_at),
    )


class RoundRepository:
    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def open(
        self, round_: Round, *, opened_by: str, source_event_id: str, now: datetime
    ) -> StoredRound:
        """The round this command opens: a new one, or the one an earlier handling opened."""
        found = await self.by_source(source_event_id)
        if found is not None:
            return found
        async with self._session() as s:
            row = RoundRecord(
                document=round_.document,
                version=round_.version,
                opens_at=round_.opens_at,
                closes_at=round_.closes_at,
                reminders=",".join(str(int(r.total_seconds())) for r in round_.reminders),
                meeting=round_.meeting.isoformat() if round_.meeting else None,
                opened_by=opened_by,
                created_at=now,
                source_event_id=source_event_id,
            )
            s.add(row)
            try:
                await s.commit()
            except IntegrityError:  # the same command, handled at the same time
                await s.rollback()
                found = await self.by_source(source_event_id)
                assert found is not None
                return found
            return _stored(row, frozenset())

    async def by_source(self, source_event_id: str) -> StoredRound | None:
        rounds = await self._select(RoundRecord.source_event_id == source_event_id)
        return rounds[0] if rounds else None

    async def get(self, round_id: int) -> StoredRound | None:
        rounds = await self._select(RoundRecord.id == round_id)
        return rounds[0] if rounds else None

    async def all(self, document: str | None = None) -> list[StoredRound]:
        """Every round (of one document), in the order they were opened."""
        if document is None:
            return await self._select()
        return await self._select(RoundRecord.document == document)

    async def documents_with_rounds(self) -> set[str]:
        """The documents that have had a round (not cancelled): their proposals keep to rounds."""
        return {r.round.document for r in await self.all() if not r.round.cancelled}

    async def set_closes(self, round_id: int, closes_at: datetime) -> None:
        async with self._session.begin() as s:
            await s.execute(
                update(RoundRecord).where(RoundRecord.id == round_id).values(closes_at=closes_at)
            )

    async def cancel(self, round_id: int, by: str, at: datetime) -> None:
        async with self._session.begin() as s:
            await s.execute(
                update(RoundRecord)
                .where(RoundRecord.id == round_id, RoundRecord.cancelled_at.is_(None))
                .values(cancelled_at=at, cancelled_by=by)
            )

    async def take(self, round_id: int, key: str, at: datetime) -> None:
        """Record a step as taken (after its effects); taking it again changes nothing."""
        async with self._session() as s:
            s.add(RoundStep(round_id=round_id, key=key, taken_at=at))
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()

    async def _select(self, *where: object) -> list[StoredRound]:
        async with self._session() as s:
            rows = (
                await s.scalars(select(RoundRecord).where(*where).order_by(RoundRecord.id))  # type: ignore[arg-type]
            ).all()
            ids = [r.id for r in rows]
            taken: dict[int, set[str]] = defaultdict(set)
            if ids:
                steps = await s.scalars(select(RoundStep).where(RoundStep.round_id.in_(ids)))
                for step in steps:
                    taken[step.round_id].add(step.key)
        return [_stored(r, frozenset(taken[r.id])) for r in rows]

"""Support tickets in the database: who asked, where, when, the events' ids, and who answered.

Never a request's or an answer's text, nor a file: those stay in the end-to-end-encrypted rooms
(the asker's direct room with the bot, the Support room), which the server's operator cannot
read; the database only lets the bot find its way between them.

Every write is keyed by the Matrix event that caused it: a ticket by the `!support` command's
event (`request_event_id`), an answer by the Secretariat's reply (`answer_event_id`). Handling
an event twice, after a crash, finds the row the first handling wrote and opens or records
nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import Database
from bot.storage.models import SupportAnswer, SupportTicket

OPEN = "open"
CLOSED = "closed"


@dataclass(frozen=True)
class Ticket:
    number: int
    requester: str
    room_id: str  # the asker's direct room with the bot, where answers go
    request_event_id: str
    ticket_event_id: str | None  # the ticket's message in the Support room, once posted
    has_attachment: bool
    status: str
    opened_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None
    answers: int = 0  # answers relayed so far

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True)
class Answer:
    answer_event_id: str
    ticket_number: int
    responder: str
    relayed_event_id: str | None
    answered_at: datetime


class SupportRepository:
    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def open(
        self, requester: str, room_id: str, request_event_id: str, *, has_attachment: bool
    ) -> Ticket:
        """The ticket of this request: a new one, or the one an earlier handling opened."""
        found = await self.by_request(request_event_id)
        if found is not None:
            return found
        async with self._session() as s:
            row = SupportTicket(
                requester=requester,
                room_id=room_id,
                request_event_id=request_event_id,
                has_attachment=has_attachment,
                status=OPEN,
                opened_at=_now(),
            )
            s.add(row)
            try:
                await s.commit()
            except IntegrityError:  # the same request, handled at the same time
                await s.rollback()
                found = await self.by_request(request_event_id)
                assert found is not None
                return found
            return _ticket(row, 0)

    async def posted(self, number: int, ticket_event_id: str) -> None:
        """The ticket's message in the Support room (what the Secretariat replies to)."""
        async with self._session.begin() as s:
            await s.execute(
                update(SupportTicket)
                .where(SupportTicket.number == number)
                .values(ticket_event_id=ticket_event_id)
            )

    async def by_number(self, number: int) -> Ticket | None:
        return await self._one(SupportTicket.number == number)

    async def by_request(self, request_event_id: str) -> Ticket | None:
        return await self._one(SupportTicket.request_event_id == request_event_id)

    async def by_ticket_event(self, ticket_event_id: str) -> Ticket | None:
        return await self._one(SupportTicket.ticket_event_id == ticket_event_id)

    async def open_tickets(self) -> list[Ticket]:
        """The open tickets, oldest first."""
        async with self._session() as s:
            rows = (
                await s.scalars(
                    select(SupportTicket)
                    .where(SupportTicket.status == OPEN)
                    .order_by(SupportTicket.number)
                )
            ).all()
            counts = await self._answer_counts(s, [r.number for r in rows])
            return [_ticket(r, counts.get(r.number, 0)) for r in rows]

    async def close(self, number: int, by: str) -> bool:
        """Close an open ticket; False if there is no such ticket or it was closed already."""
        async with self._session.begin() as s:
            result = await s.execute(
                update(SupportTicket)
                .where(SupportTicket.number == number, SupportTicket.status == OPEN)
                .values(status=CLOSED, closed_at=_now(), closed_by=by)
            )
            return bool(getattr(result, "rowcount", 0))

    async def record_answer(self, answer_event_id: str, number: int, responder: str) -> Answer:
        """The answer this reply is: recorded now, or found as an earlier handling recorded it."""
        found = await self.answer(answer_event_id)
        if found is not None:
            return found
        async with self._session() as s:
            row = SupportAnswer(
                answer_event_id=answer_event_id,
                ticket_number=number,
                responder=responder,
                answered_at=_now(),
            )
            s.add(row)
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                found = await self.answer(answer_event_id)
                assert found is not None
                return found
            return _answer(row)

    async def relayed(self, answer_event_id: str, relayed_event_id: str) -> None:
        """The answer reached the asker: the bot's message in their direct room."""
        async with self._session.begin() as s:
            await s.execute(
                update(SupportAnswer)
                .where(SupportAnswer.answer_event_id == answer_event_id)
                .values(relayed_event_id=relayed_event_id)
            )

    async def answer(self, answer_event_id: str) -> Answer | None:
        async with self._session() as s:
            row = await s.get(SupportAnswer, answer_event_id)
            return _answer(row) if row is not None else None

    async def answers_to(self, number: int) -> list[Answer]:
        async with self._session() as s:
            rows = (
                await s.scalars(
                    select(SupportAnswer)
                    .where(SupportAnswer.ticket_number == number)
                    .order_by(SupportAnswer.answered_at)
                )
            ).all()
            return [_answer(r) for r in rows]

    async def _one(self, where: ColumnElement[bool]) -> Ticket | None:
        async with self._session() as s:
            row = await s.scalar(select(SupportTicket).where(where))
            if row is None:
                return None
            counts = await self._answer_counts(s, [row.number])
            return _ticket(row, counts.get(row.number, 0))

    @staticmethod
    async def _answer_counts(s: AsyncSession, numbers: list[int]) -> dict[int, int]:
        if not numbers:
            return {}
        rows = await s.execute(
            select(SupportAnswer.ticket_number, func.count())
            .where(
                SupportAnswer.ticket_number.in_(numbers),
                SupportAnswer.relayed_event_id.is_not(None),
            )
            .group_by(SupportAnswer.ticket_number)
        )
        return {int(number): int(count) for number, count in rows}


def _ticket(row: SupportTicket, answers: int) -> Ticket:
    return Ticket(
        number=row.number,
        requester=row.requester,
        room_id=row.room_id,
        request_event_id=row.request_event_id,
        ticket_event_id=row.ticket_event_id,
        has_attachment=bool(row.has_attachment),
        status=row.status,
        opened_at=_aware(row.opened_at),
        closed_at=_aware(row.closed_at) if row.closed_at else None,
        closed_by=row.closed_by,
        answers=answers,
    )


def _answer(row: SupportAnswer) -> Answer:
    return Answer(
        row.answer_event_id,
        row.ticket_number,
        row.responder,
        row.relayed_event_id,
        _aware(row.answered_at),
    )


def _aware(at: datetime) -> datetime:
    # SQLite gives back naive datetimes; they were written in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)

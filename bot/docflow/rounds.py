"""Rounds of the virtual discussion (issue #12, seed III.D): `!round`, `!schedule`, and the
window a proposal must fall in.

A round is scheduled on the current version of a document of the plan folder, one at a time per
document, and kept in the database (`bot/storage/rounds.py`); its steps — the opening, the
reminders, the close and its compilation — are taken by `bot/docflow/round_steps.py`, which this
service wakes whenever a round changes. Times come from the injected clock
(`bot/runtime/clock.py`) and are read in the working group's time zone (`timezone:`).

The window (`documents.rounds` RD5): a proposal on a document that has had a round (not
cancelled) is received only while a round of it is open, and is checked against the round's
version; outside, it is refused with the next window, else the last. A document that never had
a round takes proposals at any time, as before rounds existed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.runtime.clock import Clock
from bot.storage.registry import Published, Registry
from bot.storage.rounds import RoundRepository, StoredRound
from commands.document_refusals import BaseNotChosen
from commands.round_refusals import (
    BadMeeting,
    BadReminders,
    BadWhen,
    CloseNotAfter,
    NoRoundOf,
    NotOpenedYet,
    OutsideRound,
    RoundUnderWay,
    WhichRound,
)
from commands.rounds_deps import RoundInfo, RoundRequest, RoundState
from commands.table import Invocation
from documents.proposals import document_file_name, select_base
from documents.rounds import (
    DEFAULT_REMINDERS,
    OffsetError,
    Round,
    WhenError,
    parse_offsets,
    parse_when,
    window,
)
from room_policies.roles import FolderKey

PLAN = FolderKey.PLAN.value
_ENDED_SHOWN = 5  # `!round status` shows this many ended rounds


def round_info(stored: StoredRound, now: datetime) -> RoundInfo:
    r = stored.round
    if r.cancelled:
        state = RoundState.CANCELLED
    elif stored.closed:
        state = RoundState.CLOSED
    elif now < r.opens_at:
        state = RoundState.COMING
    elif now < r.closes_at:
        state = RoundState.OPEN
    else:
        state = RoundState.CLOSING
    return RoundInfo(
        stored.id, r.document, r.version, r.opens_at, r.closes_at, r.reminders, r.meeting, state
    )


class Rounds:
    def __init__(
        self,
        *,
        repository: RoundRepository,
        registry: Registry,
        clock: Clock,
        zone: str,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.repository = repository
        self.registry = registry
        self.clock = clock
        self.zone = zone
        self.changed = changed  # the scheduler's wake-up

    # -- !round ---------------------------------------------------------------------------------

    async def open_round(self, invocation: Invocation, request: RoundRequest) -> RoundInfo:
        already = await self.repository.by_source(invocation.event_id)
        if already is not None:  # the same command, handled again after a crash
            return round_info(already, self.clock.now())
        now = self.clock.now()
        base = await self._document(request.document)
        opens = self._when("opens", request.opens) if request.opens else now
        closes = self._when("closes", request.closes)
        if closes <= max(opens, now):
            raise CloseNotAfter(closes, max(opens, now), self.zone)
        try:
            reminders = (
                parse_offsets(request.reminders)
                if request.reminders is not None
                else DEFAULT_REMINDERS
            )
        except OffsetError as error:
            raise BadReminders(error) from None
        meeting = _meeting(request.meeting) if request.meeting else None
        for stored in await self.repository.all(base.file_name):
            if not stored.finished:
                raise RoundUnderWay(round_info(stored, now), self.zone)
        stored = await self.repository.open(
            Round(base.file_name, base.version, opens, closes, reminders, meeting),
            opened_by=invocation.sender,
            source_event_id=invocation.event_id,
            now=now,
        )
        self.changed()
        return round_info(stored, now)

    async def rounds(self) -> list[RoundInfo]:
        now = self.clock.now()
        every = [round_info(s, now) for s in await self.repository.all()]
        ended = (RoundState.CLOSED, RoundState.CANCELLED)
        under_way = [r for r in every if r.state not in ended]
        return under_way + [r for r in every if r.state in ended][-_ENDED_SHOWN:]

    async def schedule(self) -> list[RoundInfo]:
        now = self.clock.now()
        under_way = [round_info(s, now) for s in await self.repository.all() if not s.finished]
        return sorted(under_way, key=lambda r: r.closes_at)

    async def extend_round(
        self, invocation: Invocation, document: str | None, closes: str
    ) -> RoundInfo:
        stored = await self._under_way(document)
        now = self.clock.now()
        moment = self._when("closes", closes)
        after = max(stored.round.opens_at, now)
        if moment <= after:
            raise CloseNotAfter(moment, after, self.zone)
        await self.repository.set_closes(stored.id, moment)
        self.changed()
        return await self._info(stored.id)

    async def close_round(self, invocation: Invocation, document: str | None) -> RoundInfo:
        stored = await self._under_way(document)
        now = self.clock.now()
        if now < stored.round.opens_at:
            raise NotOpenedYet(round_info(stored, now), self.zone)
        if now < stored.round.closes_at:
            await self.repository.set_closes(stored.id, now)
        self.changed()
        return await self._info(stored.id)

    async def cancel_round(self, invocation: Invocation, document: str | None) -> RoundInfo:
        stored = await self._under_way(document)
        await self.repository.cancel(stored.id, invocation.sender, self.clock.now())
        self.changed()
        return await self._info(stored.id)

    # -- the window (RD5) -----------------------------------------------------------------------

    async def proposal_base(self, latest: Published) -> Published:
        """The version a proposal on `latest`'s document is checked against: the open round's;
        an `OutsideRound` refusal when the document keeps to rounds and none is open."""
        stored = [s for s in await self.repository.all(latest.file_name) if not s.round.cancelled]
        if not stored:
            return latest  # never had a round: proposals at any time
        now = self.clock.now()
        found = window((s.round for s in stored), latest.file_name, now)
        by_round = {id(s.round): s for s in stored}

        def info(r: Round | None) -> RoundInfo | None:
            return round_info(by_round[id(r)], now) if r is not None else None

        if found.open_round is None:
            raise OutsideRound(
                latest.file_name, info(found.next_round), info(found.last_round), self.zone
            )
        version = found.open_round.version
        if version == latest.version:
            return latest
        return await self.registry.version(latest.file_name, version, PLAN) or latest

    # -- helpers --------------------------------------------------------------------------------

    async def _info(self, round_id: int) -> RoundInfo:
        stored = await self.repository.get(round_id)
        assert stored is not None
        return round_info(stored, self.clock.now())

    async def _document(self, named: str) -> Published:
        plan = await self.registry.current(PLAN)
        choice = select_base([d.file_name for d in plan], named, ())
        if not isinstance(choice, str):
            raise BaseNotChosen(choice)
        return next(d for d in plan if d.file_name == choice)

    async def _under_way(self, document: str | None) -> StoredRound:
        under_way = [s for s in await self.repository.all() if not s.finished]
        if document is not None:
            wanted = document_file_name(document).lower()
            under_way = [s for s in under_way if s.round.document.lower() == wanted]
            if not under_way:
                raise NoRoundOf(document_file_name(document))
        if not under_way:
            raise NoRoundOf(None)
        if len(under_way) > 1:
            raise WhichRound(sorted(s.round.document for s in under_way))
        return under_way[0]

    def _when(self, option: str, text: str) -> datetime:
        try:
            return parse_when(text, ZoneInfo(self.zone))
        except WhenError as error:
            raise BadWhen(option, error) from None


def _meeting(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadMeeting(text) from None

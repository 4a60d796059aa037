"""The steps of rounds, taken on time (issue #12): the opening announced, the reminders, the
close compiled — each once, even across a crash.

A task of the App. It asks `documents.rounds.due` which steps are owed now, takes them, and
waits on the injected clock (`bot/runtime/clock.py`) until the next one, or until a round
changes (`wake`). A step is recorded (`bot/storage/rounds.py`) only after its effects are
posted, and every message it posts carries a transaction id derived from the round, the step and
the room: a bot stopped between the effects and the record posts them again at its next start
under the same ids, and the homeserver drops the copies (the same device and access token as
before, `bot/matrix/gateway.py`). A bot that was down across several reminders sends only the
latest (RD3), and none once the round has closed.

- the opening: the announcement in the plenary and the plan folder, with the .ics of the close
  and the meeting;
- a reminder: each desk whose delegation has no standing proposal on the round's version, in
  its focal point's language, and one short notice in the plenary;
- the close: the compilation (`Compiler.compile_round`, the same as `!compile`) and its summary
  (who submitted, who did not, conflicts) in the moderation room.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.docflow.compilation import Compiler
from bot.docflow.rounds import Rounds, round_info
from bot.docflow.transfer import FileTransfer, txn_id
from bot.governance.service import Governance
from bot.storage.registry import Registry
from bot.storage.rounds import StoredRound
from commands import round_words
from commands.documents_deps import PendingApprovals
from commands.history import pending_reply
from commands.i18n import Translate, language_of, translator
from commands.multilingual import Worded
from commands.reply import Reply
from commands.round_calendar import calendar
from commands.rounds_deps import RoundClosed, RoundInfo
from commands.table import Refusal
from documents.rounds import Step, StepKind, due
from room_policies.roles import DelegationCode, FolderKey, RoomKind
from room_policies.rooms import RoomRef

log = logging.getLogger(__name__)

PLENARY = RoomRef(RoomKind.PLENARY)
PLAN_FOLDER = RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN)
MODERATION = RoomRef(RoomKind.MODERATION)
CALENDAR = "text/calendar"


class RoundSteps:
    def __init__(
        self,
        *,
        rounds: Rounds,
        governance: Governance,
        registry: Registry,
        compiler: Compiler,
        transfer: FileTransfer,
        domain: str,
        max_backoff_s: float = 60.0,
        pending: Callable[[str], Awaitable[PendingApprovals]] | None = None,
    ) -> None:
        # What the formal meeting must approve (`!pending`): told with the close's summary.
        self.pending = pending
        self.rounds = rounds
        self.clock = rounds.clock
        self.zone = rounds.zone
        self.governance = governance
        self.registry = registry
        self.compiler = compiler
        self.transfer = transfer
        self.domain = domain
        self.max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self.taken = 0  # steps taken since the start (tests and metrics read it)

    def wake(self) -> None:
        """A round changed: look at the schedule again now."""
        self._wake.set()

    async def run(self, ready: Callable[[], Awaitable[object]]) -> None:
        """Until cancelled: take what is owed, then wait for the next step or a wake-up."""
        await ready()
        delay = 1.0
        while True:
            self._wake.clear()
            # One instant for both: a step falling due between them is waited for, not missed.
            now = self.clock.now()
            try:
                await self.catch_up(now)
                until = await self.next_step_at(now)
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("a round's step failed; trying again in %.0fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)
                continue
            await self.clock.wait(until, self._wake)

    async def catch_up(self, now: datetime | None = None) -> None:
        """Take every step owed at `now` (the clock's), in order, recording each after its
        effects."""
        now = now or self.clock.now()
        for stored in await self.rounds.repository.all():
            if stored.finished:
                continue
            for step in due(stored.round, now):
                await self.take(stored, step)
                await self.rounds.repository.take(stored.id, step.key, self.clock.now())
                self.taken += 1

    async def next_step_at(self, now: datetime | None = None) -> datetime | None:
        """The instant of the next step after `now` (the clock's), or None."""
        now = now or self.clock.now()
        coming: list[datetime] = []
        for stored in await self.rounds.repository.all():
            r = stored.round
            if stored.finished:
                continue
            if StepKind.OPEN.value not in r.taken:
                coming.append(r.opens_at)
            coming += [s.at for s in r.reminder_steps() if s.key not in r.taken]
            coming.append(r.closes_at)
        later = [at for at in coming if at > now]
        return min(later) if later else None

    async def take(self, stored: StoredRound, step: Step) -> None:
        info = round_info(stored, self.clock.now())
        seed = f"round-{stored.id}:{step.key}"
        match step.kind:
            case StepKind.OPEN:
                await self._announce(stored, info, seed)
            case StepKind.REMIND:
                await self._remind(info, seed)
            case StepKind.CLOSE:
                await self._close(info, seed)
        log.info("round %d: %s taken", stored.id, step.key)

    async def _announce(self, stored: StoredRound, info: RoundInfo, seed: str) -> None:
        language = self.governance.settings.working_languages[0]
        ics = calendar(info, stored.created_at, self.domain, translator(language))
        notice = functools.partial(round_words.announcement, info, self.zone)
        for ref in (PLENARY, PLAN_FOLDER):
            room_id = await self._tell(ref, notice, f"{seed}:{ref.key}")
            if room_id is not None:
                await self.transfer.post_file(
                    room_id,
                    ics,
                    round_words.calendar_file_name(info),
                    CALENDAR,
                    txn_id("round-ics", f"{seed}:{ref.key}"),
                )

    async def _remind(self, info: RoundInfo, seed: str) -> None:
        left = max(info.closes_at - self.clock.now(), timedelta(0))
        roster = await self.governance.roster()
        standing = await self.registry.latest_proposals(info.document, info.version)
        submitted = {p.delegation for p in standing}
        for delegation in roster.delegations if roster is not None else ():
            if delegation.code in submitted:
                continue
            desk = RoomRef(RoomKind.DESK, delegation=DelegationCode(delegation.code))
            notice = functools.partial(round_words.reminder, info, left, delegation.code, self.zone)
            await self._tell(desk, notice, f"{seed}:{desk.key}")
        notice = functools.partial(round_words.plenary_reminder, info, left, self.zone)
        await self._tell(PLENARY, notice, f"{seed}:{PLENARY.key}")

    async def _close(self, info: RoundInfo, seed: str) -> None:
        moderation = self.governance.rooms.room_id(MODERATION)
        if moderation is None:
            raise LookupError("the moderation room is not provisioned")
        try:
            closed = await self.compiler.compile_round(
                info, moderation, seed, self.governance.platform.bot_id
            )
        except Refusal as refusal:  # the engine's (a file it cannot read): the Chair is told
            closed = RoundClosed(info, (), (), (), None, None, refused=refusal)
        notice = functools.partial(round_words.closed_summary, closed, self.zone)
        await self._tell(MODERATION, notice, f"{seed}:{MODERATION.key}")
        # SPEC §3, seed III.G: paragraphs agreed ad referendum and not yet approved are listed in
        # the summary sent before the formal meeting.
        try:
            awaiting = await self.pending(info.document) if self.pending is not None else None
        except Refusal:  # the document left the plan folder: nothing awaits approval on it
            awaiting = None
        if awaiting is not None and awaiting.paragraphs:
            zone = self.zone

            def to_approve(_: Translate) -> Reply:
                return pending_reply(awaiting, language_of(_), zone)

            await self._tell(MODERATION, to_approve, f"{seed}:{MODERATION.key}:pending")

    async def _tell(self, ref: RoomRef, notice: Worded, seed: str) -> str | None:
        """Post `notice` in `ref` as its readers read it, once: the room, if it exists."""
        room_id = self.governance.rooms.room_id(ref)
        if room_id is None:
            log.warning("no room %s for a round's notice", ref.key)
            return None
        reply = await self.governance.worded(ref, notice)
        await self.governance.bot.send_notice(room_id, reply, txn_id=txn_id("round", seed))
        return room_id

"""React: undo at once what breaks a rule, report it where SPEC §2 says, write it to the audit log.

The bot's sync loop and the warden's (`StateWatch`) hand every state, membership and redaction
event of a governed room to `Enforcer.observe`. A pure judgement (`judge_event`) asks
room_policies whether the event breaks a rule; if it does, the room is reconciled (revoke the
invite, remove the joiner, restore the state), the breach is reported where
`room_policies.breaches.report_room` says (R38: the moderation room, or the focal point's desk
for their experts room) and audited. The platform's own writes are recognised and left alone.

A redaction names only the event it removes: the room's governing account fetches that event
(its sender, and whether it was state) before the redaction is judged. A removed message cannot
be brought back, so that breach is reported; a removed setting the rules need is written again
by the reconciler.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from nio import SyncResponse

from bot.governance.directory import RoomDirectory
from bot.governance.reconciler import Reconciler, RoomsUnavailable
from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from bot.runtime.metrics import Metrics
from bot.storage.database import KV_WARDEN_SYNC_TOKEN, AuditLog, AuditRecord, Database
from bot.sync.classify import joined_members
from commands.corrections import breach_notice
from commands.multilingual import Worded
from room_policies.breaches import (
    Breach,
    expert_removed_by_focal_point,
    judge_event,
    redacted_event_id,
)
from room_policies.roles import Platform, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import Roster

log = logging.getLogger(__name__)

RosterSource = Callable[[], Awaitable[Roster | None]]
Reporter = Callable[[RoomRef, Worded], Awaitable[None]]
# (roster, delegation code, expert, focal point): the focal point removed an expert by hand.
ExpertRemoved = Callable[[Roster, str, UserId, UserId], Coroutine[Any, Any, None]]


class Enforcer:
    def __init__(
        self,
        *,
        reconciler: Reconciler,
        rooms: RoomDirectory,
        roster: RosterSource,
        platform: Platform,
        audit: AuditLog,
        report: Reporter,
        server_name: str,
        metrics: Metrics | None = None,
        expert_removed: ExpertRemoved | None = None,
    ) -> None:
        self.metrics = metrics
        self.expert_removed = expert_removed
        self.reconciler = reconciler
        self.rooms = rooms
        self.roster = roster
        self.platform = platform
        self.audit = audit
        self.report = report
        self.server_name = server_name
        self._tasks: set[asyncio.Task[None]] = set()
        self.breaches_seen = 0

    async def observe(self, room_id: str, events: list[dict[str, Any]]) -> None:
        """Judge these events of one room; repair and report the breaches in the background."""
        ref = self.rooms.ref_of(room_id)
        if ref is None or not events:
            return
        roster = await self.roster()
        if roster is None:
            return
        desired = self.reconciler.desired(roster, ref)
        breaches = []
        for event in events:
            if event.get("event_id") in self.reconciler.own_events:
                continue
            redacted = None
            if event.get("type") == "m.room.redaction":
                redacted = await self._redacted(room_id, ref, event)
            breach = judge_event(roster, self.platform, ref, event, desired, redacted)
            if breach is not None:
                breaches.append(breach)
                continue
            expert = expert_removed_by_focal_point(roster, ref, event)
            if expert is not None and self.expert_removed is not None and ref.delegation:
                sender = UserId(str(event.get("sender")))
                self._spawn(self.expert_removed(roster, ref.delegation, expert, sender))
        if not breaches:
            return
        self.breaches_seen += len(breaches)
        if self.metrics is not None:
            for breach in breaches:
                self.metrics.breaches.labels(rule=breach.decision.rule).inc()
        self._spawn(self._repair(roster, ref, breaches))

    async def _redacted(
        self, room_id: str, ref: RoomRef, redaction: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The event a redaction removes, as the room's governing account sees it; None if it
        cannot be read (then the redaction is judged as one of state, R34)."""
        target = redacted_event_id(redaction)
        if target is None:
            return None
        try:
            return await self.reconciler.gateway_for(ref).room_event(room_id, target)
        except (MatrixError, RoomsUnavailable) as exc:
            log.warning("could not read the event redacted in %s: %s", ref.key, exc)
            return None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        """A repair that failed is logged and counted, never lost with its task."""
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error(
                "an enforcement task failed (%s)",
                type(error).__name__,
                exc_info=(type(error), error, error.__traceback__),
            )
            if self.metrics is not None:
                self.metrics.errors.inc()

    async def _repair(self, roster: Roster, ref: RoomRef, breaches: list[Breach]) -> None:
        started = time.monotonic()
        failure = ""
        try:
            undone = await self.reconciler.reconcile_room(roster, ref)
        except MatrixError as exc:
            log.error("could not repair %s: %s", ref.key, exc.code)
            undone, failure = [], exc.code
        failure = failure or next((c.failed for c in undone if c.failed), "")
        for breach in breaches:
            outcome = "undone" if breach.undoable and not failure else "reported"
            log.warning(
                "breach in %s by %s (%s, %s): %s in %.2fs",
                ref.key,
                breach.sender,
                breach.action,
                breach.decision.rule,
                outcome,
                time.monotonic() - started,
            )
            await self.audit.append(
                AuditRecord(
                    actor=breach.sender,
                    action=f"enforce: {breach.action}",
                    room=ref.key,
                    target="" if breach.target in breach.action else breach.target,
                    decision=outcome,
                    rule=breach.decision.rule,
                    reason=breach.decision.reason,
                )
            )
            notice = functools.partial(breach_notice, roster, ref, breach, undone, failure)
            try:
                await self.report(ref, notice)
            except MatrixError as exc:
                log.error("could not report a breach in %s: %s", ref.key, exc.code)

    async def drain(self, timeout: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def observed_events(timeline: list[Any]) -> list[dict[str, Any]]:
    """The events of a sync timeline the enforcer judges: state and redactions, as raw dicts."""
    found = []
    for event in timeline:
        source = getattr(event, "source", event)
        if not isinstance(source, dict):
            continue
        if "state_key" in source or source.get("type") == "m.room.redaction":
            found.append(source)
    return found


class StateWatch:
    """The warden's sync loop: it reads only what is not encrypted (state and membership) of the
    experts rooms it governs, and hands it to the enforcer; who joined them, to `joined` (the
    welcome: the bot is in no experts room, so it sees no expert join there)."""

    def __init__(
        self,
        gateway: Gateway,
        db: Database,
        enforcer: Enforcer,
        joined: Callable[[str, str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.gateway = gateway
        self.db = db
        self.enforcer = enforcer
        self.joined = joined
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event, timeout_ms: int = 30_000) -> None:
        try:
            await self._run(stop, timeout_ms)
        finally:
            # The joins it handed on (the welcome) end with it.
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, stop: asyncio.Event, timeout_ms: int) -> None:
        token = await self.db.get(KV_WARDEN_SYNC_TOKEN)
        dispatch = token is not None
        backoff = 0.5
        while not stop.is_set():
            try:
                sync = await self._sync_or_stop(token, timeout_ms, stop)
            except MatrixError as exc:
                log.warning("warden sync failed (%s); retrying in %.1fs", exc.code, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if sync is None:
                return
            backoff = 0.5
            if dispatch:
                for room_id, info in sync.rooms.join.items():
                    await self.enforcer.observe(room_id, observed_events(info.timeline.events))
                    for user_id, event_id in joined_members(
                        info.timeline.events, self.gateway.user_id
                    ):
                        self._spawn_join(room_id, user_id, event_id)
            dispatch = True
            token = sync.next_batch
            await self.db.put(KV_WARDEN_SYNC_TOKEN, token)

    def _spawn_join(self, room_id: str, user_id: str, event_id: str) -> None:
        if self.joined is None:
            return
        joined = self.joined

        async def once() -> None:
            try:
                await joined(room_id, user_id, event_id)
            except Exception:
                log.exception("could not handle the join of %s in %s", user_id, room_id)

        task = asyncio.create_task(once(), name=f"warden join {event_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_or_stop(
        self, token: str | None, timeout_ms: int, stop: asyncio.Event
    ) -> SyncResponse | None:
        sync_task = asyncio.ensure_future(
            self.gateway.sync(token, timeout_ms if token else 0, token is None, 50)
        )
        stop_task = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait(
                {sync_task, stop_task}, return_when=asyncio.FIRST_COMPLETED
            )
            return sync_task.result() if sync_task in done else None
        finally:
            for task in (sync_task, stop_task):
                if not task.done():
                    task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(sync_task, stop_task, return_exceptions=True)

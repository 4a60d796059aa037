"""The sync loop and the routing of what it brings.

The loop only syncs, classifies (`bot/sync/classify.py`) and queues: each command runs in a task
of its own (`bot/sync/dispatch.py`), so a slow or failing handler never stalls sync. Every event
is handled exactly once across crashes: the ledger (`handled_events`) skips what was done, the
saved sync token never passes an event still in flight (`SyncCheckpoint`), and replies carry a
transaction id derived from the command's event id, so a reply re-sent after a crash is
deduplicated by the homeserver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from nio import Event, InviteMemberEvent, MegolmEvent, RoomKeyRequest, SyncResponse

from bot.governance.enforcer import Enforcer, observed_events
from bot.governance.trust import TrustService
from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from bot.runtime.metrics import Metrics
from bot.storage.database import FIRST_START, SYNC_TOKEN, SYNC_TOKEN_MS, Database
from bot.sync.checkpoint import SyncCheckpoint
from bot.sync.classify import (
    PLAINTEXT,
    CommandEvent,
    after_own_join,
    as_command,
    joined_members,
)
from bot.sync.dispatch import Dispatcher

log = logging.getLogger(__name__)

# Someone joined a room (room id, user id, event id): e.g. a folder resends its documents.
JoinHandler = Callable[[str, str, str], Awaitable[None]]
# A room-key request from someone else's device (bot/governance/key_sharing.py).
KeyRequestHandler = Callable[[RoomKeyRequest], Coroutine[Any, Any, None]]


def every(*handlers: JoinHandler) -> JoinHandler:
    """One join handler that runs each of `handlers` (a folder's documents, the welcome): a
    failing one does not keep the others from running; the first failure is raised after."""

    async def joined(room_id: str, user_id: str, event_id: str) -> None:
        failure: Exception | None = None
        for handler in handlers:
            try:
                await handler(room_id, user_id, event_id)
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    return joined


class Router:
    def __init__(
        self,
        *,
        gateway: Gateway,
        db: Database,
        dispatcher: Dispatcher,
        metrics: Metrics,
        server_name: str,
        sync_timeout_ms: int = 30_000,
        max_backoff_s: float = 30.0,
        timeline_limit: int = 100,
        enforcer: Enforcer | None = None,
        joined: JoinHandler | None = None,
        trust: TrustService | None = None,
        support_room: Callable[[], str | None] | None = None,
        key_requests: KeyRequestHandler | None = None,
    ) -> None:
        self.trust = trust
        self.key_requests = key_requests
        # The Support room's id, once it exists: its replies to tickets are support answers.
        self.support_room = support_room
        self.joined = joined
        self.gateway = gateway
        self.enforcer = enforcer
        self.db = db
        self.dispatcher = dispatcher
        self.undecrypted = dispatcher.undecrypted
        self.metrics = metrics
        self.server_name = server_name
        self.sync_timeout_ms = sync_timeout_ms
        self.max_backoff_s = max_backoff_s
        self.timeline_limit = timeline_limit
        self._gap_floor_ms = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._checkpoint = SyncCheckpoint(None)
        self._first_start_ms = 0
        self._answered_invites: set[str] = set()
        self._saved_token: str | None = None
        self.synced = asyncio.Event()

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        token = await self.db.get(SYNC_TOKEN)
        first = await self.db.get(FIRST_START)
        if first is None:
            first = str(int(time.time() * 1000))
            await self.db.put(FIRST_START, first)
        self._first_start_ms = int(first)
        # A gap in a room's timeline (more events than one sync carries) is paged back to a
        # minute before the saved token was written; the ledger drops what was already done.
        saved_ms = await self.db.get(SYNC_TOKEN_MS)
        self._gap_floor_ms = int(saved_ms) - 60_000 if saved_ms else self._first_start_ms
        self._checkpoint = SyncCheckpoint(token)
        self._saved_token = token
        await self.undecrypted.load()
        # The very first sync of a new platform only learns where "now" is: nothing from
        # before the bot's first start is ever taken as a new command.
        replay = token is not None
        since = token
        full_state = True
        backoff = 0.5
        while not stop.is_set():
            try:
                sync = await self._sync_or_stop(since, full_state, stop)
            except MatrixError as exc:
                self.metrics.sync_failed()
                log.warning("sync failed (%s); retrying in %.1fs", exc.code, backoff)
                await _sleep_or_stop(backoff, stop)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            if sync is None:
                break
            backoff = 0.5
            full_state = False
            self.metrics.sync_succeeded()
            self._checkpoint.begin(since, sync.next_batch)
            since = sync.next_batch
            try:
                await self._route(sync, dispatch=replay)
            except Exception:
                # A fault in routing one sync is logged and counted; the bot goes on syncing.
                log.exception("routing a sync failed; the bot goes on")
                self.metrics.errors.inc()
            finally:
                self._checkpoint.seal()
            self._gap_floor_ms = int(time.time() * 1000) - 60_000
            replay = True
            await self._save_token()
            self.synced.set()

    async def _sync_or_stop(
        self, since: str | None, full_state: bool, stop: asyncio.Event
    ) -> SyncResponse | None:
        sync_task = asyncio.ensure_future(
            self.gateway.sync(
                since, 0 if full_state else self.sync_timeout_ms, full_state, self.timeline_limit
            )
        )
        stop_task = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({sync_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        if sync_task in done:
            stop_task.cancel()
            return sync_task.result()
        sync_task.cancel()
        return None

    async def drain(self, timeout: float = 10.0) -> None:
        """Let running handlers finish (on shutdown), then save the token."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        await self._save_token()

    async def _save_token(self) -> None:
        token = self._checkpoint.token()
        if token is not None and token != self._saved_token:
            await self.db.put_many({SYNC_TOKEN: token, SYNC_TOKEN_MS: str(int(time.time() * 1000))})
            self._saved_token = token

    # -- classification ---------------------------------------------------------------------

    async def _route(self, sync: SyncResponse, *, dispatch: bool) -> None:
        for room_id, invite in sync.rooms.invite.items():
            await self._answer_invite(room_id, invite.invite_state)
        changed = list(sync.device_list.changed) if sync.device_list else []
        if self.trust is not None and changed:
            # Someone's devices or keys changed: forget their cached keys, and check at once
            # whether their identity is still the one pinned (an identity change is reported).
            self.trust.devices_changed(changed)
            if dispatch:
                self._spawn_watch(changed)
        if dispatch and self.key_requests is not None:
            # nio answers only the bot's own devices; the others' requests are decided here.
            for request in sync.to_device_events:
                if isinstance(request, RoomKeyRequest):
                    self._spawn(self.key_requests(request), "room key request")
        commands: list[CommandEvent] = []
        for room_id, info in sync.rooms.join.items():
            timeline = list(info.timeline.events)
            if dispatch and self.enforcer is not None:
                await self.enforcer.observe(room_id, observed_events(timeline))
            if dispatch and self.joined is not None:
                for user_id, event_id in joined_members(timeline, self.gateway.user_id):
                    self._spawn_join(room_id, user_id, event_id)
            if dispatch and info.timeline.limited and info.timeline.prev_batch:
                floor = max(self._gap_floor_ms, self._first_start_ms)
                older = await self.gateway.older_events(room_id, info.timeline.prev_batch, floor)
                if older:
                    log.info("filled a gap of %d events in %s", len(older), room_id)
                timeline = older + timeline
            for event in after_own_join(timeline, self.gateway.user_id):
                if isinstance(event, MegolmEvent):
                    if dispatch:
                        await self.undecrypted.add(room_id, event)
                    continue
                command = self._as_command(room_id, event)
                if command is not None:
                    commands.append(command)
        for room_id, event in await self.undecrypted.retry():
            command = self._as_command(room_id, event)
            if command is not None:
                commands.append(command)
            else:
                await self.undecrypted.forget(event.event_id)
        self.metrics.undecrypted.set(len(self.undecrypted))
        if not dispatch or not commands:
            return
        done = await self.db.handled_among(c.event_id for c in commands)
        for command in commands:
            if command.event_id in done or self._checkpoint.in_flight(command.event_id):
                continue
            self._checkpoint.hold(command.event_id)
            task = asyncio.create_task(self._handle(command), name=f"cmd {command.event_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _spawn_watch(self, user_ids: list[str]) -> None:
        assert self.trust is not None
        self._spawn(self.trust.watch(user_ids), "identity watch")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _spawn_join(self, room_id: str, user_id: str, event_id: str) -> None:
        async def once() -> None:
            if await self.db.is_handled(event_id):
                return
            assert self.joined is not None
            try:
                await self.joined(room_id, user_id, event_id)
                await self.db.mark_handled(event_id, room_id, "joined")
            except Exception:
                log.exception("could not welcome %s in %s", user_id, room_id)

        task = asyncio.create_task(once(), name=f"join {event_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _as_command(self, room_id: str, event: Event) -> CommandEvent | None:
        return as_command(
            room_id,
            event,
            own_user_id=self.gateway.user_id,
            first_start_ms=self._first_start_ms,
            takes_uploads=self.dispatcher.uploads is not None,
            proof=self.trust.proof_of(room_id, event) if self.trust else PLAINTEXT,
            support_room=self.support_room() if self.support_room is not None else None,
        )

    async def _handle(self, command: CommandEvent) -> None:
        if await self.dispatcher.handle(command):
            # Handled for good: the saved sync token may now pass this event.
            self._checkpoint.release(command.event_id)
            await self._save_token()

    async def _answer_invite(self, room_id: str, state: list[Any]) -> None:
        if room_id in self._answered_invites:
            return
        inviter = None
        for ev in state:
            if (
                isinstance(ev, InviteMemberEvent)
                and ev.state_key == self.gateway.user_id
                and ev.membership == "invite"
            ):
                inviter = ev.sender
        if inviter is None:
            return
        self._answered_invites.add(room_id)
        try:
            if inviter.endswith(":" + self.server_name):
                await self.gateway.join(room_id)
                log.info("joined %s on the invitation of %s", room_id, inviter)
            else:
                await self.gateway.leave(room_id)
                log.info("declined an invitation to %s from another server", room_id)
        except MatrixError as exc:
            self._answered_invites.discard(room_id)
            log.warning("could not answer the invitation to %s: %s", room_id, exc)


async def _sleep_or_stop(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

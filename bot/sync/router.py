"""The sync loop and the routing of what it brings.

The loop only syncs, classifies and queues: each command runs in a task of its own, so a slow
or failing handler never stalls sync. Every event is handled exactly once across crashes:
the ledger (`handled_events`) skips what was done, the saved sync token never passes an event
still in flight (`SyncCheckpoint`), and replies carry a transaction id derived from the command's
event id, so a reply re-sent after a crash is deduplicated by the homeserver.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nio import (
    Event,
    InviteMemberEvent,
    MegolmEvent,
    RoomEncryptedFile,
    RoomMemberEvent,
    RoomMessageFile,
    RoomMessageText,
    SyncResponse,
)

from bot.governance.enforcer import Enforcer, observed_events
from bot.governance.service import Governance
from bot.governance.trust import TrustService
from bot.matrix.e2ee import UndecryptedQueue
from bot.matrix.errors import MatrixError, NotEncrypted
from bot.matrix.gateway import Gateway
from bot.runtime.metrics import Metrics
from bot.storage.database import FIRST_START, SYNC_TOKEN, SYNC_TOKEN_MS, AuditRecord, Database
from bot.sync.checkpoint import SyncCheckpoint
from commands import trust as trust_words
from commands.parsing import is_command
from commands.reply import Reply
from commands.table import (
    Attachment,
    CommandTable,
    Invocation,
    Refusal,
    Refused,
    UsageError,
)
from room_policies.trust import SenderProof

log = logging.getLogger(__name__)

PLAINTEXT = SenderProof(encrypted=False)


def reply_txn_id(event_id: str) -> str:
    """Same command, same transaction id: the homeserver drops a reply sent twice."""
    return "plenaria-reply-" + hashlib.sha256(event_id.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CommandEvent:
    """A command to handle — or, with an empty body, a file uploaded on its own."""

    room_id: str
    event_id: str
    sender: str
    body: str
    sent_ms: int
    thread_root: str | None
    attachment: Attachment | None = None
    reply_to: str | None = None
    # How the bot's crypto received it (room_policies.trust): plaintext unless decrypted.
    proof: SenderProof = PLAINTEXT

    @property
    def is_upload(self) -> bool:
        return not self.body and self.attachment is not None


# Where uploads go: the shell's intake decides by room and role (a reply, or None: ignored).
UploadHandler = Callable[[Invocation], Awaitable[Reply | None]]
# Someone joined a room (room id, user id, event id): e.g. a folder resends its documents.
JoinHandler = Callable[[str, str, str], Awaitable[None]]


class Router:
    def __init__(
        self,
        *,
        gateway: Gateway,
        db: Database,
        table: CommandTable,
        deps: Any,
        metrics: Metrics,
        server_name: str,
        sync_timeout_ms: int = 30_000,
        max_backoff_s: float = 30.0,
        timeline_limit: int = 100,
        governance: Governance | None = None,
        enforcer: Enforcer | None = None,
        uploads: UploadHandler | None = None,
        joined: JoinHandler | None = None,
        trust: TrustService | None = None,
    ) -> None:
        self.trust = trust
        self.uploads = uploads
        self.joined = joined
        self.gateway = gateway
        self.governance = governance
        self.enforcer = enforcer
        self.db = db
        self.table = table
        self.deps = deps
        self.metrics = metrics
        self.server_name = server_name
        self.sync_timeout_ms = sync_timeout_ms
        self.max_backoff_s = max_backoff_s
        self.timeline_limit = timeline_limit
        self._gap_floor_ms = 0
        self.undecrypted = UndecryptedQueue(gateway, db)
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
        commands: list[CommandEvent] = []
        for room_id, info in sync.rooms.join.items():
            timeline = list(info.timeline.events)
            if dispatch and self.enforcer is not None:
                await self.enforcer.observe(room_id, observed_events(timeline))
            if dispatch and self.joined is not None:
                for event in timeline:
                    if (
                        isinstance(event, RoomMemberEvent)
                        and event.membership == "join"
                        and event.prev_membership != "join"
                        and event.state_key != self.gateway.user_id
                    ):
                        self._spawn_join(room_id, event.state_key, event.event_id)
            if dispatch and info.timeline.limited and info.timeline.prev_batch:
                floor = max(self._gap_floor_ms, self._first_start_ms)
                older = await self.gateway.older_events(room_id, info.timeline.prev_batch, floor)
                if older:
                    log.info("filled a gap of %d events in %s", len(older), room_id)
                timeline = older + timeline
            for event in self._after_own_join(timeline):
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
        task = asyncio.create_task(self.trust.watch(user_ids), name="identity watch")
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

    def _after_own_join(self, events: Iterable[Event]) -> list[Event]:
        """Drop what a room held before the bot joined it: that is history, not a command."""
        events = list(events)
        for i in range(len(events) - 1, -1, -1):
            ev = events[i]
            if (
                isinstance(ev, RoomMemberEvent)
                and ev.state_key == self.gateway.user_id
                and ev.membership == "join"
                and ev.prev_membership != "join"
            ):
                return events[i + 1 :]
        return events

    def _as_command(self, room_id: str, event: Event) -> CommandEvent | None:
        """A command (a text, or a file's caption), or a file uploaded alone; else None."""
        is_file = isinstance(event, (RoomEncryptedFile, RoomMessageFile))
        if not (isinstance(event, RoomMessageText) or is_file):
            return None
        if event.sender == self.gateway.user_id or event.server_timestamp < self._first_start_ms:
            return None
        content = event.source.get("content", {})
        relates = content.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace":
            return None  # an edit of an earlier command is not a new command
        thread_root = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
        reply_to = None
        if not relates.get("is_falling_back"):
            reply_to = (relates.get("m.in_reply_to") or {}).get("event_id")
        attachment = None
        body = str(getattr(event, "body", ""))
        if is_file:
            attachment = Attachment.from_content(event.event_id, content)
            # A file's body is its caption when the file name is given apart (MSC2530).
            filename = content.get("filename")
            body = body if filename and body != filename else ""
            if body and not is_command(body):
                body = ""
        elif not is_command(body):
            return None
        if attachment is None and not body:
            return None
        if not body and self.uploads is None:
            return None
        return CommandEvent(
            room_id=room_id,
            event_id=event.event_id,
            sender=event.sender,
            body=body,
            sent_ms=event.server_timestamp,
            thread_root=thread_root,
            attachment=attachment,
            reply_to=reply_to,
            proof=self.trust.proof_of(room_id, event) if self.trust else PLAINTEXT,
        )

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

    # -- handling ---------------------------------------------------------------------------

    async def _handle(self, command: CommandEvent) -> None:
        outcome = "ok"
        name = "?"
        reason = ""
        reply: Reply | None
        try:
            invocation = await self._invocation(command)
            if self.trust is not None:
                verdict = await self.trust.judge(command.sender, command.proof)
                if not verdict.allowed:
                    # room_policies.trust: act only on what provably comes from the person.
                    name = "upload" if command.is_upload else _command_word(command.body)
                    raise Refusal(trust_words.refusal(verdict))
            if command.is_upload:
                assert self.uploads is not None
                name = "upload"
                reply = await self.uploads(invocation)
            else:
                bound = self.table.bind(command.body, invocation)
                name = bound.command.name
                reply = await bound.command.handler(self.deps, invocation, bound.args)
        except Refused as exc:
            reply, outcome, reason, name = exc.reply, "refused", exc.reply.text, exc.command
        except Refusal as exc:
            reply, outcome, reason = Reply.plain(f"Refused: {exc.reason}"), "refused", exc.reason
        except UsageError as exc:
            reply, outcome = exc.reply, "usage"
        except Exception:
            ref = secrets.token_hex(3)
            # The traceback names the handler, never the message's content.
            log.exception("handler for %s failed (ref %s)", command.event_id, ref)
            self.metrics.errors.inc()
            reply = Reply.plain(
                f"Internal error (ref {ref}). The Secretariat can trace it with this reference."
            )
            outcome = "error"
        self.metrics.commands.labels(command=name).inc()
        await self._audit(command, name, outcome, reason)
        try:
            if reply is not None:
                try:
                    await self._send_reply(command, reply)
                except NotEncrypted:
                    # SPEC §2: nothing goes out in plaintext. The command is handled; the audit
                    # log says its answer was withheld, and why.
                    outcome = "unanswered"
                    await self._audit(
                        command,
                        name,
                        outcome,
                        "The platform did not send its answer: it does not see the room as "
                        "end-to-end encrypted, and it sends nothing in plaintext.",
                    )
            await self.db.mark_handled(command.event_id, command.room_id, outcome)
            await self.undecrypted.forget(command.event_id)
            self.metrics.events.labels(outcome=outcome).inc()
            self._checkpoint.release(command.event_id)
            await self._save_token()
        except Exception:
            # Not marked handled: the token stays before this event, so the next start
            # handles it again, and the same transaction id keeps the reply single.
            log.exception("could not deliver the reply to %s", command.event_id)
            self.metrics.events.labels(outcome="undelivered").inc()

    async def _invocation(self, command: CommandEvent) -> Invocation:
        invocation = Invocation(
            sender=command.sender,
            room_id=command.room_id,
            event_id=command.event_id,
            body=command.body,
            sent_ms=command.sent_ms,
            now_ms=int(time.time() * 1000),
            attachment=command.attachment,
            reply_to=command.reply_to,
        )
        if self.governance is None:
            return invocation
        context = await self.governance.context(command.sender, command.room_id)
        return dataclasses.replace(
            invocation, role=context.role, place=context.place, delegation=context.delegation
        )

    async def _audit(self, command: CommandEvent, name: str, outcome: str, reason: str) -> None:
        """SPEC §6: every command in the audit log (who, what, where, decision), no content."""
        if self.governance is None:
            return
        ref = self.governance.rooms.ref_of(command.room_id)
        try:
            await self.governance.audit.append(
                AuditRecord(
                    actor=command.sender,
                    action=f"!{name}",
                    room=ref.key if ref else command.room_id,
                    target="",
                    decision=outcome,
                    rule="",
                    reason=reason,
                )
            )
        except Exception:
            log.exception("could not audit %s", command.event_id)

    async def _send_reply(self, command: CommandEvent, reply: Reply) -> None:
        delay = 0.5
        for attempt in range(8):
            try:
                await self.gateway.send_notice(
                    command.room_id,
                    reply,
                    in_reply_to=command.event_id,
                    thread_root=command.thread_root,
                    txn_id=reply_txn_id(command.event_id),
                )
                return
            except NotEncrypted:
                raise
            except MatrixError:
                if attempt == 7:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)


def _command_word(body: str) -> str:
    word = body.strip().split(maxsplit=1)[0] if body.strip() else "?"
    return word.lstrip("!")[:32] or "?"


async def _sleep_or_stop(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

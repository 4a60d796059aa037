"""Handling one command (or upload) that the sync loop queued: the path every command takes.

1. Who asks and where (`Governance.context`: role, room kind, delegation) → an `Invocation`.
2. Trust (`bot/governance/trust.py`, rules in `room_policies/trust.py`): only what provably
   comes from the person's verified session is acted on.
3. Parse, authorise and validate against the table (`commands/table.py`), run the handler with
   the capability it needs from the services record (`commands/services.py`); an upload goes to
   the intake instead.
4. Audit (SPEC §6: who, what, where, decision; never the content), reply threaded under the
   command with a transaction id derived from its event id, mark it handled in the ledger, and
   let the checkpoint move the sync token past it.

Every failure has an owner: a refusal or a usage error is the asker's and answered as such; any
other exception is the platform's, logged with a reference and answered "Internal error (ref …)".
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from bot.governance.languages import Languages
from bot.governance.service import Governance
from bot.governance.trust import TrustService
from bot.matrix.e2ee import UndecryptedQueue
from bot.matrix.errors import MatrixError, NotEncrypted
from bot.matrix.gateway import Gateway
from bot.runtime.metrics import Metrics
from bot.storage.database import AuditRecord, Database
from bot.sync.after_reply import AfterReply
from bot.sync.classify import CommandEvent, command_word, reply_txn_id
from commands import trust as trust_words
from commands.i18n import SOURCE_LANGUAGE, translator
from commands.reply import Reply
from commands.services import Services
from commands.table import (
    ANSWER_WITHHELD,
    CommandTable,
    Invocation,
    Refusal,
    Refused,
    UsageError,
    internal_error,
)
from documents.errors import EngineFault

log = logging.getLogger(__name__)

# Where uploads go: the shell's intake decides by room and role (a reply, or None: ignored).
UploadHandler = Callable[[Invocation], Awaitable[Reply | None]]
# Where support answers go (bot/governance/support.py): relayed or not, the outcome for the
# ledger; an exception leaves the answer for the next start.
AnswerHandler = Callable[[CommandEvent], Awaitable[str]]


class Dispatcher:
    def __init__(
        self,
        *,
        gateway: Gateway,
        db: Database,
        table: CommandTable[Services],
        services: Services,
        metrics: Metrics,
        undecrypted: UndecryptedQueue,
        max_backoff_s: float = 30.0,
        governance: Governance | None = None,
        trust: TrustService | None = None,
        uploads: UploadHandler | None = None,
        languages: Languages | None = None,
        timezone: str = "UTC",
        support_answers: AnswerHandler | None = None,
        after_reply: AfterReply | None = None,
    ) -> None:
        self.after_reply = after_reply
        self.languages = languages
        self.timezone = timezone
        self.support_answers = support_answers
        self.gateway = gateway
        self.db = db
        self.table = table
        self.services = services
        self.metrics = metrics
        self.undecrypted = undecrypted
        self.max_backoff_s = max_backoff_s
        self.governance = governance
        self.trust = trust
        self.uploads = uploads

    async def handle(self, command: CommandEvent) -> bool:
        """Handle one command or upload; True once it is handled for good (answered, or its
        answer withheld, and marked in the ledger), False if the next start must redo it."""
        if command.answers is not None:
            return await self._relay(command)
        outcome = "ok"
        name = "?"
        reason = ""
        reply: Reply | None
        _ = translator(SOURCE_LANGUAGE)
        try:
            invocation = await self._invocation(command)
            _ = translator(invocation.language)
            if self.trust is not None:
                verdict = await self.trust.judge(command.sender, command.proof)
                if not verdict.allowed:
                    # room_policies.trust: act only on what provably comes from the person.
                    name = "upload" if command.is_upload else command_word(command.body)
                    raise trust_words.TrustRefusal(verdict)
            if command.is_upload:
                assert self.uploads is not None
                name = "upload"
                reply = await self.uploads(invocation)
            else:
                bound = self.table.bind(command.body, invocation)
                name = bound.command.name
                if bound.language is not None:  # `!ayuda`: answered in Spanish
                    invocation = dataclasses.replace(invocation, language=bound.language)
                    _ = translator(bound.language)
                reply = await bound.run(self.services, invocation)
        except Refused as exc:
            reply, outcome, reason, name = exc.reply, "refused", exc.reply.text, exc.command
        except Refusal as exc:
            reply, outcome, reason = exc.reply(_), "refused", exc.reason
        except UsageError as exc:
            reply, outcome = exc.reply, "usage"
        except Exception as exc:
            if self.after_reply is not None:
                self.after_reply.drop(command.event_id)
            ref = _reference(exc)
            # The traceback names the handler, never the message's content.
            log.exception("handler for %s failed (ref %s)", command.event_id, ref)
            self.metrics.errors.inc()
            reply, outcome = internal_error(ref, _), "error"
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
                    await self._audit(command, name, outcome, ANSWER_WITHHELD)
            if self.after_reply is not None:
                await self.after_reply.run(command.event_id)
            await self.db.mark_handled(command.event_id, command.room_id, outcome)
            await self.undecrypted.forget(command.event_id)
            self.metrics.events.labels(outcome=outcome).inc()
            return True
        except Exception:
            # Not marked handled: the token stays before this event, so the next start
            # handles it again, and the same transaction id keeps the reply single.
            log.exception("could not deliver the reply to %s, or finish after it", command.event_id)
            self.metrics.events.labels(outcome="undelivered").inc()
            return False

    async def _relay(self, answer: CommandEvent) -> bool:
        """A reply in the Support room: relayed to the ticket's author (or not), exactly once."""
        try:
            outcome = "ignored"
            if self.support_answers is not None:
                outcome = await self.support_answers(answer)
            await self.db.mark_handled(answer.event_id, answer.room_id, outcome)
            await self.undecrypted.forget(answer.event_id)
            self.metrics.events.labels(outcome=outcome).inc()
            return True
        except Exception:
            # Not marked handled: the next start relays it, with the same transaction ids.
            log.exception("could not relay the support answer %s", answer.event_id)
            self.metrics.errors.inc()
            return False

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
            timezone=self.timezone,
        )
        if self.languages is not None:
            language = await self.languages.of(command.sender)
            invocation = dataclasses.replace(invocation, language=language)
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
        # A reply too long for one message goes as several, each with a transaction id of its
        # own derived from the command's (the first as for any reply).
        await self._send_one(command, reply, reply_txn_id(command.event_id))
        for k, part in enumerate(reply.more, start=2):
            await self._send_one(command, part, reply_txn_id(f"{command.event_id}#{k}"))

    async def _send_one(self, command: CommandEvent, reply: Reply, txn_id: str) -> None:
        delay = 0.5
        for attempt in range(8):
            try:
                await self.gateway.send_notice(
                    command.room_id,
                    reply,
                    in_reply_to=command.event_id,
                    thread_root=command.thread_root,
                    txn_id=txn_id,
                )
                return
            except NotEncrypted:
                raise
            except MatrixError:
                if attempt == 7:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)


def _reference(exc: BaseException) -> str:
    """The reference the asker is given: the engine's own when the engine failed (its log line
    already carries it), so the Secretariat finds both lines with one search; else a new one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, EngineFault):
            return seen.reference
        seen = seen.__cause__ or seen.__context__
    return secrets.token_hex(3)

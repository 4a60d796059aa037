"""Support from the Technical Secretariat in the shell: tickets in, answers out (issue #11).

`!support` (commands/support.py) reaches `open_ticket`: the request's room must be a private,
encrypted direct room between the asker and the bot (the answer goes back there); a file that
came with it is downloaded, decrypted and posted anew, encrypted, in the ticket's thread in the
Support room (R42). `relay` takes a Secretariat member's reply to a ticket (classified by
bot/sync/classify.py) to the asker's direct room, in the asker's language.

Exactly once across crashes: a ticket is keyed by its request's event, an answer by its own
(bot/storage/support.py), and everything the bot posts carries a transaction id derived from the
event that caused it, so handling that event again posts nothing twice. The database holds no
text: the request and the answers stay in the encrypted rooms.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from bot.docflow.transfer import FileTransfer, txn_id
from bot.governance.languages import Languages
from bot.governance.service import Governance
from bot.governance.trust import TrustService
from bot.matrix.errors import NotEncrypted
from bot.storage.database import AuditRecord
from bot.storage.support import SupportRepository, Ticket
from bot.sync.classify import CommandEvent
from commands import support as words
from commands.i18n import translator
from commands.reply import Reply
from commands.support import Requester, TicketClosed, TicketInfo, TicketOpened
from commands.table import Invocation
from commands.trust import TrustRefusal
from room_policies.membership import role_in
from room_policies.roles import Role, RoomKind, UserId
from room_policies.rooms import RoomRef

log = logging.getLogger(__name__)

SUPPORT_ROOM = RoomRef(RoomKind.SUPPORT)


class SupportDesk:
    def __init__(
        self,
        *,
        governance: Governance,
        tickets: SupportRepository,
        languages: Languages,
        transfer: FileTransfer,
        trust: TrustService | None,
        timezone: str,
    ) -> None:
        self.governance = governance
        self.gateway = governance.bot
        self.tickets = tickets
        self.languages = languages
        self.transfer = transfer
        self.trust = trust
        self.timezone = ZoneInfo(timezone)

    def support_room(self) -> str | None:
        return self.governance.rooms.room_id(SUPPORT_ROOM)

    # -- !support --------------------------------------------------------------------------

    async def open_ticket(self, invocation: Invocation, text: str) -> TicketOpened:
        support_room = self.support_room()
        if support_room is None:
            raise words.SupportNotReady()
        if not self._private(invocation.room_id, invocation.sender):
            raise words.NotAlone()
        attachment = await self.transfer.attachment(invocation)
        if not text and attachment is None:
            raise words.NothingToSend()
        # The file first: a file refused (too large, not encrypted) opens no ticket.
        data = await self.transfer.download(attachment) if attachment is not None else None
        ticket = await self.tickets.open(
            invocation.sender,
            invocation.room_id,
            invocation.event_id,
            has_attachment=attachment is not None,
        )
        if ticket.ticket_event_id is None:
            _ = translator(self.languages.default)  # the Support room reads the group's language
            notice = words.ticket_notice(
                ticket.number,
                await self._requester(ticket.requester),
                text,
                attachment.file_name if attachment is not None else None,
                _,
            )
            event_id = await self.gateway.send_notice(
                support_room, notice, txn_id=txn_id("support-ticket", invocation.event_id)
            )
            if attachment is not None and data is not None:
                await self.transfer.post_file(
                    support_room,
                    data,
                    attachment.file_name,
                    attachment.mimetype,
                    txn_id("support-file", invocation.event_id),
                    thread_root=event_id,
                )
            await self._audit(
                invocation.sender,
                "support.open",
                invocation.room_id,
                ticket.number,
                "opened",
                "with a file" if attachment is not None else "",
            )
            await self.tickets.posted(ticket.number, event_id)
        return TicketOpened(ticket.number)

    # -- !tickets, !close --------------------------------------------------------------------

    async def open_tickets(self) -> list[TicketInfo]:
        return [
            TicketInfo(
                t.number,
                await self._requester(t.requester),
                t.opened_at.astimezone(self.timezone),
                t.answers,
            )
            for t in await self.tickets.open_tickets()
        ]

    async def close_ticket(self, invocation: Invocation, number: int) -> TicketClosed:
        ticket = await self.tickets.by_number(number)
        if ticket is None:
            raise words.NoSuchTicket(number)
        if not ticket.is_open:
            raise words.TicketAlreadyClosed(number, ticket.closed_by or "?")
        # The asker first: a crash before the ticket is closed tells them again, under the same
        # transaction id, which the homeserver drops.
        _ = translator(await self.languages.of(ticket.requester))
        told = await self._tell(
            ticket,
            words.ticket_closed(number, _),
            txn_id("support-close", invocation.event_id),
        )
        if not await self.tickets.close(number, invocation.sender):
            raise words.TicketAlreadyClosed(number, "?")
        await self._audit(
            invocation.sender,
            "support.close",
            SUPPORT_ROOM.key,
            number,
            "closed",
            "" if told else "the asker's direct room is gone: not told",
        )
        return TicketClosed(number, ticket.requester, told is not None)

    # -- answers ---------------------------------------------------------------------------

    async def relay(self, answer: CommandEvent) -> str:
        """Relay a reply to a ticket to its author; the outcome for the ledger ("ignored" for
        a reply to anything but a ticket, or by anyone but the Secretariat)."""
        if answer.answers is None or answer.room_id != self.support_room():
            return "ignored"
        ticket = await self.tickets.by_ticket_event(answer.answers)
        if ticket is None:
            return "ignored"  # a conversation in the Support room, not an answer to a ticket
        if (await self._requester(answer.sender)).role is not Role.SECRETARIAT:
            return "ignored"  # only the Technical Secretariat answers (R42)
        _ = translator(await self.languages.of(answer.sender))
        if self.trust is not None:
            verdict = await self.trust.judge(answer.sender, answer.proof)
            if not verdict.allowed:
                refusal = TrustRefusal(verdict)
                await self._confirm(answer, ticket, refusal.reply(_))
                await self._audit_answer(answer, ticket, "refused", refusal.reason)
                return "refused"
        if not ticket.is_open:
            await self._confirm(answer, ticket, words.answer_to_closed(ticket.number, _))
            await self._audit_answer(answer, ticket, "refused", "the ticket is closed")
            return "refused"
        recorded = await self.tickets.record_answer(answer.event_id, ticket.number, answer.sender)
        if recorded.relayed_event_id is None:
            theirs = translator(await self.languages.of(ticket.requester))
            relayed = await self._tell(
                ticket,
                words.answer_relayed(ticket.number, answer.body, theirs),
                txn_id("support-answer", answer.event_id),
            )
            if relayed is None:
                reply = words.undeliverable(ticket.number, ticket.requester, _)
                await self._confirm(answer, ticket, reply)
                await self._audit_answer(answer, ticket, "undelivered", "direct room gone")
                return "undelivered"
            await self.tickets.relayed(answer.event_id, relayed)
        await self._confirm(answer, ticket, words.relayed(ticket.number, ticket.requester, _))
        await self._audit_answer(answer, ticket, "relayed", "")
        return "relayed"

    # -- helpers ---------------------------------------------------------------------------

    def _private(self, room_id: str, user_id: str) -> bool:
        """Is the room end-to-end encrypted, and between this person and the bot alone (both
        joined, nobody else joined or invited)?"""
        room = self.gateway.client.rooms.get(room_id)
        if room is None or not self.gateway.encrypted(room_id):
            return False
        person = room.users.get(user_id)
        return set(room.users) == {user_id, self.gateway.user_id} and not (
            person is None or person.invited
        )

    async def _tell(self, ticket: Ticket, reply: Reply, txn: str) -> str | None:
        """Send the asker a notice in the direct room the request came from; its event id, or
        None if that room is no longer theirs and the bot's alone, or no longer encrypted."""
        if not self._private(ticket.room_id, ticket.requester):
            return None
        try:
            return await self.gateway.send_notice(ticket.room_id, reply, txn_id=txn)
        except NotEncrypted:
            return None

    async def _confirm(self, answer: CommandEvent, ticket: Ticket, reply: Reply) -> None:
        """Tell the Secretariat member, in the ticket's thread, what became of their answer."""
        await self.gateway.send_notice(
            answer.room_id,
            reply,
            in_reply_to=answer.event_id,
            thread_root=ticket.ticket_event_id,
            txn_id=txn_id("support-relayed", answer.event_id),
        )

    async def _requester(self, user_id: str) -> Requester:
        roster = await self.governance.roster()
        if roster is None:
            return Requester(user_id, Role.OUTSIDER, None)
        role = role_in(roster, self.governance.platform, UserId(user_id))
        delegation = roster.delegation(roster.delegation_of(UserId(user_id)) or "")
        return Requester(user_id, role, delegation.name if delegation is not None else None)

    async def _audit_answer(
        self, answer: CommandEvent, ticket: Ticket, decision: str, reason: str
    ) -> None:
        await self._audit(
            answer.sender, "support.answer", SUPPORT_ROOM.key, ticket.number, decision, reason
        )

    async def _audit(
        self, actor: str, action: str, room: str, number: int, decision: str, reason: str
    ) -> None:
        """SPEC §6: who, what, where, the decision; never the request's or the answer's text."""
        try:
            await self.governance.audit.append(
                AuditRecord(actor, action, room, f"ticket #{number}", decision, "R42", reason)
            )
        except Exception:
            log.exception("could not audit %s of ticket #%d", action, number)

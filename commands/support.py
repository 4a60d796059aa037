"""Support from the Technical Secretariat (issue #11, seed V: "the delegations can count on the
support of the Technical Secretariat … should they have any queries").

`!support <text>` (a direct room with the bot, anyone on the roster; a file may come with it as
the command's caption, or the command may reply to a file) opens a numbered ticket: the bot
posts it in the Support room (R42), where only the Secretariat reads it, and tells the asker its
number at once. A Secretariat member answers by replying to the ticket's message (or in its
thread); the bot relays the answer to the asker's direct room. `!tickets` lists the open
tickets, `!close N` closes one and the asker is told (the Support room, the Secretariat).

A ticket carries what the asker wrote and nothing else: the bot has no part in an experts room,
so an expert's request never brings anything of it along. Every sentence here is worded for
its reader: the asker in their language, the Support room in the working group's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from babel.dates import format_datetime
from pydantic import Field

from commands.i18n import N_, Translate, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation, NoArgs, WordedRefusal
from room_policies.roles import Role

SUPPORT_SUMMARY = N_("ask the Technical Secretariat for help; a file may come with it")
TICKETS_SUMMARY = N_("list the open support tickets")
CLOSE_SUMMARY = N_("close support ticket N; the person who asked is told")

# A request is prose, read by people: long enough for a real question, short of Matrix's limit.
MAX_REQUEST = 10_000


class SupportArgs(BaseArgs):
    positional = ("text",)
    raw_text = True
    text: str = Field(
        default="",
        max_length=MAX_REQUEST,
        description=N_("your question, as you would write it to the Technical Secretariat"),
    )


class TicketsArgs(NoArgs):
    pass


class CloseArgs(BaseArgs):
    positional = ("number",)
    # A string, so that "!close abc" is answered in the asker's words, not pydantic's.
    number: str = Field(description=N_("the ticket's number (see !tickets)"))


@dataclass(frozen=True)
class Requester:
    """Who asked, as the Support room reads it."""

    user_id: str
    role: Role
    country: str | None  # their delegation's name, for a focal point or an expert


@dataclass(frozen=True)
class TicketInfo:
    number: int
    requester: Requester
    opened_at: datetime  # in the working group's time zone
    answers: int  # relayed so far


@dataclass(frozen=True)
class TicketOpened:
    number: int


@dataclass(frozen=True)
class TicketClosed:
    number: int
    requester: str
    told: bool  # the asker was told in their direct room


class Deps(Protocol):
    async def open_ticket(self, invocation: Invocation, text: str) -> TicketOpened:
        """Open the ticket (once per request) and post it in the Support room."""
        ...

    async def open_tickets(self) -> list[TicketInfo]: ...

    async def close_ticket(self, invocation: Invocation, number: int) -> TicketClosed:
        """Close it and tell the asker; a `SupportRefusal` if it is unknown or closed."""
        ...


# -- the commands ------------------------------------------------------------------------------


async def support(deps: Deps, invocation: Invocation, args: SupportArgs) -> Reply:
    _ = translator(invocation.language)
    if not args.text.strip() and invocation.attachment is None and invocation.reply_to is None:
        raise NothingToSend()
    opened = await deps.open_ticket(invocation, args.text.strip())
    return Reply.plain(
        _("Your request is ticket #{number}; the Technical Secretariat will answer here.").format(
            number=opened.number
        )
    )


async def tickets(deps: Deps, invocation: Invocation, args: TicketsArgs) -> Reply:
    _ = translator(invocation.language)
    found = await deps.open_tickets()
    if not found:
        return Reply.plain(_("No ticket is open."))
    return Reply.titled(
        _("Open tickets:"),
        [
            _("#{number} {user} ({who}), opened {when}; answers so far: {count}").format(
                number=t.number,
                user=t.requester.user_id,
                who=who(t.requester, _),
                when=format_datetime(t.opened_at, "medium", locale=invocation.language),
                count=t.answers,
            )
            for t in found
        ],
    )


async def close(deps: Deps, invocation: Invocation, args: CloseArgs) -> Reply:
    _ = translator(invocation.language)
    given = args.number.strip().lstrip("#")
    if not given.isascii() or not given.isdigit() or int(given) < 1:
        return Reply.plain(
            _(
                "“{given}” is not a ticket number: write !close and the number !tickets shows, "
                "for example !close 3."
            ).format(given=args.number)
        )
    closed = await deps.close_ticket(invocation, int(given))
    if closed.told:
        return Reply.plain(
            _("Ticket #{number} is closed; {user} is told in their direct room.").format(
                number=closed.number, user=closed.requester
            )
        )
    return Reply.plain(
        _(
            "Ticket #{number} is closed; {user} could not be told: their direct room with the "
            "bot is gone."
        ).format(number=closed.number, user=closed.requester)
    )


# -- refusals (the shell raises them with the facts; each words itself) ------------------------


class SupportRefusal(WordedRefusal):
    """A refusal of the support desk: `reason` in English, `worded(_)` in the asker's language."""


class NotAlone(SupportRefusal):
    def worded(self, _: Translate = str) -> str:
        return _(
            "!support is answered in a direct room between you and the bot alone, so that "
            "nobody else reads the answer; open such a room with the bot and write there."
        )


class NothingToSend(SupportRefusal):
    def worded(self, _: Translate = str) -> str:
        return _(
            "write your request after !support, for example: !support I cannot open the "
            "document. A file may come with it."
        )


class SupportNotReady(SupportRefusal):
    def worded(self, _: Translate = str) -> str:
        return _("the Support room is not ready yet; please try again in a few minutes.")


class NoSuchTicket(SupportRefusal):
    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("there is no ticket #{number}; !tickets lists the open ones.").format(
            number=self.number
        )


class TicketAlreadyClosed(SupportRefusal):
    def __init__(self, number: int, by: str) -> None:
        self.number, self.by = number, by
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("ticket #{number} is already closed (by {user}).").format(
            number=self.number, user=self.by
        )


# -- what the bot posts, worded for its reader -------------------------------------------------


def who(requester: Requester, _: Translate = str) -> str:
    """The asker's role, as the Support room reads it."""
    country = requester.country or "?"
    if requester.role is Role.CHAIR:
        return _("Chair")
    if requester.role is Role.SECRETARIAT:
        return _("Technical Secretariat")
    if requester.role is Role.FOCAL_POINT:
        return _("focal point, {country}").format(country=country)
    if requester.role is Role.EXPERT:
        return _("expert, {country}").format(country=country)
    return _("not on the roster")


def ticket_notice(
    number: int, requester: Requester, text: str, file_name: str | None, _: Translate = str
) -> Reply:
    """The ticket in the Support room: its number, who asked, what they wrote, the file."""
    title = _("Ticket #{number} from {user} ({who}):").format(
        number=number, user=requester.user_id, who=who(requester, _)
    )
    notes = []
    if file_name is not None:
        notes.append(
            _("The file {file} came with it; it is in this ticket's thread.").format(file=file_name)
        )
    notes.append(
        _("Reply to this message to answer {user}; !close {number} when it is done.").format(
            user=requester.user_id, number=number
        )
    )
    quoted = text or _("(no text: see the file)")
    return Reply(
        text="\n\n".join([title, quoted, *notes]),
        html=f"<strong>{html.escape(title)}</strong>"
        + _blockquote(quoted)
        + "".join(f"<p>{html.escape(note)}</p>" for note in notes),
    )


def answer_relayed(number: int, text: str, _: Translate = str) -> Reply:
    """A Secretariat member's answer, as the asker reads it in their direct room."""
    title = _("Answer from the Technical Secretariat to your ticket #{number}:").format(
        number=number
    )
    return Reply(text=f"{title}\n\n{text}", html=f"<p>{html.escape(title)}</p>{_blockquote(text)}")


def ticket_closed(number: int, _: Translate = str) -> Reply:
    """What the asker reads when the Secretariat closes their ticket."""
    return Reply.plain(
        _(
            "The Technical Secretariat closed your ticket #{number}. If you need more help, "
            "write !support again."
        ).format(number=number)
    )


def relayed(number: int, user: str, _: Translate = str) -> Reply:
    """The Secretariat member's confirmation, in the ticket's thread."""
    return Reply.plain(_("Relayed to {user} (ticket #{number}).").format(user=user, number=number))


def undeliverable(number: int, user: str, _: Translate = str) -> Reply:
    return Reply.plain(
        _(
            "Not delivered: {user} is no longer in a private, encrypted direct room with the "
            "bot, where ticket #{number} came from. Nothing was sent."
        ).format(user=user, number=number)
    )


def answer_to_closed(number: int, _: Translate = str) -> Reply:
    return Reply.plain(
        _("Ticket #{number} is closed: this reply was not relayed.").format(number=number)
    )


def _blockquote(text: str) -> str:
    return "<blockquote>" + html.escape(text).replace("\n", "<br>") + "</blockquote>"

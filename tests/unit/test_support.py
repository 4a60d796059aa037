"""Support from the Technical Secretariat (issue #11): the tickets' repository on a real (SQLite)
database, the classification of a Secretariat member's reply (a reply with or without the reply
fallback, a thread), the commands' refusals, and their wording in each language."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nio import Event

from bot.storage.database import Database
from bot.storage.support import SupportRepository
from bot.sync.classify import as_command, without_reply_fallback
from commands import support
from commands.builtin import default_table
from commands.i18n import translator
from commands.support import (
    NoSuchTicket,
    NothingToSend,
    Requester,
    TicketAlreadyClosed,
    TicketClosed,
    TicketInfo,
    TicketOpened,
)
from commands.table import DIRECT, SUPPORT, Invocation, Refusal, Refused
from room_policies.roles import Role
from tests.unit.services import services

SEC = "@sec:example.org"
EXPERT = "@ag.exp:example.org"
BOT = "@plenaria:example.org"
SUPPORT_ROOM = "!support:example.org"
DM = "!dm:example.org"

# -- the repository ----------------------------------------------------------------------------


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SupportRepository]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await database.migrate()
    yield SupportRepository(database)
    await database.close()


async def test_a_request_opens_one_ticket_however_often_it_is_handled(
    repo: SupportRepository,
) -> None:
    first = await repo.open(EXPERT, DM, "$request", has_attachment=True)
    again = await repo.open(EXPERT, DM, "$request", has_attachment=True)
    assert first.number == again.number == 1
    assert first.is_open and first.has_attachment and first.ticket_event_id is None
    other = await repo.open(SEC, "!other:example.org", "$request2", has_attachment=False)
    assert other.number == 2
    await repo.posted(1, "$ticket")
    found = await repo.by_ticket_event("$ticket")
    assert found is not None and found.number == 1 and found.room_id == DM
    assert await repo.by_ticket_event("$nothing") is None
    assert (await repo.open(EXPERT, DM, "$request", has_attachment=True)).ticket_event_id == (
        "$ticket"
    )


async def test_answers_are_recorded_once_and_counted_when_relayed(repo: SupportRepository) -> None:
    await repo.open(EXPERT, DM, "$request", has_attachment=False)
    answer = await repo.record_answer("$answer", 1, SEC)
    assert answer.relayed_event_id is None
    assert (await repo.record_answer("$answer", 1, SEC)) == answer
    assert (await repo.open_tickets())[0].answers == 0  # not relayed yet
    await repo.relayed("$answer", "$relayed")
    again = await repo.record_answer("$answer", 1, SEC)
    assert again.relayed_event_id == "$relayed"
    await repo.record_answer("$answer2", 1, SEC)
    await repo.relayed("$answer2", "$relayed2")
    [ticket] = await repo.open_tickets()
    assert ticket.answers == 2
    assert [a.answer_event_id for a in await repo.answers_to(1)] == ["$answer", "$answer2"]


async def test_closing_a_ticket(repo: SupportRepository) -> None:
    await repo.open(EXPERT, DM, "$r1", has_attachment=False)
    await repo.open(EXPERT, DM, "$r2", has_attachment=False)
    assert await repo.close(1, SEC)
    assert not await repo.close(1, SEC)  # already closed
    assert not await repo.close(7, SEC)  # no such ticket
    closed = await repo.by_number(1)
    assert closed is not None and not closed.is_open and closed.closed_by == SEC
    assert closed.closed_at is not None and closed.closed_at.tzinfo is not None
    assert [t.number for t in await repo.open_tickets()] == [2]


async def test_the_database_holds_no_text(repo: SupportRepository) -> None:
    """Only who, where, when and event ids: the request's words stay in the encrypted rooms."""
    ticket = await repo.open(EXPERT, DM, "$request", has_attachment=False)
    fields = {f.name for f in dataclasses.fields(ticket)}
    assert not fields & {"text", "body", "content", "file_name"}


# -- classification of a reply in the Support room ---------------------------------------------

_count = 0


def event(content: dict[str, Any], *, sender: str = SEC) -> Event:
    global _count
    _count += 1
    parsed = Event.parse_event(
        {
            "type": "m.room.message",
            "event_id": f"$e{_count}",
            "sender": sender,
            "origin_server_ts": 5_000,
            "content": content,
        }
    )
    assert isinstance(parsed, Event)
    return parsed


def classify(ev: Event, room: str = SUPPORT_ROOM) -> Any:
    return as_command(
        room,
        ev,
        own_user_id=BOT,
        first_start_ms=1_000,
        takes_uploads=True,
        support_room=SUPPORT_ROOM,
    )


def reply(body: str, to: str = "$ticket", **relates: Any) -> Event:
    return event(
        {
            "msgtype": "m.text",
            "body": body,
            "m.relates_to": {"m.in_reply_to": {"event_id": to}, **relates},
        }
    )


def test_a_reply_with_the_reply_fallback_is_an_answer_without_it() -> None:
    # As Element sends it: the quote of the ticket, a blank line, then the answer.
    body = (
        "> <@plenaria:example.org> Ticket #1 from @ag.exp:example.org (expert, Antigua):\n"
        "> No puedo abrir el documento Matriz\n\n"
        "Pruebe con LibreOffice 7.6.\nLuego vuelva a abrirlo."
    )
    answer = classify(reply(body))
    assert answer is not None and answer.answers == "$ticket"
    assert answer.body == "Pruebe con LibreOffice 7.6.\nLuego vuelva a abrirlo."
    assert not answer.is_upload


def test_a_reply_without_fallback_is_an_answer_as_written() -> None:
    # Element no longer sends the fallback (MSC2781): the body is the answer alone.
    answer = classify(reply("Merci, c'est corrigé.", to="$t"))
    assert answer is not None and (answer.answers, answer.body) == ("$t", "Merci, c'est corrigé.")


def test_a_message_in_the_tickets_thread_answers_the_ticket() -> None:
    # Element's thread message: the root, and a falling-back reply to the thread's latest event.
    ev = event(
        {
            "msgtype": "m.text",
            "body": "> not a fallback\nYa está resuelto.",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": "$ticket",
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": "$bot-confirmation"},
            },
        }
    )
    answer = classify(ev)
    assert answer is not None and answer.answers == "$ticket"
    assert answer.body == "> not a fallback\nYa está resuelto."  # a thread quotes nothing


def test_a_command_in_the_support_room_stays_a_command() -> None:
    command = classify(reply("!close 1"))
    assert command is not None and command.answers is None and command.body == "!close 1"


@pytest.mark.parametrize(
    "ev",
    [
        event({"msgtype": "m.text", "body": "good morning"}),  # no reply, no thread
        reply("> <@x:example.org> quoted only\n\n"),  # nothing but the fallback
        event(
            {
                "msgtype": "m.text",
                "body": "* corrected",
                "m.relates_to": {"rel_type": "m.replace", "event_id": "$earlier"},
            }
        ),
        event({"msgtype": "m.text", "body": "x", "m.relates_to": {"m.in_reply_to": {}}}),
    ],
)
def test_what_is_no_answer(ev: Event) -> None:
    assert classify(ev) is None


def test_a_reply_elsewhere_or_by_the_bot_is_no_answer() -> None:
    assert classify(reply("answer"), room=DM) is None
    own = event(
        {"msgtype": "m.notice", "body": "Relayed", "m.relates_to": {"m.in_reply_to": {}}},
        sender=BOT,
    )
    assert classify(own) is None
    bot_text = event(
        {"msgtype": "m.text", "body": "x", "m.relates_to": {"m.in_reply_to": {"event_id": "$t"}}},
        sender=BOT,
    )
    assert classify(bot_text) is None


def test_the_reply_fallback_is_stripped() -> None:
    assert without_reply_fallback("> <@a:b> hi\n> there\n\nanswer") == "answer"
    assert without_reply_fallback("answer\n> not leading") == "answer\n> not leading"
    assert without_reply_fallback("> my own quote\nmy answer") == "> my own quote\nmy answer"
    assert without_reply_fallback("> * <@a:b> waves\n\nhello") == "hello"


# -- the commands ------------------------------------------------------------------------------


class FakeDesk:
    def __init__(self) -> None:
        self.opened: list[tuple[str, str]] = []
        self.tickets: list[TicketInfo] = []
        self.closed: dict[int, str] = {}

    async def open_ticket(self, invocation: Invocation, text: str) -> TicketOpened:
        self.opened.append((invocation.event_id, text))
        return TicketOpened(len(self.opened))

    async def open_tickets(self) -> list[TicketInfo]:
        return self.tickets

    async def close_ticket(self, invocation: Invocation, number: int) -> TicketClosed:
        if number in self.closed:
            raise TicketAlreadyClosed(number, self.closed[number])
        if number != 1:
            raise NoSuchTicket(number)
        self.closed[number] = invocation.sender
        return TicketClosed(number, EXPERT, told=True)


def asking(body: str, role: Role, place: str, language: str = "en", **extra: Any) -> Invocation:
    return Invocation(
        sender=SEC if role is Role.SECRETARIAT else EXPERT,
        room_id=SUPPORT_ROOM if place == SUPPORT else DM,
        event_id="$cmd",
        body=body,
        sent_ms=0,
        now_ms=0,
        role=role,
        place=place,
        language=language,
        **extra,
    )


async def run(desk: FakeDesk, invocation: Invocation) -> str:
    table = default_table()
    bound = table.bind(invocation.body, invocation)
    try:
        reply = await bound.run(services(table, support=desk), invocation)
    except Refusal as refusal:
        reply = refusal.reply(translator(invocation.language))
    return reply.text


async def test_support_takes_the_text_as_written() -> None:
    desk = FakeDesk()
    body = '!support I can\'t open "Matriz" --help\nThe second line too.'
    answer = await run(desk, asking(body, Role.EXPERT, DIRECT))
    assert desk.opened == [("$cmd", 'I can\'t open "Matriz" --help\nThe second line too.')]
    assert answer == "Your request is ticket #1; the Technical Secretariat will answer here."


async def test_support_without_text_or_file_is_explained() -> None:
    desk = FakeDesk()
    with pytest.raises(NothingToSend):
        await (
            default_table()
            .bind("!support", asking("!support", Role.EXPERT, DIRECT))
            .run(services(default_table(), support=desk), asking("!support", Role.EXPERT, DIRECT))
        )
    assert desk.opened == []


@pytest.mark.parametrize(
    ("body", "role", "place", "words"),
    [
        ("!support help", Role.EXPERT, SUPPORT, "is used in a direct message with the bot, not"),
        ("!support help", Role.SECRETARIAT, SUPPORT, "a direct message with the bot, not here"),
        ("!tickets", Role.EXPERT, DIRECT, "is for the Technical Secretariat only"),
        ("!tickets", Role.CHAIR, DIRECT, "is for the Technical Secretariat only"),
        ("!close 1", Role.SECRETARIAT, DIRECT, "is used in the Support room, not here"),
    ],
)
def test_who_may_use_the_support_commands_where(
    body: str, role: Role, place: str, words: str
) -> None:
    with pytest.raises(Refused) as refused:
        default_table().bind(body, asking(body, role, place))
    assert words in refused.value.reply.text


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ("!close 1", "Ticket #1 is closed; @ag.exp:example.org is told in their direct room."),
        ("!close #1", "Ticket #1 is closed; @ag.exp:example.org is told in their direct room."),
        ("!close 9", "Refused: there is no ticket #9; !tickets lists the open ones."),
        ("!close abc", "“abc” is not a ticket number: write !close and the number !tickets "),
        ("!close 0", "“0” is not a ticket number"),
        ("!close ١", "“١” is not a ticket number"),  # an Arabic-Indic digit is no ticket number
    ],
)
async def test_close_refuses_clearly(body: str, answer: str) -> None:
    text = await run(FakeDesk(), asking(body, Role.SECRETARIAT, SUPPORT))
    assert text.startswith(answer)


async def test_closing_twice_says_who_closed_it() -> None:
    desk = FakeDesk()
    await run(desk, asking("!close 1", Role.SECRETARIAT, SUPPORT))
    text = await run(desk, asking("!close 1", Role.SECRETARIAT, SUPPORT))
    assert text == f"Refused: ticket #1 is already closed (by {SEC})."


AT = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


async def test_tickets_lists_number_who_when_and_answers() -> None:
    desk = FakeDesk()
    assert await run(desk, asking("!tickets", Role.SECRETARIAT, SUPPORT)) == "No ticket is open."
    desk.tickets = [TicketInfo(3, Requester(EXPERT, Role.EXPERT, "Antigua and Barbuda"), AT, 2)]
    text = await run(desk, asking("!tickets", Role.SECRETARIAT, SUPPORT))
    assert text == (
        "Open tickets:\n• #3 @ag.exp:example.org (expert, Antigua and Barbuda), opened "
        "Dec 1, 2026, 3:30:00\u202fPM; answers so far: 2"
    )


# -- wording in each language ------------------------------------------------------------------

OPENED = {
    "es": "Su consulta quedó registrada como solicitud n.º 1; la Secretaría Técnica le responderá "
    "aquí.",
    "fr": "Votre demande est enregistrée sous le n° 1 ; le Secrétariat technique vous répondra "
    "ici.",
    "pt": "O seu pedido foi registrado com o n.º 1; a Secretaria Técnica responderá aqui.",
}


@pytest.mark.parametrize("lang", ["es", "fr", "pt"])
async def test_the_asker_reads_their_ticket_number_in_their_language(lang: str) -> None:
    body = "!support No puedo abrir el documento Matriz"
    text = await run(FakeDesk(), asking(body, Role.EXPERT, DIRECT, language=lang))
    assert text == OPENED[lang]


@pytest.mark.parametrize(
    ("lang", "title", "refusal"),
    [
        (
            "es",
            "Respuesta de la Secretaría Técnica a su solicitud n.º 4:",
            "Denegado: no existe la solicitud n.º 9; !tickets muestra las abiertas.",
        ),
        (
            "fr",
            "Réponse du Secrétariat technique à votre demande n° 4 :",
            "Refusé : il n'existe pas de demande n° 9 ; !tickets affiche celles qui sont ouvertes.",
        ),
        (
            "pt",
            "Resposta da Secretaria Técnica ao seu pedido n.º 4:",
            "Recusado: não existe o pedido n.º 9; !tickets mostra os que estão abertos.",
        ),
    ],
)
async def test_answers_and_refusals_in_each_language(lang: str, title: str, refusal: str) -> None:
    _ = translator(lang)
    relayed = support.answer_relayed(4, "Pruebe con LibreOffice.\n<b>ok</b>", _)
    assert relayed.text == f"{title}\n\nPruebe con LibreOffice.\n<b>ok</b>"
    assert "<blockquote>Pruebe con LibreOffice.<br>&lt;b&gt;ok&lt;/b&gt;</blockquote>" in (
        relayed.html
    )
    text = await run(FakeDesk(), asking("!close 9", Role.SECRETARIAT, SUPPORT, language=lang))
    assert text == refusal


def test_the_ticket_notice_names_who_asked_and_quotes_what_they_wrote() -> None:
    expert = Requester(EXPERT, Role.EXPERT, "Antigua and Barbuda")
    notice = support.ticket_notice(1, expert, "No puedo abrir el documento Matriz", "Matriz.docx")
    assert notice.text.splitlines()[0] == (
        "Ticket #1 from @ag.exp:example.org (expert, Antigua and Barbuda):"
    )
    assert "No puedo abrir el documento Matriz" in notice.text
    assert "Matriz.docx" in notice.text and "!close 1" in notice.text
    assert "<blockquote>No puedo abrir el documento Matriz</blockquote>" in notice.html
    spanish = support.ticket_notice(1, expert, "texto", None, translator("es"))
    assert spanish.text.startswith(
        "Solicitud n.º 1 de @ag.exp:example.org (experto, Antigua and Barbuda):"
    )

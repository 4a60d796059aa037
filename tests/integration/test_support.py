"""Support from the Technical Secretariat (issue #11, seed V), on a real Synapse with real E2EE
clients: an expert asks in a direct room with the bot and is told their ticket number at once;
a Secretariat member reads the ticket (decrypted) in the Support room, replies to it as Element
does, and the expert receives the answer; `!tickets` lists it and `!close 1` closes it; the
Chair and the focal points are not in the Support room; a file sent with `!support` arrives in
the Support room; a restart (and a crash replayed) relays nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from nio import Event, MegolmEvent, RoomGetEventResponse
from sqlalchemy import text

from bot.demo.synapse_server import LocalSynapse
from bot.sync.classify import as_command
from room_policies.roles import RoomKind
from room_policies.room_state import MEMBERS_EVENT_TYPE
from room_policies.rooms import RoomRef
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")

SUPPORT = RoomRef(RoomKind.SUPPORT)
SPACE = RoomRef(RoomKind.SPACE)
REQUEST = "No puedo abrir el documento Matriz"
ANSWER = "Pruebe a abrirlo con LibreOffice 7.6 o con Word 2019.\nSi no funciona, avísenos."
DOCX = b"PK\x03\x04 not really a docx, but a file all the same"


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path_factory.mktemp("support"), ("AG",))
    await wg.create_accounts()
    await wg.start()
    await wg.accept_invites()
    yield wg
    await wg.stop()


def content(event: Event) -> dict[str, Any]:
    return dict(event.source.get("content", {}))


def body(event: Event) -> str:
    return str(content(event).get("body", ""))


async def ask(user: MatrixUser, room_id: str, command: str) -> str:
    reply = await user.wait_reply(await user.send_text(room_id, command), timeout=60)
    return body(reply)


async def direct_room(group: WorkingGroup, user: MatrixUser) -> str:
    room_id = await user.create_encrypted_room([group.platform.bot_id])
    await user.wait_joined(room_id, group.platform.bot_id)
    return room_id


async def ticket_in_support_room(sec: MatrixUser, support: str, starts: str) -> Event:
    _, ticket = await sec.wait_for(
        lambda room, ev: room == support and body(ev).startswith(starts), timeout=60
    )
    return ticket


def from_bot(group: WorkingGroup, user: MatrixUser, room_id: str, starts: str) -> list[Event]:
    return [
        ev
        for room, ev in user.events
        if room == room_id and ev.sender == group.platform.bot_id and body(ev).startswith(starts)
    ]


async def answer_as_element(sec: MatrixUser, support: str, ticket: Event, answer: str) -> str:
    """A reply as Element sends it: `m.in_reply_to`, with the reply fallback before the text."""
    quoted = "\n".join(f"> {line}" for line in body(ticket).splitlines())
    quoted = quoted.replace("> ", f"> <{ticket.sender}> ", 1)
    return await sec.send_text(
        support,
        f"{quoted}\n\n{answer}",
        format="org.matrix.custom.html",
        formatted_body=(
            f'<mx-reply><blockquote><a href="https://matrix.to/#/{support}/{ticket.event_id}">'
            f"In reply to</a> {ticket.sender}<br>…</blockquote></mx-reply>{answer}"
        ),
        **{"m.relates_to": {"m.in_reply_to": {"event_id": ticket.event_id}}},
    )


async def test_an_expert_asks_and_the_secretariat_answers(group: WorkingGroup) -> None:
    expert = await group.matrix_user("ag.exp1")
    sec = await group.matrix_user("sec")
    dm = await direct_room(group, expert)
    support = group.room_id(SUPPORT)
    assert await ask(expert, dm, "!lang es")
    # The expert is told their ticket number at once, in their language.
    told = await ask(expert, dm, f"!support {REQUEST}")
    assert told == (
        "Su consulta quedó registrada como solicitud n.º 1; la Secretaría Técnica le responderá "
        "aquí."
    )
    # The Secretariat reads the ticket, decrypted, in the Support room (the group's language).
    expert_id = group.id("ag.exp1")
    ticket = await ticket_in_support_room(sec, support, "Ticket #1 from")
    assert body(ticket).splitlines()[0] == (
        f"Ticket #1 from {expert_id} (expert, Antigua and Barbuda):"
    )
    assert REQUEST in body(ticket).splitlines()
    assert f"<blockquote>{REQUEST}</blockquote>" in content(ticket)["formatted_body"]
    # A Secretariat member replies to it as Element does; the expert receives the answer.
    answer_id = await answer_as_element(sec, support, ticket, ANSWER)
    _, relayed = await expert.wait_for(
        lambda room, ev: room == dm and body(ev).startswith("Respuesta de la Secretaría"),
        timeout=60,
    )
    assert relayed.sender == group.platform.bot_id
    assert body(relayed) == (
        f"Respuesta de la Secretaría Técnica a su solicitud n.º 1:\n\n{ANSWER}"
    )
    assert "<blockquote>Pruebe a abrirlo" in content(relayed)["formatted_body"]
    assert "In reply to" not in body(relayed)  # the fallback stays behind
    # The Secretariat member is told, in the ticket's thread, that it was relayed.
    confirmation = await sec.wait_reply(answer_id, timeout=60)
    assert body(confirmation) == f"Relayed to {expert_id} (ticket #1)."
    relation = content(confirmation)["m.relates_to"]
    assert relation["rel_type"] == "m.thread" and relation["event_id"] == ticket.event_id
    # !tickets lists it.
    listing = await ask(sec, support, "!tickets")
    assert listing.startswith("Open tickets:\n• #1 ")
    assert f"{expert_id} (expert, Antigua and Barbuda), opened " in listing
    assert listing.endswith("answers so far: 1")
    # A reply to anything but a ticket is conversation, not an answer.
    listing_event = next(
        ev for room, ev in sec.events if room == support and body(ev).startswith("Open tickets:")
    )
    await sec.send_text(
        support,
        "Lo miro yo.",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": listing_event.event_id}}},
    )
    # !close 1 closes it, and the expert is told.
    closed = await ask(sec, support, "!close 1")
    assert closed == f"Ticket #1 is closed; {expert_id} is told in their direct room."
    await expert.wait_for(
        lambda room, ev: room == dm and body(ev).startswith("La Secretaría Técnica ha cerrado"),
        timeout=60,
    )
    assert body(from_bot(group, expert, dm, "La Secretaría Técnica ha cerrado")[0]) == (
        "La Secretaría Técnica ha cerrado su solicitud n.º 1. Si necesita más ayuda, escriba de "
        "nuevo !support."
    )
    assert len(from_bot(group, expert, dm, "Respuesta de la Secretaría")) == 1  # not "Lo miro"
    again = await ask(sec, support, "!close 1")
    assert again == f"Refused: ticket #1 is already closed (by {group.id('sec')})."
    assert await ask(sec, support, "!close uno") == (
        "“uno” is not a ticket number: write !close and the number !tickets shows, for example "
        "!close 3."
    )
    assert await ask(sec, support, "!tickets") == "No ticket is open."
    # Audited: who, what, where, the decision; never the text.
    audit = await group.bot.app.governance.audit_latest(50)  # type: ignore[union-attr]
    actions = {(e.action, e.actor, e.decision) for e in audit}
    assert ("support.open", expert_id, "opened") in actions
    assert ("support.answer", group.id("sec"), "relayed") in actions
    assert ("support.close", group.id("sec"), "closed") in actions
    assert not any(REQUEST in e.reason or "LibreOffice" in e.reason for e in audit)


async def test_the_support_room_is_the_secretariats_alone(group: WorkingGroup) -> None:
    support = group.room_id(SUPPORT)
    assert SUPPORT in await group.governed_rooms_of("sec")
    for seat in ("chair", "ag.fp", "ag.exp1"):
        assert SUPPORT not in await group.governed_rooms_of(seat), seat
    state = await (await group.as_http("sec")).state(support)
    members = next(e["content"]["members"] for e in state if e["type"] == MEMBERS_EVENT_TYPE)
    assert members == {str(group.platform.bot_id): "bot", str(group.id("sec")): "secretariat"}
    name = next(e["content"]["name"] for e in state if e["type"] == "m.room.name")
    assert name == "Support — Technical Secretariat"
    # The space does not list it (R41): focal points would see a room they cannot open.
    space = await (await group.as_http("ag.fp")).state(group.room_id(SPACE))
    children = {e["state_key"] for e in space if e["type"] == "m.space.child" and e["content"]}
    assert support not in children and children


async def test_a_file_sent_with_support_arrives_in_the_support_room(group: WorkingGroup) -> None:
    fp = await group.matrix_user("ag.fp")
    sec = await group.matrix_user("sec")
    dm = await direct_room(group, fp)
    support = group.room_id(SUPPORT)
    caption = "!support The file does not open; here it is."
    request = await fp.send_file(dm, DOCX, "Matriz.docx", caption=caption)
    told = body(await fp.wait_reply(request, timeout=60))
    number = int(told.split("#", 1)[1].split(";", 1)[0])
    assert told == f"Your request is ticket #{number}; the Technical Secretariat will answer here."
    ticket = await ticket_in_support_room(sec, support, f"Ticket #{number} from")
    assert "(focal point, Antigua and Barbuda)" in body(ticket)
    assert "The file Matriz.docx came with it" in body(ticket)
    _, file_event = await sec.wait_for(
        lambda room, ev: (
            room == support
            and content(ev).get("filename") == "Matriz.docx"
            and content(ev).get("m.relates_to", {}).get("event_id") == ticket.event_id
        ),
        timeout=60,
    )
    assert "file" in content(file_event) and "url" not in content(file_event)  # encrypted
    assert await sec.download(file_event) == DOCX


async def test_a_restart_relays_nothing_twice(group: WorkingGroup) -> None:
    expert = await group.matrix_user("ag.exp2")
    sec = await group.matrix_user("sec")
    dm = await direct_room(group, expert)
    support = group.room_id(SUPPORT)
    told = await ask(expert, dm, "!support Another question")
    number = int(told.split("#", 1)[1].split(";", 1)[0])
    ticket = await ticket_in_support_room(sec, support, f"Ticket #{number} from")
    answer_id = await sec.send_text(
        support,
        "Only once.",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": ticket.event_id}}},
    )
    title = f"Answer from the Technical Secretariat to your ticket #{number}:"
    await expert.wait_for(lambda room, ev: room == dm and body(ev).startswith(title), timeout=60)
    await sec.wait_reply(answer_id, timeout=60)
    assert group.bot is not None
    await group.bot.stop()
    await group.start()
    # A crash after the answer was sent, before it was recorded as relayed: handled again, it
    # is sent under the same transaction id, which the homeserver drops.
    app = group.bot.app
    async with app.db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE support_answers SET relayed_event_id = NULL WHERE answer_event_id = :id"),
            {"id": answer_id},
        )
    fetched = await app.gateway.client.room_get_event(support, answer_id)
    assert isinstance(fetched, RoomGetEventResponse)
    event = fetched.event
    if isinstance(event, MegolmEvent):
        event = app.gateway.client.decrypt_event(event)
    replayed = as_command(
        support,
        event,
        own_user_id=app.gateway.user_id,
        first_start_ms=0,
        takes_uploads=True,
        proof=app.trust.proof_of(support, event),
        support_room=support,
    )
    assert replayed is not None and replayed.answers == ticket.event_id
    assert await app.router.dispatcher.handle(replayed)
    # Whatever was sent before this command's answer has arrived by then.
    assert await ask(expert, dm, "!ping")
    assert len(from_bot(group, expert, dm, title)) == 1
    assert len(sec.replies_to(answer_id)) == 1


async def test_an_answer_to_someone_who_left_is_not_delivered(group: WorkingGroup) -> None:
    fp = await group.matrix_user("ag.fp")
    expert = await group.matrix_user("ag.exp1")
    sec = await group.matrix_user("sec")
    support = group.room_id(SUPPORT)
    # A room with a third person is no place for an answer: !support is refused there.
    shared = await fp.create_encrypted_room([group.platform.bot_id, str(group.id("ag.exp1"))])
    await fp.wait_joined(shared, group.platform.bot_id)
    refused = await ask(fp, shared, "!support Is this private?")
    assert refused.startswith("Refused: !support is answered in a direct room between you and")
    # The asker leaves their direct room: the Secretariat is told the answer was not delivered.
    dm = await direct_room(group, expert)
    told = await ask(expert, dm, "!support Una pregunta antes de irme")
    number = int(told.split("n.º ", 1)[1].split(";", 1)[0])
    ticket = await ticket_in_support_room(sec, support, f"Ticket #{number} from")
    # Left before the answer is sent: any sync that brings the bot the answer brings the leave.
    await expert.client.room_leave(dm)
    answer_id = await sec.send_text(
        support,
        "Aquí tiene la respuesta.",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": ticket.event_id}}},
    )
    confirmation = body(await sec.wait_reply(answer_id, timeout=60))
    assert confirmation.startswith(f"Not delivered: {group.id('ag.exp1')} is no longer in a")
    closed = await ask(sec, support, f"!close {number}")
    assert closed == (
        f"Ticket #{number} is closed; {group.id('ag.exp1')} could not be told: their direct room "
        "with the bot is gone."
    )

"""The welcome (issue #11) on a real Synapse with real E2EE clients: the first time a person of
the roster joins, the bot sends them the guide for their role in their language — a focal point
in their desk, the Chair, the Secretariat and an expert in a direct room the bot makes, which
they can decrypt; a focal point added to the roster later is welcomed too; a working group
configured in Spanish welcomes in Spanish; `!guide` sends it again; a restart, or a welcome
replayed after a crash, sends nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from nio import Event, RoomMessage

from bot.demo.synapse_server import LocalSynapse
from room_policies.roles import DelegationCode, RoomKind
from room_policies.rooms import RoomRef
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup, wait_for

AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
BR_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("BR"))
MODERATION = RoomRef(RoomKind.MODERATION)
TITLE = {"en": "Welcome to Test Working Group", "es": "Test Working Group: le damos la bienvenida"}
WELCOMED = ("chair", "sec", "ag.fp", "ag.exp1")


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path_factory.mktemp("welcome"), ("AG",))
    await wg.create_accounts()
    await wg.make_account("br.fp")
    await wg.start()
    # Each person signs in (a verified session, as in Element) before joining their rooms.
    for seat in WELCOMED:
        await wg.matrix_user(seat)
    await wg.accept_invites(list(WELCOMED))
    yield wg
    await wg.stop()


def user(group: WorkingGroup, seat: str) -> MatrixUser:
    return next(u for u in group.users if u.user_id == group.id(seat))


def welcome_in(group: WorkingGroup, language: str = "en") -> Any:
    bot_id = group.platform.bot_id

    def is_welcome(_: str, event: Event) -> bool:
        content = event.source.get("content", {})
        return (
            isinstance(event, RoomMessage)
            and event.sender == bot_id
            and str(content.get("body", "")).startswith(TITLE[language])
            and "m.relates_to" not in content  # the welcome, not a reply to !guide
        )

    return is_welcome


async def join_direct_room(group: WorkingGroup, person: MatrixUser) -> str:
    """Accept the bot's invitation to a direct room, as the person's client would (the client
    may still list the governed rooms it joined through another session as invitations)."""
    bot_id = group.platform.bot_id

    def direct() -> list[str]:
        return [
            room_id
            for room_id, room in person.client.invited_rooms.items()
            if group.ref_of(room_id) is None and (bot_id in room.users or room.inviter == bot_id)
        ]

    await wait_for(lambda: bool(direct()), 60, "the bot's invitation to a direct room")
    room_id = direct()[0]
    await person.client.join(room_id)
    return room_id


def welcomes_seen(person: MatrixUser, group: WorkingGroup) -> list[tuple[str, Event]]:
    is_welcome = welcome_in(group)
    return [(r, e) for r, e in person.events if is_welcome(r, e)]


async def test_a_focal_point_is_welcomed_in_their_desk(group: WorkingGroup) -> None:
    fp = user(group, "ag.fp")
    room_id, event = await fp.wait_for(welcome_in(group), timeout=60)
    assert room_id == group.room_id(AG_DESK)
    content = event.source["content"]
    body, html = content["body"], content["formatted_body"]
    assert "You take part as the focal point of Antigua and Barbuda." in body
    assert "“Desk — Antigua and Barbuda”" in body and "!check" in body and "!experts" in body
    assert "AG_Matriz.docx" in body and "Track Changes" in body and "sha256" in body
    assert "<h4>Your rooms</h4>" in html and "<ol>" in html
    assert content["msgtype"] == "m.notice"


@pytest.mark.parametrize("seat", ["chair", "sec", "ag.exp1"])
async def test_the_chair_the_secretariat_and_an_expert_are_welcomed_in_a_direct_room(
    group: WorkingGroup, seat: str
) -> None:
    person = user(group, seat)
    room_id = await join_direct_room(group, person)
    found_in, event = await person.wait_for(welcome_in(group), timeout=60)
    assert found_in == room_id and group.ref_of(room_id) is None  # not a governed room
    body = event.source["content"]["body"]  # decrypted by the person's own client
    expected = {
        "chair": "You take part as the Chair of the working group.",
        "sec": "You take part as a member of the Technical Secretariat.",
        "ag.exp1": "You take part as an expert of the delegation of Antigua and Barbuda.",
    }[seat]
    assert expected in body
    if seat == "ag.exp1":
        assert "“Experts — Antigua and Barbuda”" in body and "the bot is not in it" in body
        assert "!delegations" not in body and "AG_Matriz" not in body
    else:
        assert "“Moderation”" in body and "!compile" in body
    # An encrypted direct room, listed in the bot's m.direct account data.
    room = person.client.rooms[room_id]
    assert room.encrypted and set(room.users) == {person.user_id, group.platform.bot_id}
    assert group.bot is not None
    gateway = group.bot.app.gateway
    status, direct = await gateway.request(
        "GET", f"/_matrix/client/v3/user/{quote(gateway.user_id)}/account_data/m.direct"
    )
    assert status == 200 and room_id in direct[person.user_id]


async def test_guide_sends_it_again(group: WorkingGroup) -> None:
    fp = user(group, "ag.fp")
    desk = group.room_id(AG_DESK)
    reply = await fp.wait_reply(await fp.send_text(desk, "!guide"), timeout=60)
    assert reply.source["content"]["body"].startswith(TITLE["en"])
    expert = user(group, "ag.exp1")
    room_id, _ = await expert.wait_for(welcome_in(group), timeout=60)
    reply = await expert.wait_reply(await expert.send_text(room_id, "!guide"), timeout=60)
    assert "You take part as an expert" in reply.source["content"]["body"]


async def test_a_focal_point_added_to_the_roster_is_welcomed(group: WorkingGroup) -> None:
    chair = user(group, "chair")
    new = group.id("br.fp")
    event_id = await chair.send_text(group.room_id(MODERATION), f"!delegation add BR {new}")
    reply = await chair.wait_reply(event_id, timeout=60)
    assert "Delegation BR (Brazil) added" in reply.source["content"]["body"]
    fp = await group.matrix_user("br.fp")
    await group.accept_invites(["br.fp"])
    room_id, event = await fp.wait_for(welcome_in(group), timeout=60)
    assert room_id == group.room_id(BR_DESK)
    assert "You take part as the focal point of Brazil." in event.source["content"]["body"]


async def test_a_restart_or_a_replay_welcomes_no_one_twice(group: WorkingGroup) -> None:
    fp = user(group, "ag.fp")
    await fp.wait_for(welcome_in(group), timeout=60)
    assert group.bot is not None
    await group.bot.stop()
    await group.start()
    welcomer = group.bot.app.welcomer
    assert welcomer is not None
    assert not await welcomer.welcome(fp.user_id)  # recorded: nothing is sent
    # A crash after the send, before the row: the replay sends with the same transaction id,
    # and the homeserver drops it.
    records = {r.user_id for r in await welcomer.welcomes.all()}
    assert {group.id(s) for s in ("chair", "sec", "ag.fp", "ag.exp1", "br.fp")} <= records
    async with welcomer.welcomes._session.begin() as session:
        from sqlalchemy import delete

        from bot.storage.models import Welcome

        await session.execute(delete(Welcome).where(Welcome.user_id == fp.user_id))
    assert await welcomer.welcome(fp.user_id)
    # `!guide` after it: once its reply is here, anything sent before it has arrived too.
    desk = group.room_id(AG_DESK)
    await fp.wait_reply(await fp.send_text(desk, "!guide"), timeout=60)
    assert len(welcomes_seen(fp, group)) == 1
    assert not await welcomer.welcome(group.id("warden"))
    assert not await welcomer.welcome(group.id("bot"))


async def test_a_working_group_in_spanish_welcomes_in_spanish(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    wg = WorkingGroup(
        synapse, tmp_path_factory.mktemp("bienvenida"), ("AG",), extra_config="language: es\n"
    )
    await wg.create_accounts()
    try:
        await wg.start()
        fp = await wg.matrix_user("ag.fp")
        await wg.accept_invites(["ag.fp"])
        room_id, event = await fp.wait_for(welcome_in(wg, "es"), timeout=60)
        assert room_id == wg.room_id(AG_DESK)
        body = event.source["content"]["body"]
        assert "Usted participa como punto focal de Antigua and Barbuda." in body
        assert "la Presidencia, la Secretaría Técnica" in body and "su despacho" in body
        assert "AG_Matriz.docx" in body and "Control de cambios" in body
    finally:
        await wg.stop()

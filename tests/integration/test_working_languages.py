"""Room notices in the working group's working languages, on a real Synapse with real E2EE
clients (issue #11): with `working_languages: [en, es, fr]`, a publication's notice in its folder
and its announcement in the plenary are one message of three blocks, in that order, as a focal
point's client decrypts them; the Chair reads a suggestion in the moderation room the same way;
the answer told to the delegation's desk is in its focal point's own language (`!lang pt`); a
receipt's time is written as the asker's language writes it, in the group's `timezone`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from nio import Event, RoomEncryptedFile

from bot.demo.synapse_server import LocalSynapse
from commands.dates import when
from commands.multilingual import SEPARATOR
from room_policies.roles import DelegationCode, FolderKey, RoomKind
from room_policies.rooms import RoomRef
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup
from tests.unit.docx_builder import build, dele, ins, p, r

MODERATION = RoomRef(RoomKind.MODERATION)
PLENARY = RoomRef(RoomKind.PLENARY)
PLAN = RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN)
AG_DESK = RoomRef(RoomKind.DESK, delegation=DelegationCode("AG"))
BASE = build(p(r("The parties shall cooperate in disaster prevention.")))
PROPOSAL = build(
    p(
        r("The parties "),
        dele(r("shall"), author="AG"),
        ins(r("should"), author="AG"),
        r(" cooperate in disaster prevention."),
    )
)
ZONE = "America/Santiago"

NOTICE = {
    "en": "Matriz — Matriz.docx, version 1, OEA/Ser.G/CP-12, public.",
    "es": "Matriz — Matriz.docx, versión 1, OEA/Ser.G/CP-12, public.",
    "fr": "Matriz — Matriz.docx, version 1, OEA/Ser.G/CP-12, public.",
}
FOLDER = "Inter-American Plan"  # the roster names no folders: the platform's default name
NEW_IN = {
    "en": "New in {folder}: ",
    "es": "Novedad en {folder}: ",
    "fr": "Nouveau dans {folder} : ",
}


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(
        synapse,
        tmp_path_factory.mktemp("working-languages"),
        ("AG",),
        extra_config=f"working_languages: [en, es, fr]\ntimezone: {ZONE}\n",
    )
    await wg.create_accounts()
    await wg.start()
    await wg.accept_invites()
    yield wg
    await wg.stop()


def content(event: Event) -> tuple[str, str]:
    body = event.source.get("content", {})
    return str(body.get("body", "")), str(body.get("formatted_body", ""))


async def file_in(who: MatrixUser, room_id: str, name: str) -> str:
    _, event = await who.wait_for(
        lambda rid, ev: (
            rid == room_id
            and isinstance(ev, RoomEncryptedFile)
            and ev.source["content"].get("filename") == name
        ),
        timeout=90,
    )
    return str(event.event_id)


async def test_a_publication_is_announced_in_the_three_working_languages(
    group: WorkingGroup,
) -> None:
    chair, fp = await group.matrix_user("chair"), await group.matrix_user("ag.fp")
    moderation, plenary, plan = (group.room_id(ref) for ref in (MODERATION, PLENARY, PLAN))
    sent = await chair.send_file(
        moderation, BASE, "Matriz.docx", "!publish plan --symbol OEA/Ser.G/CP-12 --title Matriz"
    )
    answer, _ = content(await chair.wait_reply(sent, timeout=90))
    assert answer.startswith("Published Matriz.docx")  # the Chair's reply: the Chair's language

    # In the folder, in reply to the file: one notice, three blocks.
    posted = await file_in(fp, plan, "Matriz.docx")
    body, html = content(await fp.wait_reply(posted, timeout=90))
    assert body.split(SEPARATOR) == [NOTICE["en"], NOTICE["es"], NOTICE["fr"]]
    assert html.split("<hr>") == [NOTICE["en"], NOTICE["es"], NOTICE["fr"]]

    # In the plenary: the announcement, with a link to the file in each block.
    _, event = await fp.wait_for(
        lambda rid, ev: rid == plenary and "New in" in getattr(ev, "body", ""), timeout=90
    )
    body, html = content(event)
    blocks = body.split(SEPARATOR)
    assert len(blocks) == 3, body
    link = f"https://matrix.to/#/{plan}/{posted}"
    assert blocks == [
        f"{NEW_IN[language].format(folder=FOLDER)}{NOTICE[language]} {link}"
        for language in ("en", "es", "fr")
    ]
    html_blocks = html.split("<hr>")
    assert len(html_blocks) == 3 and html_blocks[1].startswith("Novedad en <b>")
    assert all(f'<a href="{link}">' in block for block in html_blocks)


async def test_the_chair_reads_a_suggestion_in_the_working_languages_the_desk_its_answer_in_pt(
    group: WorkingGroup,
) -> None:
    chair, fp = await group.matrix_user("chair"), await group.matrix_user("ag.fp")
    moderation, desk = group.room_id(MODERATION), group.room_id(AG_DESK)
    chosen, _ = content(await fp.wait_reply(await fp.send_text(desk, "!lang pt"), timeout=60))
    assert chosen == "A partir de agora, a plataforma lhe responderá em português."

    study = build(p(r("A study on early warning systems.")))
    await fp.send_file(desk, study, "Study.docx", "!suggest")
    suggested = await file_in(chair, moderation, "Study.docx")
    body, _ = content(await chair.wait_reply(suggested, timeout=90))
    english, spanish, french = body.split(SEPARATOR)
    assert english.startswith("Suggestion #1 from AG: Study.docx, as a reference document.")
    assert spanish.startswith("Sugerencia n.º 1 de AG: Study.docx, como documento de referencia.")
    assert french.startswith("Suggestion n° 1 de AG : Study.docx, comme document de référence.")

    await chair.send_text(moderation, "!decline 1 'not within the mandate'")
    _, told = await fp.wait_for(
        lambda rid, ev: rid == desk and "not within the mandate" in getattr(ev, "body", ""),
        timeout=90,
    )
    body, _ = content(told)
    assert body == "A sua sugestão n.º 1 (Study.docx) foi recusada: not within the mandate"


async def test_a_receipt_gives_its_time_in_the_askers_language_and_the_groups_zone(
    group: WorkingGroup,
) -> None:
    fp = await group.matrix_user("ag.fp")
    desk, plenary = group.room_id(AG_DESK), group.room_id(PLENARY)
    await fp.wait_reply(await fp.send_text(desk, "!lang es"), timeout=60)
    before = datetime.now(UTC)
    sent = await fp.send_file(plenary, PROPOSAL, "AG_Matriz.docx")
    body, _ = content(await fp.wait_reply(sent, timeout=90))
    after = datetime.now(UTC)
    assert body.startswith("Acuse de recibo: AG_Matriz.docx"), body
    [received] = [line for line in body.splitlines() if line.startswith("• recibida: ")]
    shown = received.removeprefix("• recibida: ")
    assert re.fullmatch(r"\d{1,2} [a-z]{3} \d{4}, \d{1,2}:\d{2}:\d{2}", shown), shown
    minutes = {
        when(moment, "es", ZONE) for moment in (before, after, before + (after - before) / 2)
    }
    assert shown.rsplit(":", 1)[0] in minutes, (shown, minutes)
    assert shown.rsplit(":", 1)[0] != when(before, "es", "UTC")  # Santiago is not UTC

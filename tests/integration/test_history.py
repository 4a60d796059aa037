"""A paragraph's history on a real Synapse with real E2EE clients (issue #12, items 7 and 8):
two versions of a document, proposals from two delegations on each, `!agree` in round 1,
`!pending` and `!approve --meeting` in round 2, and `!history` read by a focal point's client —
the paragraph at both versions, who proposed what in each round, and its statuses."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import docx
import pytest
from nio import Event, RoomEncryptedFile
from sqlalchemy import select

from bot.demo.synapse_server import LocalSynapse
from bot.storage.models import ParagraphStatusChange, RoundRecord
from documents.tracked_changes import read_document
from room_policies.roles import FolderKey, RoomKind
from room_policies.rooms import RoomRef
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup
from tests.unit.docx_builder import Xml, build, ins, p

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")

MODERATION = RoomRef(RoomKind.MODERATION)
PLENARY = RoomRef(RoomKind.PLENARY)
PLAN = RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN)

V1 = [
    "The parties shall cooperate in disaster prevention.",
    "Each State shall designate a focal point.",
    "The Secretariat shall report annually.",
]


def inserted(text: str, before: str, words: str, author: str) -> Xml:
    """`text` with `words` inserted (tracked, by `author`) just before `before`."""
    head, found, tail = text.partition(before)
    assert found, (text, before)
    return p(head, ins(words, author=author), before + tail)


def proposal(texts: list[str], index: int, before: str, words: str, author: str) -> bytes:
    changed = inserted(texts[index], before, words, author)
    return build(*texts[:index], changed, *texts[index + 1 :])


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path_factory.mktemp("history"), ("AG", "BR"))
    await wg.create_accounts()
    await wg.start()
    await wg.accept_invites()
    wg.people = {seat: await wg.matrix_user(seat) for seat in ("chair", "ag.fp", "br.fp")}  # type: ignore[attr-defined]
    yield wg
    await wg.stop()


def user(group: WorkingGroup, seat: str) -> MatrixUser:
    return group.people[seat]  # type: ignore[attr-defined,no-any-return]


async def reply_to(who: MatrixUser, event_id: str) -> Event:
    return await who.wait_reply(event_id, timeout=120)


async def body_of(who: MatrixUser, event_id: str) -> str:
    return str(getattr(await reply_to(who, event_id), "body", ""))


async def submit(who: MatrixUser, room_id: str, data: bytes, name: str) -> None:
    receipt = await body_of(who, await who.send_file(room_id, data, name))
    assert receipt.startswith(f"Receipt: {name}"), receipt


async def compiled(chair: MatrixUser, moderation: str) -> str:
    sent = await chair.send_text(moderation, "!compile Matriz.docx")
    await chair.wait_for(
        lambda rid, ev: (
            rid == moderation
            and getattr(ev, "body", "").startswith("Compiled")
            and ev.source["content"].get("m.relates_to", {}).get("event_id") == sent
        ),
        timeout=180,
    )
    return sent


async def matrix_file(chair: MatrixUser, moderation: str, compile_event: str) -> Event:
    """The compilation matrix posted in the thread of a `!compile`."""
    _, event = await chair.wait_for(
        lambda rid, ev: (
            rid == moderation
            and isinstance(ev, RoomEncryptedFile)
            and ev.source["content"].get("filename") == "Matriz_compilation.docx"
            and ev.source["content"].get("m.relates_to", {}).get("event_id") == compile_event
        ),
        timeout=120,
    )
    return event


async def test_history_across_two_rounds_with_agreement_and_approval(group: WorkingGroup) -> None:
    chair, ag, br = user(group, "chair"), user(group, "ag.fp"), user(group, "br.fp")
    moderation, plenary, plan = (group.room_id(r) for r in (MODERATION, PLENARY, PLAN))
    assert group.bot is not None
    db = group.bot.app.db

    # Version 1, and round 1: AG and BR both change paragraph 1; the Chair agrees it.
    published = await body_of(
        chair,
        await chair.send_file(
            moderation, build(*V1), "Matriz.docx", "!publish plan --title Matriz"
        ),
    )
    assert "version 1" in published, published
    await submit(ag, plenary, proposal(V1, 0, "cooperate", "closely ", "AG"), "AG_Matriz.docx")
    await submit(br, plenary, proposal(V1, 0, "prevention", "risk ", "BR"), "BR_Matriz.docx")
    await compiled(chair, moderation)
    agreed = await body_of(chair, await chair.send_text(moderation, "!agree Matriz 1"))
    assert "paragraph(s) 1 agreed ad referendum" in agreed, agreed

    # Version 2, the basis of round 2 (held with dates and a formal meeting on record).
    seen = len(ag.events)
    distributed = await body_of(chair, await chair.send_text(moderation, "!distribute"))
    assert "Matriz.docx version 2" in distributed, distributed
    before = {id(ev) for _, ev in ag.events[:seen]}

    def second_version(rid: str, ev: Event) -> bool:
        return (
            rid == plan
            and id(ev) not in before
            and isinstance(ev, RoomEncryptedFile)
            and ev.source["content"].get("filename") == "Matriz.docx"
        )

    _, clean = await ag.wait_for(second_version, timeout=120)
    v2 = read_document(await ag.download(clean)).accept_view()
    assert v2[0] == "The parties shall closely (AG) cooperate in disaster risk (BR) prevention.", v2
    async with db._session.begin() as s:
        s.add(
            RoundRecord(
                document="Matriz.docx",
                version=2,
                # Open now (proposals are received only during a round, once a document has
                # had one), closing after the test.
                opens_at=datetime.now(UTC) - timedelta(minutes=1),
                closes_at=datetime.now(UTC) + timedelta(days=10),
                reminders="",
                meeting="2026-12-12",
                opened_by=group.id("chair"),
                created_at=datetime.now(UTC),
                source_event_id="$round-2-of-the-history-test",
            )
        )
    await submit(ag, plenary, proposal(v2, 0, "in disaster", "actively ", "AG"), "AG_Matriz.docx")
    await submit(br, plenary, proposal(v2, 0, ".", " and response", "BR"), "BR_Matriz.docx")

    # Before the meeting, the Chair asks what it must approve; then approves it there.
    pending = await body_of(chair, await chair.send_text(moderation, "!pending Matriz"))
    assert "to be approved at the formal meeting of Dec 12, 2026" in pending, pending
    assert "paragraph 1: agreed ad referendum in round 1" in pending, pending
    approved = await body_of(
        chair, await chair.send_text(moderation, "!approve Matriz 1 --meeting 2026-12-12")
    )
    assert "approved at the meeting of 2026-12-12" in approved, approved
    nothing = await body_of(chair, await chair.send_text(moderation, "!pending Matriz"))
    assert "no paragraph agreed ad referendum is awaiting approval" in nothing, nothing

    # The status history is on record with the version and the round.
    async with db._session() as s:
        rows = (await s.scalars(select(ParagraphStatusChange))).all()
    assert [(r.paragraph, r.status, r.version, r.meeting) for r in rows] == [
        (1, "agreed ad referendum", 1, None),
        (1, "approved", 2, "2026-12-12"),
    ]
    assert rows[0].round_id is None and rows[1].round_id is not None

    # Round 2's compilation matrix carries the paragraph's status history in its last column.
    posted = await matrix_file(chair, moderation, await compiled(chair, moderation))
    matrix = docx.Document(io.BytesIO(await chair.download(posted)))
    table = matrix.tables[0]
    assert table.rows[0].cells[4].text == "Status history"
    story = table.rows[1].cells[4].text.splitlines()
    assert [line.split(": ", 1)[1] for line in story] == [
        "agreed ad referendum in round 1",
        "approved at the meeting of 2026-12-12",
    ]

    # A focal point reads the paragraph's story, decrypted in their own client.
    answer = await reply_to(ag, await ag.send_text(plenary, "!history Matriz 1"))
    text = str(getattr(answer, "body", ""))
    html = str(answer.source["content"].get("formatted_body", ""))
    lines = text.splitlines()
    assert lines[0] == "History of paragraph 1 of Matriz.docx", text
    assert "Version 1, paragraph 1: “The parties shall cooperate in disaster prevention.”" in lines
    assert f"Version 2, paragraph 1: “{v2[0]}”" in lines
    assert "• AG: The parties shall{+ closely+} cooperate in disaster prevention." in lines, text
    assert "• BR: The parties shall cooperate in disaster {+risk +}prevention." in lines, text
    assert any(line.startswith("• AG: ") and "{+actively +}" in line for line in lines), text
    assert any(line.startswith("• BR: ") and "{+ and response+}" in line for line in lines), text
    assert "• Round 2: open from " in text and "formal meeting of Dec 12, 2026" in text
    assert text.index("Version 1") < text.index("closely+}") < text.index("Version 2")
    assert "agreed ad referendum in round 1." in text
    assert "approved at the meeting of Dec 12, 2026." in text
    assert "<u> closely</u>" in html and "<del>" not in html

    # The desk too; an unknown paragraph is refused with how to name one.
    desk = group.room_id(RoomRef(RoomKind.DESK, delegation="AG"))  # type: ignore[arg-type]
    refused = await body_of(ag, await ag.send_text(desk, "!history Matriz 9 bis"))
    assert refused.startswith("Refused: no version of Matriz.docx has a paragraph 9 bis"), refused

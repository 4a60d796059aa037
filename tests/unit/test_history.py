"""A paragraph's history (issue #12): the pure story across versions
(`documents.paragraph_history`), each status change recorded with the status itself
(`Registry.set_status`, `bot.storage.paragraph_history`), and `!history` / `!pending` worded in
the reader's language (`commands/history.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage.database import Database
from bot.storage.models import RoundRecord
from bot.storage.paragraph_history import ParagraphHistory
from bot.storage.registry import Registry
from commands import history
from commands.documents_deps import (
    AwaitingApproval,
    ParagraphStory,
    PendingApprovals,
    ProposedChange,
    StatusStep,
    VersionText,
)
from commands.table import DESK, MODERATION, Invocation
from documents.jobs import compile_job
from documents.lifecycles import ParagraphStatus, StatusEntry
from documents.paragraph_history import (
    Reference,
    align,
    brief,
    history_job,
    parse_reference,
    trace,
)
from documents.tracked_changes import read_document
from room_policies.roles import Role
from tests.unit.docx_builder import build, dele, ins, p

AGREED, APPROVED = ParagraphStatus.AGREED_AD_REFERENDUM, ParagraphStatus.APPROVED
V1_TEXT = [
    "Inter-American Plan",
    "The parties shall cooperate.",
    "Each State shall designate a focal point.",
    "The Secretariat shall report annually.",
]
V1 = build(*V1_TEXT)
AG1 = build(
    V1_TEXT[0],
    p("The parties ", dele("shall", author="AG"), ins("should", author="AG"), " cooperate."),
    p(ins("Risk maps shall be shared.", author="AG"), ins_mark=True, author="AG"),
    *V1_TEXT[2:],
)
BR1 = build(
    *V1_TEXT[:2],
    p("Each State shall designate a ", ins("national ", author="BR"), "focal point."),
    V1_TEXT[3],
)


@pytest.fixture(scope="module")
def v2() -> bytes:
    """Version 2 as `!distribute` makes it: the compilation of round 1, every change accepted."""
    return compile_job("Matriz.docx", V1, [("AG_Matriz.docx", AG1), ("BR_Matriz.docx", BR1)]).clean


def v2_proposals(v2: bytes) -> list[tuple[int, str, bytes]]:
    text = read_document(v2).accept_view()
    assert text == [
        "Inter-American Plan",
        "The parties should (AG) cooperate.",
        "2 bis. Risk maps shall be shared. (AG)",
        "Each State shall designate a national (BR) focal point.",
        "The Secretariat shall report annually.",
    ]
    br = build(
        *text[:2],
        p(
            "2 bis. Risk maps ",
            dele("shall", author="BR"),
            ins("may", author="BR"),
            " be shared. (AG)",
        ),
        *text[3:],
    )
    cl = build(
        text[0],
        p("The parties ", ins("shall ", author="CL"), "should (AG) cooperate."),
        *text[2:],
    )
    return [(2, "BR_Matriz.docx", br), (2, "CL_Matriz.docx", cl)]


def story(v2: bytes, paragraph: str) -> dict[str, object]:
    proposals = [(1, "AG_Matriz.docx", AG1), (1, "BR_Matriz.docx", BR1), *v2_proposals(v2)]
    result = history_job("Matriz.docx", [(1, V1), (2, v2)], proposals, paragraph)
    assert isinstance(result, dict)
    return result


# -- the pure story ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", Reference(12)),
        ("12 bis", Reference(12, "bis")),
        ("12bis", Reference(12, "bis")),
        (" 3 TER. ", Reference(3, "ter")),
        ("0", None),
        ("12 foo", None),
        ("bis", None),
        ("", None),
    ],
)
def test_a_paragraph_is_named_by_number_or_label(text: str, expected: Reference | None) -> None:
    assert parse_reference(text) == expected


def test_versions_are_aligned_paragraph_by_paragraph() -> None:
    old = ["A title", "The parties shall cooperate.", "", "Each State reports."]
    new = [
        "A title",
        "The parties should (AG) cooperate.",
        "2 bis. New text.",
        "Each State reports.",
    ]
    assert align(old, new) == {0: 0, 1: 1, 3: 3}
    assert trace([old, new], 1, 3) == [3, 3]
    assert trace([old, new], 1, 2) == [None, 2]
    assert trace([old, new], 0, 1) == [1, 1]


def test_a_paragraph_across_two_rounds(v2: bytes) -> None:
    result = story(v2, "2")
    assert result["found"] is True
    assert result["versions"] == [
        {"version": 1, "number": 2, "text": "The parties shall cooperate."},
        {"version": 2, "number": 2, "text": "The parties should (AG) cooperate."},
    ]
    by_round = {(c["version"], c["code"]): c["pieces"] for c in result["proposals"]}  # type: ignore[attr-defined,index]
    assert set(by_round) == {(1, "AG"), (2, "CL")}
    assert ["shall", "deleted"] in by_round[(1, "AG")]
    assert ["should", "inserted"] in by_round[(1, "AG")]
    assert [" shall", "inserted"] in by_round[(2, "CL")]


def test_a_new_paragraph_is_found_by_its_label_and_its_proposal_in_the_round_before(
    v2: bytes,
) -> None:
    result = story(v2, "2 bis")
    assert result["versions"] == [
        {"version": 1, "number": None, "text": None},
        {"version": 2, "number": 3, "text": "2 bis. Risk maps shall be shared. (AG)"},
    ]
    codes = [(c["version"], c["code"]) for c in result["proposals"]]  # type: ignore[attr-defined,index]
    assert codes == [(1, "AG"), (2, "BR")]
    round_one = result["proposals"][0]["pieces"]  # type: ignore[index]
    assert any(kind == "inserted" and "Risk maps" in text for text, kind in round_one)


def test_a_paragraph_numbered_anew_is_followed_back(v2: bytes) -> None:
    result = story(v2, "4")
    assert [(v["version"], v["number"]) for v in result["versions"]] == [(1, 3), (2, 4)]  # type: ignore[attr-defined,index]
    assert [(c["version"], c["code"]) for c in result["proposals"]] == [(1, "BR")]  # type: ignore[attr-defined,index]


def test_no_such_paragraph(v2: bytes) -> None:
    assert story(v2, "99")["found"] is False
    assert story(v2, "3 ter")["found"] is False


def test_a_long_proposal_is_cut() -> None:
    long = "word " * 100
    pieces = brief([(long, "same"), ("x", "inserted"), (long, "same"), ("y" * 600, "deleted")])
    text = "".join(t for t, _ in pieces)
    assert len(text) < 520
    assert pieces[0][0].startswith("…") and pieces[1] == ("x", "inserted")
    assert pieces[-1][0].endswith("…")


# -- recorded with the status --------------------------------------------------------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await database.migrate()
    yield database
    await database.close()


async def test_each_status_change_is_recorded_with_its_version_and_round(db: Database) -> None:
    registry, past = Registry(db), ParagraphHistory(db)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with db._session.begin() as s:
        s.add(
            RoundRecord(
                document="Matriz.docx",
                version=1,
                opens_at=now,
                closes_at=now,
                reminders="",
                meeting="2026-12-12",
                opened_by="@chair:x",
                created_at=now,
                source_event_id="$round",
            )
        )
    rounds = await past.rounds("Matriz.docx")
    assert list(rounds) == [1] and rounds[1].meeting == "2026-12-12"
    await registry.set_status("Matriz.docx", [3, 4], AGREED, "@chair:x", version=1, round_id=1)
    await registry.set_status("Matriz.docx", [4], APPROVED, "@chair:x", "2026-12-12", version=1)
    changes = await past.changes("Matriz.docx")
    assert [(c.paragraph, c.status, c.meeting, c.version, c.round_id) for c in changes] == [
        (3, AGREED, None, 1, 1),
        (4, AGREED, None, 1, 1),
        (4, APPROVED, "2026-12-12", 1, None),
    ]
    assert await registry.statuses("Matriz.docx") == {3: AGREED, 4: APPROVED}
    day = changes[0].set_at.date().isoformat()
    assert await past.by_paragraph("Matriz.docx") == {
        3: [StatusEntry(AGREED, 1, None, day)],
        4: [StatusEntry(AGREED, 1, None, day), StatusEntry(APPROVED, 1, "2026-12-12", day)],
    }


# -- worded ---------------------------------------------------------------------------------------

AGREED_AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
APPROVED_AT = datetime(2026, 12, 12, 15, 0, tzinfo=UTC)
STORY = ParagraphStory(
    "Matriz.docx",
    "2",
    [
        VersionText(1, 2, "The parties shall cooperate."),
        VersionText(
            2,
            2,
            "The parties should (AG) cooperate.",
            datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
            datetime(2026, 12, 10, 22, 0, tzinfo=UTC),
            "2026-12-12",
        ),
    ],
    [
        ProposedChange(
            1,
            "AG",
            [("The parties ", "same"), ("shall", "deleted"), ("should", "inserted"), (".", "same")],
        )
    ],
    [
        StatusStep(AGREED, 2, None, AGREED_AT),
        StatusStep(APPROVED, 2, "2026-12-12", APPROVED_AT),
    ],
)


ARGS = history.HistoryArgs(document="Matriz", paragraph="2")


class Fake:
    def __init__(self, pending: PendingApprovals | None = None) -> None:
        self.asked: list[tuple[str, str]] = []
        self.awaiting = pending

    async def story(self, document: str, paragraph: str) -> ParagraphStory:
        self.asked.append((document, paragraph))
        return STORY

    async def pending(self, document: str | None) -> PendingApprovals:
        assert self.awaiting is not None
        return self.awaiting


def asked(language: str, body: str, place: str = DESK) -> Invocation:
    return Invocation(
        sender="@ag.fp:example.org",
        room_id="!desk:example.org",
        event_id="$e",
        body=body,
        sent_ms=0,
        now_ms=0,
        role=Role.FOCAL_POINT if place == DESK else Role.CHAIR,
        place=place,
        delegation="AG" if place == DESK else None,
        language=language,
        timezone="America/New_York",
    )


async def test_history_in_english_plain_and_html() -> None:
    fake = Fake()
    args = history.HistoryArgs(document="Matriz", paragraph="2")
    reply = await history.history(fake, asked("en", "!history Matriz 2"), args)
    assert fake.asked == [("Matriz", "2")]
    assert reply.text.splitlines() == [
        "History of paragraph 2 of Matriz.docx",
        "Version 1, paragraph 2: “The parties shall cooperate.”",
        "• AG: The parties [-shall-]{+should+}.",
        "Version 2, paragraph 2: “The parties should (AG) cooperate.”",
        "• Round 2: open from Dec 1, 2026, 9:00\u202fAM to Dec 10, 2026, 5:00\u202fPM, for the "
        "formal meeting of Dec 12, 2026.",
        "• No delegation proposed a change to it on version 2.",
        "Status",
        "• Nov 30, 2026, 10:00\u202fAM: agreed ad referendum in round 2.",
        "• Dec 12, 2026, 10:00\u202fAM: approved at the meeting of Dec 12, 2026.",
    ]
    assert "<del>shall</del><u>should</u>" in reply.html
    assert "<strong>AG: </strong>" in reply.html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "es",
            [
                "Historial del párrafo 2 de Matriz.docx",
                "Versión 1, párrafo 2: «The parties shall cooperate.»",
                "acordado ad referéndum en la ronda 2",
                "aprobado en la reunión del 12 dic 2026",
                "Ronda 2: abierta del",
                "Ninguna delegación propuso cambios",
            ],
        ),
        (
            "fr",
            [
                "Historique du paragraphe 2 de Matriz.docx",
                "Version 1, paragraphe 2 : « The parties shall cooperate. »",
                "convenu ad referendum au cycle 2",
                "approuvé à la réunion du 12 déc. 2026",
                "Cycle 2 : ouvert du",
                "Aucune délégation n'a proposé de modification",
            ],
        ),
        (
            "pt",
            [
                "Histórico do parágrafo 2 de Matriz.docx",
                "Versão 1, parágrafo 2: “The parties shall cooperate.”",
                "acordado ad referendum na rodada 2",
                "aprovado na reunião de 12 de dez. de 2026",
                "Rodada 2: aberta de",
                "Nenhuma delegação propôs alteração",
            ],
        ),
    ],
)
async def test_history_in_the_readers_language(language: str, words: list[str]) -> None:
    reply = await history.history(
        Fake(),
        asked(language, "!history Matriz 2"),
        history.HistoryArgs(document="Matriz", paragraph="2"),
    )
    for word in words:
        assert word in reply.text, (word, reply.text)
    assert "[-shall-]{+should+}" in reply.text


async def test_a_paragraph_never_marked_is_pending() -> None:
    class Unmarked(Fake):
        async def story(self, document: str, paragraph: str) -> ParagraphStory:
            return ParagraphStory("Matriz.docx", "3", [VersionText(1, 3, "Text.")], [], [])

    reply = await history.history(
        Unmarked(),
        asked("en", "!history Matriz 3"),
        history.HistoryArgs(document="Matriz", paragraph="3"),
    )
    assert reply.text.endswith("Status\n• Pending: no status has been set yet.")


async def test_pending_lists_what_the_meeting_must_approve() -> None:
    awaiting = PendingApprovals(
        "Matriz.docx",
        2,
        "2026-12-12",
        [AwaitingApproval(3, 2, AGREED_AT), AwaitingApproval(5, None, AGREED_AT)],
    )
    reply = await history.pending(
        Fake(awaiting), asked("en", "!pending", MODERATION), history.PendingArgs()
    )
    assert reply.text.splitlines() == [
        "Matriz.docx: paragraphs agreed ad referendum, to be approved at the formal meeting of "
        "Dec 12, 2026:",
        "• paragraph 3: agreed ad referendum in round 2 (Nov 30, 2026, 10:00\u202fAM)",
        "• paragraph 5: agreed ad referendum (Nov 30, 2026, 10:00\u202fAM)",
        "• At the meeting: !approve Matriz.docx 3,5 --meeting YYYY-MM-DD",
    ]
    none = PendingApprovals("Matriz.docx", 2, None, [])
    empty = await history.pending(
        Fake(none), asked("es", "!pending", MODERATION), history.PendingArgs()
    )
    assert empty.text.startswith("Matriz.docx: ningún párrafo")

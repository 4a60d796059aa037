"""What the platform says about rounds (issue #12), in English, Spanish, French and Portuguese,
and the calendar file of a round."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from commands import round_words
from commands.i18n import translator
from commands.round_calendar import calendar
from commands.round_refusals import OutsideRound
from commands.rounds_deps import RoundClosed, RoundInfo, RoundState
from commands.table import Refusal

INFO = RoundInfo(
    3,
    "Matriz.docx",
    2,
    datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
    datetime(2026, 12, 10, 23, 0, tzinfo=UTC),
    (timedelta(hours=72), timedelta(hours=2)),
    date(2026, 12, 12),
    RoundState.OPEN,
)
ZONE = "America/New_York"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Round 3 is open", "Dec 10, 2026", "6:00", "11:00", "UTC", "Dec 12, 2026"]),
        ("es", ["La ronda 3 está abierta", "10 dic 2026", "18:00", "23:00", "12 dic 2026"]),
        ("fr", ["Le cycle 3 est ouvert", "10 déc. 2026", "18:00", "23:00", "12 déc. 2026"]),
        ("pt", ["A rodada 3 está aberta", "10 de dez. de 2026", "18:00", "23:00", "12 de dez."]),
    ],
)
def test_the_announcement_gives_the_close_in_the_groups_zone_and_in_utc(
    language: str, expected: list[str]
) -> None:
    text = round_words.announcement(INFO, ZONE, translator(language)).text
    for part in expected:
        assert part in text, (part, text)
    assert "America/New_York" in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "closes in 2 hours"),
        ("es", "se cierra dentro de 2 horas"),
        ("fr", "se clôt dans 2 heures"),
        ("pt", "encerra dentro de 2 horas"),
    ],
)
def test_a_reminder_says_how_long_is_left_and_which_file_to_upload(
    language: str, expected: str
) -> None:
    text = round_words.reminder(INFO, timedelta(hours=2), "BR", ZONE, translator(language)).text
    assert expected in text and "BR_Matriz.docx" in text and "!check" in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["presentaron: AG", "no presentaron: BR, CL", "párrafos en conflicto: 2"]),
        ("fr", ["ont soumis : AG", "n'ont pas soumis : BR, CL", "paragraphes en conflit : 2"]),
        ("pt", ["apresentaram: AG", "não apresentaram: BR, CL", "parágrafos em conflito: 2"]),
    ],
)
def test_the_summary_at_the_close_says_who_submitted_and_the_conflicts(
    language: str, expected: list[str]
) -> None:
    closed = RoundClosed(
        INFO, ("AG",), ("BR", "CL"), ("2",), "Matriz_rev2.docx", "Matriz_compilation.docx"
    )
    text = round_words.closed_summary(closed, ZONE, translator(language)).text
    for part in expected:
        assert part in text, (part, text)
    assert "Matriz_rev2.docx" in text


def test_the_window_names_the_next_round_in_each_language() -> None:
    refusal = OutsideRound("Matriz.docx", INFO, None, ZONE)
    assert refusal.reason.startswith("proposals on Matriz.docx are received only during a round")
    assert "la próxima se abre el" in refusal.worded(translator("es"))
    assert "le prochain s'ouvre le" in refusal.worded(translator("fr"))
    assert "a próxima abre em" in refusal.worded(translator("pt"))


def test_the_calendar_holds_the_close_and_the_meeting() -> None:
    stamp = datetime(2026, 11, 30, tzinfo=UTC)
    data = calendar(INFO, stamp, "test.plenaria", translator("es"))
    assert data == calendar(INFO, stamp, "test.plenaria", translator("es"))  # the same file
    events = {str(e["uid"]): e for e in Calendar.from_ical(data).walk("VEVENT")}
    close = events["round-3-close@test.plenaria"]
    assert close.decoded("dtstart") == INFO.closes_at
    assert str(close["summary"]) == "Cierre de la ronda 3 sobre Matriz.docx"
    meeting = events["round-3-meeting@test.plenaria"]
    assert meeting.decoded("dtstart") == date(2026, 12, 12)


def test_a_compilation_the_engine_refused_at_the_close_is_told_with_its_reason() -> None:
    closed = RoundClosed(INFO, (), (), (), None, None, refused=Refusal("the base cannot be read."))
    text = round_words.closed_summary(closed, ZONE).text
    assert "The compilation was refused: the base cannot be read. Run !compile" in text

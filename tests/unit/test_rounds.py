"""Rounds of the virtual discussion (documents/rounds.py, SPEC §4): parsing, and the steps owed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.rounds import (
    DEFAULT_REMINDERS,
    MAX_REMINDERS,
    OffsetError,
    OffsetProblem,
    Round,
    StepKind,
    WhenError,
    WhenProblem,
    due,
    format_offset,
    parse_offsets,
    parse_when,
    window,
)

NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _round(hours_open: float = 100, **kw: object) -> Round:
    defaults: dict[str, object] = {
        "document": "Matriz.docx",
        "version": 1,
        "opens_at": T0,
        "closes_at": T0 + timedelta(hours=hours_open),
    }
    defaults.update(kw)
    return Round(**defaults)  # type: ignore[arg-type]


# --- WHEN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-10T18:00", datetime(2026, 12, 10, 23, 0, tzinfo=UTC)),  # New York, EST
        ("2026-07-10T18:00", datetime(2026, 7, 10, 22, 0, tzinfo=UTC)),  # EDT
        ("2026-12-10T18:00Z", datetime(2026, 12, 10, 18, 0, tzinfo=UTC)),
        ("2026-12-10T18:00z", datetime(2026, 12, 10, 18, 0, tzinfo=UTC)),
        ("2026-12-10T18:00-03:00", datetime(2026, 12, 10, 21, 0, tzinfo=UTC)),
        ("2026-12-10 18:00", datetime(2026, 12, 10, 23, 0, tzinfo=UTC)),
    ],
)
def test_when_is_iso_8601_in_the_working_groups_zone_unless_it_says_otherwise(
    text: str, expected: datetime
) -> None:
    assert parse_when(text, NEW_YORK) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tomorrow", WhenProblem.NOT_ISO),
        ("10/12/2026 18:00", WhenProblem.NOT_ISO),
        ("2026-13-10T18:00", WhenProblem.NOT_ISO),
        ("2026-12-10", WhenProblem.NO_TIME),
        ("", WhenProblem.NOT_ISO),
    ],
)
def test_a_when_that_is_not_an_instant_is_refused_with_its_reason(
    text: str, problem: WhenProblem
) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NEW_YORK)
    assert caught.value.problem is problem


# --- reminders ------------------------------------------------------------------------------


def test_offsets_are_distinct_and_longest_first() -> None:
    assert parse_offsets("2h,72h,24h,2h") == (
        timedelta(hours=72),
        timedelta(hours=24),
        timedelta(hours=2),
    )
    assert parse_offsets("3d, 90m ,30s") == (
        timedelta(days=3),
        timedelta(minutes=90),
        timedelta(seconds=30),
    )
    assert parse_offsets("") == ()
    assert parse_offsets("72h,24h,2h") == DEFAULT_REMINDERS


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("72", OffsetProblem.NOT_A_DURATION),
        ("2w", OffsetProblem.NOT_A_DURATION),
        ("-2h", OffsetProblem.NOT_A_DURATION),
        ("0h", OffsetProblem.ZERO),
        (",".join(f"{i}h" for i in range(1, MAX_REMINDERS + 2)), OffsetProblem.TOO_MANY),
    ],
)
def test_a_bad_offset_is_refused_with_its_reason(text: str, problem: OffsetProblem) -> None:
    with pytest.raises(OffsetError) as caught:
        parse_offsets(text)
    assert caught.value.problem is problem


@given(st.lists(st.integers(1, 99_999), min_size=1, max_size=MAX_REMINDERS))
def test_format_offset_reads_back(seconds: list[int]) -> None:
    offsets = parse_offsets(",".join(f"{s}s" for s in seconds))
    assert parse_offsets(",".join(format_offset(o) for o in offsets)) == offsets


def test_a_round_closes_after_it_opens() -> None:
    with pytest.raises(ValueError, match="closes after it opens"):
        _round(hours_open=0)


# --- steps owed -----------------------------------------------------------------------------


def test_the_life_of_a_round() -> None:
    r = _round()  # opens T0, closes T0+100h, reminds at 72h, 24h, 2h before
    assert due(r, T0 - timedelta(seconds=1)) == []
    assert [s.kind for s in due(r, T0)] == [StepKind.OPEN]
    r = _round(taken=frozenset({"open"}))
    assert due(r, T0 + timedelta(hours=27)) == []
    (reminder,) = due(r, T0 + timedelta(hours=28))
    assert reminder.offset == timedelta(hours=72)
    r = _round(taken=frozenset({"open", reminder.key}))
    assert due(r, T0 + timedelta(hours=75)) == []
    (close,) = due(_round(taken=frozenset({"open", "remind:259200", "remind:86400"})), r.closes_at)
    assert close.kind is StepKind.CLOSE


def test_a_bot_down_across_two_reminders_sends_only_the_latest() -> None:
    r = _round(taken=frozenset({"open"}))
    (step,) = due(r, T0 + timedelta(hours=99))  # 72h and 24h and 2h reminders all passed
    assert step.offset == timedelta(hours=2)


def test_a_bot_down_across_the_close_closes_once_and_reminds_nobody() -> None:
    steps = due(_round(), T0 + timedelta(hours=200))
    assert [s.kind for s in steps] == [StepKind.OPEN, StepKind.CLOSE]
    taken = frozenset(s.key for s in steps)
    assert due(_round(taken=taken), T0 + timedelta(hours=300)) == []


def test_reminders_before_the_opening_are_dropped() -> None:
    r = _round(hours_open=30)  # the 72h reminder would fall before the opening
    assert [s.offset for s in r.reminder_steps()] == [timedelta(hours=24), timedelta(hours=2)]


def test_a_cancelled_round_owes_nothing() -> None:
    assert due(_round(cancelled=True), T0 + timedelta(hours=200)) == []


@settings(max_examples=200)
@given(
    hours_open=st.integers(1, 200),
    offsets=st.lists(st.integers(1, 300), max_size=MAX_REMINDERS, unique=True),
    wakeups=st.lists(st.integers(-50, 400), min_size=1, max_size=30),
)
def test_whenever_the_bot_wakes_each_step_is_taken_at_most_once_and_in_its_window(
    hours_open: int, offsets: list[int], wakeups: list[int]
) -> None:
    """RD1–RD4 as an invariant: wake up at any instants, in order, taking what is owed."""
    reminders = tuple(sorted((timedelta(hours=o) for o in offsets), reverse=True))
    r = _round(hours_open=hours_open, reminders=reminders)
    taken: list[str] = []
    for hour in sorted(wakeups):
        now = T0 + timedelta(hours=hour)
        r = _round(hours_open=hours_open, reminders=reminders, taken=frozenset(taken))
        for step in due(r, now):
            assert step.key not in taken  # RD4
            assert step.at <= now
            if step.kind is StepKind.REMIND:
                assert r.opens_at <= now < r.closes_at  # RD2: never after the close
                assert StepKind.CLOSE.value not in taken
            taken.append(step.key)
    if T0 + timedelta(hours=max(wakeups)) >= r.closes_at:
        assert taken[-1] == "close" and taken.count("close") == 1
    assert len(taken) == len(set(taken))
    assert not taken or taken[0] == "open"


# --- the window -----------------------------------------------------------------------------


def test_a_proposal_window_names_the_next_or_the_last_round() -> None:
    first = _round(hours_open=10)
    second = _round(version=2, opens_at=T0 + timedelta(days=5), closes_at=T0 + timedelta(days=6))
    rounds = [first, second, _round(document="Other.docx", hours_open=1000)]
    assert window(rounds, "Matriz.docx", T0 + timedelta(hours=1)).open_round == first
    between = window(rounds, "Matriz.docx", T0 + timedelta(days=2))
    assert not between.is_open
    assert between.next_round == second and between.last_round == first
    after = window(rounds, "Matriz.docx", T0 + timedelta(days=7))
    assert after.next_round is None and after.last_round == second
    assert window([], "Matriz.docx", T0) == window(rounds, "None.docx", T0)
    cancelled = _round(cancelled=True, meeting=date(2026, 12, 12))
    assert not window([cancelled], "Matriz.docx", T0 + timedelta(hours=1)).is_open

"""Rounds of the virtual discussion (SPEC §4, seed III.D): when one opens, reminds and closes.

Pure: times come in as aware datetimes (the shell's injected clock), nothing is read from a
clock or stored here. The shell keeps each round and the steps already taken in its database;
`due` says which steps are owed at an instant, so a bot that was down catches up once:

RD1  A round opens at `opens_at` (at once when none is given) and closes at `closes_at`, after it.
RD2  A reminder is owed at each offset before the close (`72h,24h,2h` by default), only while the
     round is open: never before it opens, never at or after its close.
RD3  Catching up: of the reminders whose time has passed and that were not sent, only the latest
     is owed (one reminder, saying how long is left, not three stale ones); none once the round
     has closed.
RD4  Every step is owed once: a step already taken (its key) is never owed again.
RD5  A proposal is received only while a round of its document is open; otherwise the window is
     named: the next one if one is scheduled, else the last one that closed.

Reasons are typed (`WhenProblem`, `OffsetProblem`); `commands/` words them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum

__all__ = [
    "DEFAULT_REMINDERS",
    "MAX_REMINDERS",
    "OffsetError",
    "OffsetProblem",
    "Round",
    "Step",
    "StepKind",
    "WhenError",
    "WhenProblem",
    "Window",
    "due",
    "format_offset",
    "parse_offsets",
    "parse_when",
    "window",
]

MAX_REMINDERS = 10
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_OFFSET = re.compile(r"^(\d{1,5})([smhd])$")


class WhenProblem(StrEnum):
    NOT_ISO = "not_iso"  # not an ISO 8601 date and time
    NO_TIME = "no_time"  # a date alone: the close needs a time of day


class WhenError(ValueError):
    def __init__(self, problem: WhenProblem, text: str) -> None:
        super().__init__(f"{problem.value}: {text!r}")
        self.problem = problem
        self.text = text


def parse_when(text: str, zone: tzinfo) -> datetime:
    """An instant, in UTC, from ISO 8601 (`2026-12-10T18:00`, `…Z`, `…-03:00`); a time without
    an offset is in the working group's `zone`."""
    raw = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise WhenError(WhenProblem.NO_TIME, raw)
    try:
        moment = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise WhenError(WhenProblem.NOT_ISO, raw) from None
    if "T" not in raw.upper() and " " not in raw:
        raise WhenError(WhenProblem.NOT_ISO, raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


class OffsetProblem(StrEnum):
    NOT_A_DURATION = "not_a_duration"  # not a number followed by s, m, h or d
    ZERO = "zero"  # a reminder at the close itself is the close
    TOO_MANY = "too_many"  # more than MAX_REMINDERS


class OffsetError(ValueError):
    def __init__(self, problem: OffsetProblem, text: str) -> None:
        super().__init__(f"{problem.value}: {text!r}")
        self.problem = problem
        self.text = text


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Durations before the close (`72h,24h,2h`; units s, m, h, d), distinct, longest first.
    An empty text means no reminders."""
    offsets: set[timedelta] = set()
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        match = _OFFSET.match(part)
        if match is None:
            raise OffsetError(OffsetProblem.NOT_A_DURATION, part)
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        if seconds == 0:
            raise OffsetError(OffsetProblem.ZERO, part)
        offsets.add(timedelta(seconds=seconds))
    if len(offsets) > MAX_REMINDERS:
        raise OffsetError(OffsetProblem.TOO_MANY, text)
    return tuple(sorted(offsets, reverse=True))


def format_offset(offset: timedelta) -> str:
    """The offset as `parse_offsets` reads it, in its largest whole unit: `72h` → `3d`."""
    seconds = int(offset.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


DEFAULT_REMINDERS: tuple[timedelta, ...] = parse_offsets("72h,24h,2h")


class StepKind(StrEnum):
    OPEN = "open"
    REMIND = "remind"
    CLOSE = "close"


@dataclass(frozen=True)
class Step:
    """A step the platform owes a round; `key` is how the shell remembers it was taken."""

    kind: StepKind
    at: datetime
    offset: timedelta | None = None  # a reminder's distance from the close

    @property
    def key(self) -> str:
        if self.offset is None:
            return self.kind.value
        return f"{self.kind.value}:{int(self.offset.total_seconds())}"


@dataclass(frozen=True)
class Round:
    """One round of one document's version."""

    document: str
    version: int
    opens_at: datetime
    closes_at: datetime
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    meeting: date | None = None
    cancelled: bool = False
    taken: frozenset[str] = field(default_factory=frozenset)  # keys of steps already taken

    def __post_init__(self) -> None:
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            raise ValueError("a round's instants are aware datetimes")
        if self.closes_at <= self.opens_at:
            raise ValueError("a round closes after it opens")  # RD1

    def is_open(self, now: datetime) -> bool:
        return not self.cancelled and self.opens_at <= now < self.closes_at

    def reminder_steps(self) -> list[Step]:
        """RD2: the reminders that fall while the round is open, earliest first."""
        steps = [
            Step(StepKind.REMIND, self.closes_at - offset, offset)
            for offset in self.reminders
            if self.closes_at - offset >= self.opens_at
        ]
        return sorted(steps, key=lambda s: s.at)


def due(round_: Round, now: datetime) -> list[Step]:
    """The steps owed at `now`, in the order to take them (RD1–RD4)."""
    if round_.cancelled:
        return []
    owed: list[Step] = []
    if now >= round_.opens_at and StepKind.OPEN.value not in round_.taken:
        owed.append(Step(StepKind.OPEN, round_.opens_at))
    if now >= round_.closes_at:
        if StepKind.CLOSE.value not in round_.taken:
            owed.append(Step(StepKind.CLOSE, round_.closes_at))  # RD2/RD3: no reminder now
        return owed
    passed = [s for s in round_.reminder_steps() if s.at <= now]
    if passed and passed[-1].key not in round_.taken:
        owed.append(passed[-1])  # RD3: only the latest of the reminders missed
    return owed


@dataclass(frozen=True)
class Window:
    """Whether a proposal for a document is received now, and the window to name if not."""

    open_round: Round | None
    next_round: Round | None = None
    last_round: Round | None = None

    @property
    def is_open(self) -> bool:
        return self.open_round is not None


def window(rounds: Iterable[Round], document: str, now: datetime) -> Window:
    """RD5: the open round of `document` at `now`, else the next one, else the last one."""
    mine: Sequence[Round] = sorted(
        (r for r in rounds if r.document == document and not r.cancelled),
        key=lambda r: r.opens_at,
    )
    for round_ in mine:
        if round_.is_open(now):
            return Window(round_)
    coming = [r for r in mine if r.opens_at > now]
    past = [r for r in mine if r.closes_at <= now]
    return Window(
        None,
        next_round=coming[0] if coming else None,
        last_round=max(past, key=lambda r: r.closes_at) if past else None,
    )

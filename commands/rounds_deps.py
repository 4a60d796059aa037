"""What the rounds service answers (issue #12), as plain data the commands word.

The shell (`bot/docflow/rounds.py`) keeps the rounds and takes their steps; it returns these
records, never sentences. `commands/round.py`, `commands/schedule.py` and the notices the
platform posts on its own (`commands/round_words.py`) word them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from commands.documents_deps import CompileOutcome
    from commands.table import Refusal

__all__ = ["RoundClosed", "RoundInfo", "RoundRequest", "RoundState"]


class RoundState(StrEnum):
    COMING = "coming"  # opens later
    OPEN = "open"  # proposals are received
    CLOSING = "closing"  # past its close; the compilation is under way
    CLOSED = "closed"  # closed and compiled
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RoundInfo:
    number: int
    document: str
    version: int
    opens_at: datetime
    closes_at: datetime
    reminders: tuple[timedelta, ...]
    meeting: date | None
    state: RoundState


@dataclass(frozen=True)
class RoundRequest:
    """`!round open` as written: the shell reads the instants in the working group's zone."""

    document: str
    closes: str
    opens: str | None = None
    meeting: str | None = None
    reminders: str | None = None


@dataclass(frozen=True)
class RoundClosed:
    """What the close of a round compiled, for the moderation room."""

    round: RoundInfo
    submitted: tuple[str, ...]  # delegations with a standing proposal on the round's version
    missing: tuple[str, ...]  # delegations without one
    conflicts: tuple[str, ...]  # paragraphs where proposals conflict
    revision_name: str | None  # None: nothing to compile
    matrix_name: str | None
    compiled: CompileOutcome | None = None  # what was compiled (as `!compile` shows it)
    refused: Refusal | None = None  # why the engine could not compile (then nothing is posted)

"""The clock the platform reads, injected (issue #12): the system's in production, a manual one
in tests, so that no test sleeps for a schedule.

A `Clock` says what time it is (`now`, aware, in UTC) and waits until an instant or until woken
(`wait`): the round scheduler (`bot/docflow/round_steps.py`) waits for its next owed step this
way, and is woken early when a round changes. A `ManualClock` moves only when told
(`advance`, `set`), and wakes every waiter when it does.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]

# The longest the system clock sleeps at once: a suspended machine or a changed wall clock is
# noticed within this long.
_LONGEST_SLEEP_S = 300.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The present instant, aware, in UTC."""
        ...

    async def wait(self, until: datetime | None, wake: asyncio.Event) -> None:
        """Return at `until` (never, if None), when `wake` is set, or earlier (the caller looks
        at the time again); never later than `until` by this clock."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def wait(self, until: datetime | None, wake: asyncio.Event) -> None:
        timeout = _LONGEST_SLEEP_S
        if until is not None:
            timeout = min(timeout, max(0.0, (until - self.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)


class ManualClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's instants are aware")
        self._now = start.astimezone(UTC)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        return self.set(self._now + delta)

    def set(self, moment: datetime) -> datetime:
        self._now = moment.astimezone(UTC)
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()  # every waiter looks at the time again
        return self._now

    async def wait(self, until: datetime | None, wake: asyncio.Event) -> None:
        if until is not None and until <= self._now:
            return
        moved = self._moved
        waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(moved.wait())}
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

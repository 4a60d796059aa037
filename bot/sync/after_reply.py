"""Work a handler leaves for after its answer is sent: filing a proposal's copy in the plan
folder (`bot/docflow/intake.py`) once its receipt is on its way.

At a deadline the receipt is what the focal point waits for; the filed copy is for the readers
of the folder. The dispatcher (`bot/sync/dispatch.py`) sends the answer, then runs what the
handler deferred for that event, and only then marks the event handled. If the deferred work
fails, or the bot stops before it is done, the event is not marked handled: the next start
handles it again, and the same transaction ids keep the receipt and the copy single.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Work = Callable[[], Awaitable[object]]


class AfterReply:
    def __init__(self) -> None:
        self._pending: dict[str, list[Work]] = {}

    def defer(self, event_id: str, work: Work) -> None:
        """Run `work` once the answer to `event_id` is sent."""
        self._pending.setdefault(event_id, []).append(work)

    async def run(self, event_id: str) -> None:
        """What was deferred for `event_id`, in order; the first failure is raised (and the
        rest is left for the next start, which redoes the event)."""
        for work in self._pending.pop(event_id, []):
            await work()

    def drop(self, event_id: str) -> None:
        """Forget what was deferred for an event whose handling failed."""
        self._pending.pop(event_id, None)

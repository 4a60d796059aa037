"""Which sync token may be saved: never one past an event still being handled.

Each sync batch is recorded with the token it was fetched *from*; while any of its events is
in flight, the saved token stays at that batch's start, so a crash makes the next start fetch
the batch again and the ledger skips what was already done. Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Batch:
    since: str | None
    pending: set[str] = field(default_factory=set)
    open: bool = True


class SyncCheckpoint:
    def __init__(self, token: str | None) -> None:
        self._batches: list[_Batch] = []
        self._latest = token
        self._owner: dict[str, _Batch] = {}

    def begin(self, since: str | None, next_batch: str) -> None:
        """A batch fetched from `since` has arrived; its events are added with `hold`.

        The batch stays open (the token cannot pass it) until `seal`, so a handler that
        finishes while the batch is still being routed cannot save a token past it.
        """
        self._batches.append(_Batch(since))
        self._latest = next_batch

    def hold(self, event_id: str) -> None:
        batch = self._batches[-1]
        if not batch.open:
            raise RuntimeError("hold() after seal(): begin() a batch first")
        batch.pending.add(event_id)
        self._owner[event_id] = batch

    def seal(self) -> None:
        """Every event of the newest batch has been held: the token may now pass it."""
        if self._batches:
            self._batches[-1].open = False

    def release(self, event_id: str) -> None:
        batch = self._owner.pop(event_id, None)
        if batch is not None:
            batch.pending.discard(event_id)

    def in_flight(self, event_id: str) -> bool:
        return event_id in self._owner

    def token(self) -> str | None:
        """The token to persist now."""
        while self._batches and not self._batches[0].pending and not self._batches[0].open:
            self._batches.pop(0)
        if self._batches:
            return self._batches[0].since
        return self._latest

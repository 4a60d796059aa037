"""Unit tests for bot/checkpoint.py: the saved sync token never passes an event in flight."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bot.sync.checkpoint import SyncCheckpoint


def test_fresh_checkpoint_returns_its_token() -> None:
    assert SyncCheckpoint("t0").token() == "t0"
    assert SyncCheckpoint(None).token() is None


def test_batch_without_events_advances_at_once() -> None:
    checkpoint = SyncCheckpoint("t0")
    checkpoint.begin("t0", "t1")
    checkpoint.seal()
    assert checkpoint.token() == "t1"


def test_token_stays_at_the_since_of_a_batch_in_flight() -> None:
    checkpoint = SyncCheckpoint(None)
    checkpoint.begin(None, "t1")
    checkpoint.hold("$a")
    checkpoint.seal()
    assert checkpoint.in_flight("$a")
    assert checkpoint.token() is None
    checkpoint.release("$a")
    assert not checkpoint.in_flight("$a")
    assert checkpoint.token() == "t1"


def test_token_stays_at_the_oldest_batch_in_flight() -> None:
    checkpoint = SyncCheckpoint("t0")
    checkpoint.begin("t0", "t1")
    checkpoint.hold("$a")
    checkpoint.hold("$b")
    checkpoint.seal()
    checkpoint.begin("t1", "t2")
    checkpoint.hold("$c")
    checkpoint.seal()
    checkpoint.begin("t2", "t3")
    checkpoint.seal()
    assert checkpoint.token() == "t0"

    # The newer batch finishing first does not move the token past the older one.
    checkpoint.release("$c")
    assert checkpoint.token() == "t0"
    checkpoint.release("$a")
    assert checkpoint.token() == "t0"
    checkpoint.release("$b")
    assert checkpoint.token() == "t3"


def test_token_moves_to_the_next_batch_still_in_flight() -> None:
    checkpoint = SyncCheckpoint("t0")
    checkpoint.begin("t0", "t1")
    checkpoint.hold("$a")
    checkpoint.seal()
    checkpoint.begin("t1", "t2")
    checkpoint.seal()
    checkpoint.begin("t2", "t3")
    checkpoint.hold("$c")
    checkpoint.seal()
    checkpoint.release("$a")
    assert checkpoint.token() == "t2"
    checkpoint.release("$c")
    assert checkpoint.token() == "t3"


def test_release_of_an_unknown_event_is_harmless() -> None:
    checkpoint = SyncCheckpoint("t0")
    checkpoint.begin("t0", "t1")
    checkpoint.hold("$a")
    checkpoint.seal()
    checkpoint.release("$unknown")
    checkpoint.release("$a")
    checkpoint.release("$a")
    assert checkpoint.token() == "t1"


def test_token_is_stable_when_asked_twice() -> None:
    checkpoint = SyncCheckpoint("t0")
    checkpoint.begin("t0", "t1")
    checkpoint.hold("$a")
    checkpoint.seal()
    assert checkpoint.token() == checkpoint.token() == "t0"


def test_token_between_begin_and_hold_keeps_the_batch() -> None:
    # A handler of an older batch finishing while a new batch is still being routed must
    # not save a token past the new batch's commands (found by review of the router).
    checkpoint = SyncCheckpoint("t0")
    checkpoint.begin("t0", "t1")
    checkpoint.hold("a")
    checkpoint.seal()
    checkpoint.begin("t1", "t2")
    checkpoint.release("a")
    assert checkpoint.token() == "t1"
    checkpoint.hold("b")
    checkpoint.seal()
    assert checkpoint.token() == "t1"
    checkpoint.release("b")
    assert checkpoint.token() == "t2"


def test_hold_after_seal_is_a_programming_error() -> None:
    checkpoint = SyncCheckpoint("t0")
    checkpoint.begin("t0", "t1")
    checkpoint.seal()
    with pytest.raises(RuntimeError):
        checkpoint.hold("a")


class CheckpointMachine(RuleBasedStateMachine):
    """Random batches, holds and releases against a model of what the token must be.

    Tokens are `t0, t1, …` in sync order; batch k is fetched from `t<k>` to `t<k+1>`. The
    router holds a batch's commands right after `begin`, so a batch and its holds are one step.
    """

    def __init__(self) -> None:
        super().__init__()
        self.checkpoint = SyncCheckpoint("t0")
        self.batches = 0
        self.events = 0
        self.pending: dict[str, int] = {}  # event id -> index of its batch

    @rule(count=st.integers(min_value=0, max_value=3))
    def sync_batch(self, count: int) -> None:
        self.checkpoint.begin(f"t{self.batches}", f"t{self.batches + 1}")
        for _ in range(count):
            self.events += 1
            event_id = f"$e{self.events}"
            self.checkpoint.hold(event_id)
            self.pending[event_id] = self.batches
        self.checkpoint.seal()
        self.batches += 1

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data())
    def release_one(self, data: st.DataObject) -> None:
        event_id = data.draw(st.sampled_from(sorted(self.pending)))
        self.checkpoint.release(event_id)
        del self.pending[event_id]

    @rule()
    def release_everything(self) -> None:
        for event_id in list(self.pending):
            self.checkpoint.release(event_id)
        self.pending.clear()

    @rule()
    def release_unknown(self) -> None:
        self.checkpoint.release("$never-held")

    @invariant()
    def in_flight_matches(self) -> None:
        for i in range(1, self.events + 1):
            event_id = f"$e{i}"
            assert self.checkpoint.in_flight(event_id) == (event_id in self.pending)

    @invariant()
    def token_never_passes_a_held_event(self) -> None:
        token = self.checkpoint.token()
        assert token is not None
        index = int(token.removeprefix("t"))
        if self.pending:
            oldest = min(self.pending.values())
            # Never the next_batch of (or past) a batch with a held event: that batch's since.
            assert index == oldest
        else:
            assert index == self.batches


TestCheckpointMachine = CheckpointMachine.TestCase

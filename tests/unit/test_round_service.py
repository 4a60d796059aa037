"""Rounds in the shell (issue #12) on a real (SQLite) database and a manual clock: `!round`'s
service, the window a proposal must fall in, and the scheduler taking each owed step once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.docflow.round_steps import RoundSteps
from bot.docflow.rounds import Rounds
from bot.runtime.clock import ManualClock
from bot.storage.database import Database
from bot.storage.registry import Published, Registry
from bot.storage.rounds import RoundRepository, StoredRound
from commands.document_refusals import BaseNotChosen
from commands.documents_deps import AwaitingApproval, PendingApprovals
from commands.i18n import translator
from commands.multilingual import Worded, in_languages
from commands.reply import Reply
from commands.round_refusals import (
    BadMeeting,
    BadReminders,
    BadWhen,
    CloseNotAfter,
    NoRoundOf,
    NotOpenedYet,
    OutsideRound,
    RoundUnderWay,
)
from commands.rounds_deps import RoundClosed, RoundInfo, RoundRequest, RoundState
from commands.table import Invocation
from documents.rounds import Step, StepKind, due
from room_policies.roles import Platform, UserId
from room_policies.rooms import RoomRef

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await database.migrate()
    yield database
    await database.close()


async def publish(registry: Registry, event: str) -> Published:
    return await registry.publish(
        folder="plan",
        title="Matriz",
        file_name="Matriz.docx",
        symbol=None,
        classification="public",
        language="es",
        sha256="0" * 64,
        size=1,
        mimetype="application/octet-stream",
        publisher="@chair:x",
        source_event_id=event,
    )


def asked(event: str) -> Invocation:
    return Invocation("@chair:x", "!moderation", event, "!round", 0, 0)


class Woken:
    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> None:
        self.times += 1


@pytest.fixture
async def service(db: Database) -> tuple[Rounds, ManualClock, Woken]:
    registry = Registry(db)
    await publish(registry, "$v1")
    clock, woken = ManualClock(T0), Woken()
    rounds = Rounds(
        repository=RoundRepository(db),
        registry=registry,
        clock=clock,
        zone="America/New_York",
        changed=woken,
    )
    return rounds, clock, woken


async def test_open_a_round_on_the_current_version_once_per_command(
    service: tuple[Rounds, ManualClock, Woken],
) -> None:
    rounds, _, woken = service
    request = RoundRequest("matriz", "2026-12-04T13:00", meeting="2026-12-12", reminders="24h")
    info = await rounds.open_round(asked("$open"), request)
    again = await rounds.open_round(asked("$open"), request)  # the same command after a crash
    assert (info.number, info.document, info.version, info.state) == (
        1,
        "Matriz.docx",
        1,
        RoundState.OPEN,
    )
    assert info.closes_at == datetime(2026, 12, 4, 18, 0, tzinfo=UTC)  # New York, EST
    assert info.reminders == (timedelta(hours=24),) and str(info.meeting) == "2026-12-12"
    assert again == info and woken.times == 1
    with pytest.raises(RoundUnderWay) as refused:
        await rounds.open_round(asked("$second"), RoundRequest("Matriz.docx", "2026-12-20T10:00"))
    assert "round 1 of Matriz.docx (version 1) is already scheduled" in refused.value.reason


@pytest.mark.parametrize(
    ("request_", "refusal"),
    [
        (RoundRequest("Other.docx", "2026-12-04T13:00"), BaseNotChosen),
        (RoundRequest("Matriz.docx", "tomorrow"), BadWhen),
        (RoundRequest("Matriz.docx", "2026-12-04"), BadWhen),
        (RoundRequest("Matriz.docx", "2026-11-30T13:00"), CloseNotAfter),
        (RoundRequest("Matriz.docx", "2026-12-04T13:00", opens="2026-12-05T09:00"), CloseNotAfter),
        (RoundRequest("Matriz.docx", "2026-12-04T13:00", reminders="1w"), BadReminders),
        (RoundRequest("Matriz.docx", "2026-12-04T13:00", meeting="12/12/2026"), BadMeeting),
    ],
)
async def test_a_round_that_cannot_be_is_refused_with_the_reason(
    service: tuple[Rounds, ManualClock, Woken], request_: RoundRequest, refusal: type
) -> None:
    rounds, _, _ = service
    with pytest.raises(refusal):
        await rounds.open_round(asked("$bad"), request_)
    assert await rounds.rounds() == []


async def test_extend_close_and_cancel_change_the_round_under_way(
    service: tuple[Rounds, ManualClock, Woken],
) -> None:
    rounds, clock, _ = service
    with pytest.raises(NoRoundOf):
        await rounds.close_round(asked("$c"), None)
    later = RoundRequest("Matriz.docx", "2026-12-10T13:00", opens="2026-12-05T09:00")
    await rounds.open_round(asked("$open"), later)
    with pytest.raises(NotOpenedYet):
        await rounds.close_round(asked("$c"), "Matriz")
    extended = await rounds.extend_round(asked("$e"), None, "2026-12-11T13:00Z")
    assert extended.closes_at == datetime(2026, 12, 11, 13, 0, tzinfo=UTC)
    clock.set(datetime(2026, 12, 6, tzinfo=UTC))
    closed = await rounds.close_round(asked("$c2"), "matriz.docx")
    assert closed.closes_at == clock.now() and closed.state is RoundState.CLOSING
    cancelled = await rounds.cancel_round(asked("$x"), None)
    assert cancelled.state is RoundState.CANCELLED
    assert await rounds.schedule() == []


async def test_the_window_applies_only_to_a_document_that_has_had_a_round(
    service: tuple[Rounds, ManualClock, Woken], db: Database
) -> None:
    rounds, clock, _ = service
    v1 = await Registry(db).latest("Matriz.docx")
    assert v1 is not None
    assert await rounds.proposal_base(v1) == v1  # no round yet: at any time, as before
    await rounds.open_round(
        asked("$open"),
        RoundRequest("Matriz.docx", "2026-12-10T13:00", opens="2026-12-05T09:00"),
    )
    with pytest.raises(OutsideRound) as early:
        await rounds.proposal_base(v1)
    assert "the next one opens at Dec 5, 2026, 9:00\u202fAM (America/New_York; " in (
        early.value.reason
    )
    spanish = early.value.worded(translator("es"))
    assert spanish.startswith("las propuestas sobre Matriz.docx solo se reciben durante una ronda")

    clock.set(datetime(2026, 12, 6, tzinfo=UTC))
    v2 = await publish(Registry(db), "$v2")  # distributed mid-round: the round's version counts
    assert (await rounds.proposal_base(v2)).version == 1

    clock.set(datetime(2026, 12, 11, tzinfo=UTC))
    with pytest.raises(OutsideRound) as late:
        await rounds.proposal_base(v2)
    assert "the last one closed at Dec 10, 2026" in late.value.reason


class Recording(RoundSteps):
    """The scheduler with its effects recorded instead of posted."""

    def __init__(self, rounds: Rounds) -> None:
        nothing = cast(Any, None)
        super().__init__(
            rounds=rounds,
            governance=nothing,
            registry=nothing,
            compiler=nothing,
            transfer=nothing,
            domain="x",
        )
        self.effects: list[str] = []
        self.fail_once: str | None = None

    async def take(self, stored: StoredRound, step: Step) -> None:
        if self.fail_once == step.key:
            self.fail_once = None
            raise ConnectionError("the homeserver went away")
        self.effects.append(step.key)


async def test_the_scheduler_takes_each_owed_step_once_and_catches_up_with_the_latest(
    service: tuple[Rounds, ManualClock, Woken],
) -> None:
    rounds, clock, _ = service
    steps = Recording(rounds)
    await rounds.open_round(
        asked("$open"), RoundRequest("Matriz.docx", "2026-12-04T12:00Z", reminders="48h,24h,2h")
    )
    await steps.catch_up()
    await steps.catch_up()
    assert steps.effects == ["open"]
    assert await steps.next_step_at() == datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    # Down across two reminders: only the latest is sent.
    clock.set(datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    await steps.catch_up()
    assert steps.effects == ["open", "remind:86400"]

    # A step whose effects failed is not recorded, and is taken at the next attempt.
    clock.set(datetime(2026, 12, 4, 10, 30, tzinfo=UTC))
    steps.fail_once = "remind:7200"
    with pytest.raises(ConnectionError):
        await steps.catch_up()
    await steps.catch_up()
    assert steps.effects[-1] == "remind:7200"

    # Past the close: the close only, then nothing is owed or scheduled any more.
    clock.set(datetime(2026, 12, 5, tzinfo=UTC))
    await steps.catch_up()
    await steps.catch_up()
    assert steps.effects == ["open", "remind:86400", "remind:7200", "close"]
    assert await steps.next_step_at() is None
    assert [r.state for r in await rounds.rounds()] == [RoundState.CLOSED]


async def test_the_scheduler_wakes_when_the_clock_moves_or_a_round_changes(
    service: tuple[Rounds, ManualClock, Woken],
) -> None:
    import asyncio

    rounds, clock, _ = service
    steps = Recording(rounds)
    rounds.changed = steps.wake

    async def ready() -> None:
        return None

    task = asyncio.create_task(steps.run(ready))
    try:
        await rounds.open_round(
            asked("$open"), RoundRequest("Matriz.docx", "2026-12-04T12:00Z", reminders="1h")
        )
        for _ in range(100):
            if steps.effects:
                break
            await asyncio.sleep(0.01)
        assert steps.effects == ["open"]
        clock.set(datetime(2026, 12, 4, 11, 30, tzinfo=UTC))
        for _ in range(100):
            if len(steps.effects) == 2:
                break
            await asyncio.sleep(0.01)
        assert steps.effects == ["open", "remind:3600"]
    finally:
        task.cancel()


class Told:
    """The governance a round's close talks through: the moderation room and its readers."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.rooms = self
        self.bot = self
        self.platform = Platform(UserId("@plenaria:x"), UserId("@warden:x"))

    def room_id(self, ref: RoomRef) -> str | None:
        return f"!{ref.key}:x"

    async def worded(self, ref: RoomRef, notice: Worded) -> Reply:
        return in_languages(notice, ("en", "es"))

    async def send_notice(self, room_id: str, reply: Reply, *, txn_id: str) -> str:
        self.sent.append((room_id, reply.text, txn_id))
        return "$sent"


class Closing:
    async def compile_round(
        self, info: RoundInfo, room_id: str, seed: str, compiled_by: str
    ) -> RoundClosed:
        return RoundClosed(info, ("AG",), ("BR",), (), "Matriz_rev1.docx", "Matriz_m.docx")


async def test_the_close_lists_what_the_formal_meeting_must_approve(
    service: tuple[Rounds, ManualClock, Woken],
) -> None:
    """Seed III.G: the summary before the meeting names the paragraphs agreed ad referendum."""
    rounds, clock, _ = service
    told = Told()
    asked_for: list[str] = []

    async def pending(document: str) -> PendingApprovals:
        asked_for.append(document)
        return PendingApprovals(
            document, 1, "2026-12-12", [AwaitingApproval(3, 1, datetime(2026, 12, 2, tzinfo=UTC))]
        )

    nothing = cast(Any, None)
    steps = RoundSteps(
        rounds=rounds,
        governance=cast(Any, told),
        registry=nothing,
        compiler=cast(Any, Closing()),
        transfer=nothing,
        domain="x",
        pending=pending,
    )
    await rounds.open_round(
        asked("$open"), RoundRequest("Matriz.docx", "2026-12-04T12:00Z", reminders="")
    )
    clock.set(datetime(2026, 12, 5, tzinfo=UTC))
    (stored,) = await rounds.repository.all()
    await steps.take(
        stored, next(s for s in due(stored.round, clock.now()) if s.kind is StepKind.CLOSE)
    )
    assert asked_for == ["Matriz.docx"]
    summary, to_approve = (text for room, text, _ in told.sent if room == "!moderation:x")
    assert "not submitted: BR" in summary
    assert to_approve.startswith(
        "Matriz.docx: paragraphs agreed ad referendum, to be approved at the formal meeting of "
        "Dec 12, 2026:"
    )
    assert "• paragraph 3: agreed ad referendum in round 1" in to_approve
    assert "párrafo 3" in to_approve  # the working languages: English, then Spanish

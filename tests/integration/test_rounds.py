"""Rounds on a real Synapse with real E2EE clients (issue #12): the opening announced with its
calendar file, reminders only to the delegations that have not submitted, the window enforced,
the compilation at the close, the next round on the distributed version, and the history of the
paragraph both rounds changed; a bot stopped across a reminder and across a close posts each
once. (A one-minute round on the real clock, reminding 30 s before its close, with a real SIGKILL
of the bot's process across the reminder and the close: test_rounds_crash.py.)

The platform runs in this process with a `ManualClock` (bot/runtime/clock.py): the test moves
time, nothing sleeps for the schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from nio import Event, RoomEncryptedFile

from bot.demo.synapse_server import LocalSynapse
from bot.runtime.app import build_app
from bot.runtime.clock import ManualClock
from bot.runtime.settings import load_settings
from documents.tracked_changes import read_document
from room_policies.roles import DelegationCode, FolderKey, RoomKind
from room_policies.rooms import RoomRef
from tests.integration.conftest import RunningBot
from tests.integration.matrix_user import MatrixUser
from tests.integration.test_documents_flow import AG, BASE, BR
from tests.integration.working_group import WorkingGroup, wait_for
from tests.unit.docx_builder import build, ins, p, r

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")

MODERATION = RoomRef(RoomKind.MODERATION)
PLENARY = RoomRef(RoomKind.PLENARY)
PLAN = RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN)
ICS = "Matriz_round{n}.ics"


def desk(code: str) -> RoomRef:
    return RoomRef(RoomKind.DESK, delegation=DelegationCode(code))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def body(event: Event) -> str:
    return str(getattr(event, "body", ""))


def said(who: MatrixUser, room_id: str, start: str) -> list[Event]:
    return [ev for rid, ev in who.events if rid == room_id and body(ev).startswith(start)]


def files(who: MatrixUser, room_id: str, name: str) -> list[Event]:
    return [
        ev
        for rid, ev in who.events
        if rid == room_id
        and isinstance(ev, RoomEncryptedFile)
        and ev.source["content"].get("filename") == name
    ]


async def seen(who: MatrixUser, room_id: str, start: str, timeout: float = 90) -> Event:
    _, event = await who.wait_for(
        lambda rid, ev: rid == room_id and body(ev).startswith(start), timeout=timeout
    )
    return event


async def a_file(who: MatrixUser, room_id: str, name: str, timeout: float = 90) -> Event:
    await wait_for(lambda: bool(files(who, room_id, name)), timeout, name)
    return files(who, room_id, name)[0]


async def ask(who: MatrixUser, room_id: str, text: str) -> str:
    return body(await who.wait_reply(await who.send_text(room_id, text), timeout=90))


async def upload(who: MatrixUser, room_id: str, data: bytes, name: str) -> str:
    return body(await who.wait_reply(await who.send_file(room_id, data, name), timeout=120))


async def set_up(
    synapse: LocalSynapse, tmp_path: Path, codes: tuple[str, ...], clock: ManualClock | None
) -> tuple[WorkingGroup, dict[str, MatrixUser]]:
    group = WorkingGroup(synapse, tmp_path, codes)
    await group.create_accounts()
    await group.start(clock=clock)
    seats = ["chair", *(f"{c.lower()}.fp" for c in codes)]
    await group.accept_invites(seats)
    people = {seat: await group.matrix_user(seat) for seat in seats}
    chair = people["chair"]
    published = await chair.send_file(
        group.room_id(MODERATION), BASE, "Matriz.docx", "!publish plan"
    )
    assert "Published" in body(await chair.wait_reply(published, timeout=90))
    return group, people


async def test_a_round_from_its_opening_to_the_next_round(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    group, people = await set_up(synapse, tmp_path, ("AG", "BR"), clock)
    chair, ag, br = people["chair"], people["ag.fp"], people["br.fp"]
    moderation, plenary, plan = (group.room_id(x) for x in (MODERATION, PLENARY, PLAN))
    ag_desk, br_desk = group.room_id(desk("AG")), group.room_id(desk("BR"))
    try:
        start = clock.now()
        closes = start + timedelta(hours=72)
        opened = await ask(
            chair,
            moderation,
            f"!round open Matriz --closes {iso(closes)} --meeting 2026-12-12 --reminders 48h,2h",
        )
        assert opened.startswith("Round 1 is scheduled"), opened
        assert "Matriz.docx version 1" in opened

        # A second round of the same document is refused, naming the one scheduled.
        second = await ask(chair, moderation, f"!round open Matriz.docx --closes {iso(closes)}")
        assert second.startswith("Refused: round 1 of Matriz.docx (version 1) is already"), second

        # The opening, in the plenary and the plan folder, with the calendar file.
        for room_id in (plenary, plan):
            announced = body(await seen(ag, room_id, "Round 1 is open"))
            assert "Matriz.docx version 1" in announced and "UTC" in announced
            assert "Dec 12, 2026" in announced
        ics = Calendar.from_ical(await ag.download(await a_file(ag, plenary, ICS.format(n=1))))
        events = {str(e["uid"]).split("@")[0]: e for e in ics.walk("VEVENT")}
        assert events["round-1-close"].decoded("dtstart") == closes
        assert events["round-1-meeting"].decoded("dtstart") == date(2026, 12, 12)
        await a_file(ag, plan, ICS.format(n=1))

        # AG submits in the window; BR does not.
        receipt = await upload(ag, plenary, AG, "AG_Matriz.docx")
        assert receipt.startswith("Receipt: AG_Matriz.docx"), receipt

        # BR's focal point reads the platform in Spanish.
        assert (await ask(br, br_desk, "!lang es")).startswith("En adelante")

        # 48 h before the close: BR's desk is reminded (in Spanish), AG's is not; the plenary
        # once.
        clock.set(closes - timedelta(hours=48))
        reminded = body(await seen(br, br_desk, "Recordatorio: su delegación no ha presentado"))
        assert "se cierra dentro de 2 días" in reminded and "cargue BR_Matriz.docx" in reminded
        await seen(ag, plenary, "Reminder: round 1 on Matriz.docx closes in 2 days")
        # A reply in AG's desk, asked after the reminders, proves AG's desk had its chance.
        schedule = await ask(ag, ag_desk, "!schedule")
        assert "Round 1: Matriz.docx version 1, open" in schedule
        assert said(ag, ag_desk, "Reminder") == []

        # Past the close: the platform compiles by itself, in the moderation room.
        clock.set(closes + timedelta(minutes=1))
        summary = body(await seen(chair, moderation, "Round 1 on Matriz.docx version 1 closed"))
        assert "submitted: AG" in summary and "not submitted: BR" in summary
        assert "Matriz_rev1.docx" in summary
        await a_file(chair, moderation, "Matriz_rev1.docx")
        await a_file(chair, moderation, "Matriz_compilation.docx")
        # No reminder after the close: the 2 h one was never due while the round was open.
        assert len(said(ag, plenary, "Reminder")) == 1

        # After the close, a proposal is refused with the window named.
        late = await upload(br, plenary, BR, "BR_Matriz.docx")
        assert late.startswith("Denegado: BR_Matriz.docx: las propuestas sobre Matriz.docx"), late
        assert "la última se cerró el" in late
        late = await upload(ag, plenary, AG, "AG_Matriz.docx")
        assert late.startswith("Refused: AG_Matriz.docx: proposals on Matriz.docx are received")
        assert "the last one closed at" in late and "Nothing was filed" in late

        # The Chair distributes; round 2 is on version 2.
        distributed = await ask(chair, moderation, "!distribute")
        assert "version 2" in distributed, distributed
        closes2 = clock.now() + timedelta(days=5)
        opened2 = await ask(
            chair, moderation, f"!round open Matriz.docx --closes {iso(closes2)} --reminders 1d"
        )
        assert opened2.startswith("Round 2 is scheduled") and "version 2" in opened2, opened2
        await seen(br, plenary, "Round 2 is open: proposals on Matriz.docx version 2")
        await wait_for(lambda: len(files(br, plan, "Matriz.docx")) >= 2, 90, "version 2")
        texts = read_document(await br.download(files(br, plan, "Matriz.docx")[-1])).accept_view()
        # BR proposes on version 2 to the paragraph AG changed in round 1.
        v2 = build(
            p(r(texts[0]), ins(r(" Every year."), author="BR")),
            *(p(r(text)) for text in texts[1:]),
        )
        receipt2 = await upload(br, plenary, v2, "BR_Matriz.docx")
        assert "(versión 2)" in receipt2, receipt2
        status = await ask(chair, moderation, "!round status")
        assert "Round 2: Matriz.docx version 2, open" in status
        assert "Round 1: Matriz.docx version 1, closed" in status

        # The paragraph's history, read by AG's focal point: both rounds, each delegation's
        # change in its own round (BR's late proposal in round 1 was never filed).
        story = await ask(ag, plenary, "!history Matriz 1")
        lines = story.splitlines()
        assert lines[0] == "History of paragraph 1 of Matriz.docx", story
        assert "Version 1, paragraph 1: “The parties shall cooperate in disaster prevention.”" in (
            lines
        ), story
        assert f"Version 2, paragraph 1: “{texts[0]}”" in lines, story
        round1 = next(line for line in lines if line.startswith("• Round 1: open from "))
        assert "for the formal meeting of Dec 12, 2026" in round1, story
        assert any(line.startswith("• Round 2: open from ") for line in lines), story
        ag_change = "• AG: The parties [-shall-]{+should+} cooperate in disaster prevention."
        br_change = f"• BR: {texts[0]}{{+ Every year.+}}"
        assert [line for line in lines if line.startswith(("• AG: ", "• BR: "))] == [
            ag_change,
            br_change,
        ], story
        assert (
            story.index("Version 1,")
            < story.index("• Round 1:")
            < story.index(ag_change)
            < story.index("Version 2,")
            < story.index("• Round 2:")
            < story.index(br_change)
        ), story
    finally:
        await group.stop()


async def test_a_bot_stopped_across_a_reminder_and_a_close_posts_each_once(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    group, people = await set_up(synapse, tmp_path, ("AG", "BR"), clock)
    chair, ag, br = people["chair"], people["ag.fp"], people["br.fp"]
    moderation, plenary = group.room_id(MODERATION), group.room_id(PLENARY)
    br_desk = group.room_id(desk("BR"))
    settings = load_settings(group.write_config())
    try:
        closes = clock.now() + timedelta(hours=10)
        opened = await ask(
            chair, moderation, f"!round open Matriz.docx --closes {iso(closes)} --reminders 2h"
        )
        assert opened.startswith("Round 1 is scheduled"), opened
        await seen(ag, plenary, "Round 1 is open")
        assert (await upload(ag, plenary, AG, "AG_Matriz.docx")).startswith("Receipt")

        async def crash_after_effects_of(key: str) -> None:
            """Stop the bot the moment the step's effects are posted, before it is recorded."""
            assert group.bot is not None
            steps = group.bot.app.round_steps
            assert steps is not None
            repository = steps.rounds.repository
            record = repository.take
            posted = asyncio.Event()

            async def never_recorded(round_id: int, step: str, at: datetime) -> None:
                if step.startswith(key):
                    posted.set()
                    await asyncio.Event().wait()  # the crash comes first
                await record(round_id, step, at)

            repository.take = never_recorded  # type: ignore[method-assign]
            return_when = asyncio.ensure_future(posted.wait())
            await asyncio.wait_for(return_when, 120)
            group.bot.task.cancel()  # abruptly: no drain, nothing saved on the way out
            with contextlib.suppress(asyncio.CancelledError):
                await group.bot.task

        async def restarted_and_recorded(key: str) -> None:
            group.bot = RunningBot(build_app(settings, clock=clock))
            await group.bot.ready()
            await group.provisioned()
            steps = group.bot.app.round_steps
            assert steps is not None

            async def recorded() -> bool:
                stored = await steps.rounds.repository.get(1)
                return stored is not None and any(k.startswith(key) for k in stored.round.taken)

            await wait_for(recorded, 120, f"the {key} step recorded after the restart")

        # Across a reminder.
        clock.set(closes - timedelta(hours=2))
        crash = asyncio.ensure_future(crash_after_effects_of("remind"))
        await seen(br, br_desk, "Reminder: your delegation has not submitted")
        await crash
        await restarted_and_recorded("remind")
        marker = await ask(br, br_desk, "!schedule")  # answered after the catch-up
        assert "Round 1" in marker
        await ask(ag, plenary, "!status")
        assert len(said(br, br_desk, "Reminder")) == 1
        assert len(said(ag, plenary, "Reminder")) == 1

        # Across a close.
        clock.set(closes + timedelta(seconds=1))
        crash = asyncio.ensure_future(crash_after_effects_of("close"))
        await seen(chair, moderation, "Round 1 on Matriz.docx version 1 closed")
        await crash
        await restarted_and_recorded("close")
        status = await ask(chair, moderation, "!round status")
        assert "Round 1: Matriz.docx version 1, closed" in status
        assert len(said(chair, moderation, "Round 1 on Matriz.docx version 1 closed")) == 1
        assert len(files(chair, moderation, "Matriz_rev1.docx")) == 1
        assert len(files(chair, moderation, "Matriz_compilation.docx")) == 1
        assert len(said(br, br_desk, "Reminder")) == 1
    finally:
        await group.stop()

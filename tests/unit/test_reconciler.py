"""The reconciler applies the pure plan and does nothing else: a dry run is the plan, a real run
makes exactly its corrections, in its order, through the room's governing account. No
homeserver: a small fake holds the rooms' state as the client-server API serves it."""

from __future__ import annotations

import itertools
from typing import Any

from bot.governance.directory import RoomDirectory
from bot.governance.reconciler import Reconciler
from bot.matrix.errors import MatrixError
from room_policies.room_plan import ActualRoom, Correction, Fix, creation_request, plan
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef, desired_rooms
from tests.unit.test_breaches import (
    AG_EXP,
    AG_EXPERTS,
    AG_FP,
    BOT,
    PLATFORM,
    PLENARY,
    ROSTER,
    SERVER,
    STRANGER,
    WARDEN,
)
from tests.unit.test_room_plan import SPACE

_ids = itertools.count()


class FakeAccount:
    """One platform account on a fake homeserver: the calls the reconciler makes, recorded and
    applied to the rooms' state; `refused` users cannot be invited (M_FORBIDDEN)."""

    def __init__(self, user_id: str, rooms: dict[str, dict[tuple[str, str], dict[str, Any]]]):
        self.user_id = user_id
        self.rooms = rooms  # room id -> (type, state key) -> event
        self.calls: list[tuple[str, ...]] = []
        self.refused: set[str] = set()

    def _write(self, room_id: str, etype: str, key: str, content: dict[str, Any]) -> str:
        event_id = f"$e{next(_ids)}"
        event = {"type": etype, "state_key": key, "sender": self.user_id, "content": content}
        self.rooms[room_id][(etype, key)] = {**event, "event_id": event_id}
        return event_id

    async def joined_rooms(self) -> list[str]:
        own = ("m.room.member", self.user_id)
        return [
            r
            for r, s in self.rooms.items()
            if s.get(own, {}).get("content") == {"membership": "join"}
        ]

    async def room_state(self, room_id: str) -> list[dict[str, Any]]:
        return list(self.rooms[room_id].values())

    async def put_state(
        self, room_id: str, event_type: str, state_key: str, content: dict[str, Any]
    ) -> str:
        self.calls.append(("put_state", room_id, event_type, state_key))
        return self._write(room_id, event_type, state_key, content)

    async def invite(self, room_id: str, user_id: str, reason: str | None = None) -> None:
        self.calls.append(("invite", room_id, user_id))
        if user_id in self.refused:
            raise MatrixError("invite", "M_FORBIDDEN")
        self._write(room_id, "m.room.member", user_id, {"membership": "invite"})

    async def kick(self, room_id: str, user_id: str, reason: str) -> None:
        self.calls.append(("kick", room_id, user_id, reason))
        self._write(room_id, "m.room.member", user_id, {"membership": "leave"})

    async def create_room(self, body: dict[str, Any]) -> str:
        self.calls.append(("create_room",))
        room_id = f"!r{next(_ids)}:{SERVER}"
        self.rooms[room_id] = {}
        self._write(room_id, "m.room.create", "", {"room_version": body["room_version"]})
        self._write(room_id, "m.room.member", self.user_id, {"membership": "join"})
        self._write(room_id, "m.room.power_levels", "", body["power_level_content_override"])
        for event in body["initial_state"]:
            self._write(room_id, event["type"], event["state_key"], event["content"])
        self._write(room_id, "m.room.name", "", {"name": body["name"]})
        for user in body["invite"]:
            self._write(room_id, "m.room.member", user, {"membership": "invite"})
        return room_id


class NoDatabase:
    """The directory's database table, empty and forgetful."""

    async def all(self) -> dict[str, Any]:
        return {}

    async def record(self, ref: str, room_id: str, governor: str) -> None:
        pass


def platform() -> tuple[Reconciler, FakeAccount, FakeAccount]:
    rooms: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    bot, warden = FakeAccount(BOT, rooms), FakeAccount(WARDEN, rooms)
    reconciler = Reconciler(
        bot=bot,  # type: ignore[arg-type]
        warden=warden,  # type: ignore[arg-type]
        directory=RoomDirectory(NoDatabase(), PLATFORM),  # type: ignore[arg-type]
        platform=PLATFORM,
        server_name=SERVER,
    )
    return reconciler, bot, warden


def actual(reconciler: Reconciler, account: FakeAccount, ref: RoomRef) -> ActualRoom:
    room_id = reconciler.directory.room_id(ref)
    assert room_id is not None
    return ActualRoom.from_state_events(account.rooms[room_id].values())


async def drifted_plenary(reconciler: Reconciler, bot: FakeAccount) -> str:
    """The plenary, made by the bot, then drifted: an avatar, a stranger joined, a focal point
    gone."""
    await reconciler.reconcile_room(ROSTER, PLENARY)
    room_id = reconciler.directory.room_id(PLENARY)
    assert room_id is not None
    state = bot.rooms[room_id]
    avatar = {"type": "m.room.avatar", "state_key": "", "content": {"url": "mxc://x/y"}}
    state[("m.room.avatar", "")] = avatar
    for user, membership in ((STRANGER, "join"), (AG_FP, "leave")):
        event = {"type": "m.room.member", "state_key": user, "content": {"membership": membership}}
        state[("m.room.member", user)] = event
    bot.calls.clear()
    return room_id


async def test_a_dry_run_is_exactly_the_plan_and_changes_nothing() -> None:
    reconciler, bot, _ = platform()
    await drifted_plenary(reconciler, bot)
    expected = plan(reconciler.desired_room(ROSTER, PLENARY), actual(reconciler, bot, PLENARY))
    assert [c.fix for c in expected] == [Fix.CLEAR_STATE, Fix.REMOVE, Fix.INVITE]
    assert await reconciler.reconcile_room(ROSTER, PLENARY, dry_run=True) == expected
    assert bot.calls == []


async def test_a_real_run_makes_the_plans_corrections_in_order() -> None:
    reconciler, bot, _ = platform()
    room_id = await drifted_plenary(reconciler, bot)
    expected = plan(reconciler.desired_room(ROSTER, PLENARY), actual(reconciler, bot, PLENARY))
    assert await reconciler.reconcile_room(ROSTER, PLENARY) == expected
    removal = expected[1]
    assert bot.calls == [
        ("put_state", room_id, "m.room.avatar", ""),
        ("kick", room_id, STRANGER, removal.reason),
        ("invite", room_id, AG_FP),
    ]
    # The platform's own writes are known, so the enforcer does not take them for breaches.
    avatar = bot.rooms[room_id][("m.room.avatar", "")]
    assert avatar["content"] == {} and avatar["event_id"] in reconciler.own_events
    assert await reconciler.reconcile_room(ROSTER, PLENARY, dry_run=True) == []


async def test_a_refused_correction_is_returned_failed_and_the_others_are_made() -> None:
    reconciler, bot, _ = platform()
    room_id = await drifted_plenary(reconciler, bot)
    bot.refused.add(AG_FP)
    made = await reconciler.reconcile_room(ROSTER, PLENARY)
    assert [(c.fix, c.failed) for c in made] == [
        (Fix.CLEAR_STATE, ""),
        (Fix.REMOVE, ""),
        (Fix.INVITE, "M_FORBIDDEN"),
    ]
    assert bot.rooms[room_id][("m.room.member", STRANGER)]["content"] == {"membership": "leave"}
    assert await reconciler.reconcile_room(ROSTER, PLENARY, dry_run=True) == [
        Correction(PLENARY, Fix.INVITE, AG_FP)
    ]


async def test_a_missing_room_is_made_in_one_call_by_its_governing_account() -> None:
    reconciler, bot, warden = platform()
    desired = reconciler.desired_room(ROSTER, AG_EXPERTS)
    assert await reconciler.reconcile_room(ROSTER, AG_EXPERTS, dry_run=True) == plan(desired, None)
    made = await reconciler.reconcile_room(ROSTER, AG_EXPERTS)
    assert made == plan(desired, None)
    assert [c.target for c in made if c.fix is Fix.INVITE] == [AG_FP, AG_EXP]
    assert warden.calls == [("create_room",)] and bot.calls == []
    room_id = reconciler.directory.room_id(AG_EXPERTS)
    assert room_id is not None
    assert warden.rooms[room_id][(MARKER_EVENT_TYPE, "")]["sender"] == WARDEN
    assert creation_request(desired)["invite"] == [AG_FP, AG_EXP]
    assert await reconciler.reconcile_room(ROSTER, AG_EXPERTS, dry_run=True) == []


async def test_the_whole_platform_dry_run_is_every_rooms_plan_the_space_last() -> None:
    reconciler, bot, _ = platform()
    rooms = desired_rooms(ROSTER)
    dry = await reconciler.reconcile(ROSTER, dry_run=True)
    expected = [
        correction
        for ref in [*(r for r in rooms if r != SPACE), SPACE]
        for correction in plan(reconciler.desired_room(ROSTER, ref), None)
    ]
    assert dry == expected
    assert bot.calls == []
    made = await reconciler.reconcile(ROSTER)
    assert made == expected
    assert await reconciler.reconcile(ROSTER, dry_run=True) == []
    # A lost directory is rebuilt from the markers, and nothing is made twice.
    again, again_bot, _ = platform()
    again_bot.rooms.update(bot.rooms)
    assert await again.reconcile(ROSTER, dry_run=True) == []
    assert again.directory.known() == reconciler.directory.known()


async def test_a_removals_reason_is_worded_in_the_working_languages() -> None:
    reconciler, bot, _ = platform()
    reconciler.languages = ("es", "en")
    room_id = await drifted_plenary(reconciler, bot)
    await reconciler.reconcile_room(ROSTER, PLENARY)
    (reason,) = [call[3] for call in bot.calls if call[0] == "kick" and call[1] == room_id]
    spanish, english = reason.split(" / ")
    assert spanish.startswith(f"{STRANGER} (no figura en la lista de participantes")
    assert english.startswith(f"{STRANGER} (not on the working group's roster) may not be in")

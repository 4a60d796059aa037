"""The governance commands in the chat (SPEC §5): moderation room and desk, each authorised."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from bot.synapse_server import LocalSynapse
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import WorkingGroup, wait_for

MODERATION = RoomRef(RoomKind.MODERATION)
PLENARY = RoomRef(RoomKind.PLENARY)
AG_DESK = RoomRef(RoomKind.DESK, delegation="AG")  # type: ignore[arg-type]
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation="AG")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
async def group(
    synapse: LocalSynapse, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkingGroup]:
    wg = WorkingGroup(synapse, tmp_path_factory.mktemp("cmds"), ("AG", "BR"))
    await wg.create_accounts()
    for extra in ("ag.fp2", "ag.exp3", "outsider"):
        await wg.make_account(extra)
    await wg.start()
    await wg.accept_invites()
    wg.chair = await wg.matrix_user("chair")  # type: ignore[attr-defined]
    wg.fp = await wg.matrix_user("ag.fp")  # type: ignore[attr-defined]
    yield wg
    await wg.stop()


async def ask(user: MatrixUser, room_id: str, command: str) -> str:
    event_id = await user.send_text(room_id, command)
    reply = await user.wait_reply(event_id, timeout=60)
    return str(getattr(reply, "body", ""))


async def test_delegations_lists_the_roster(group: WorkingGroup) -> None:
    body = await ask(group.chair, group.room_id(MODERATION), "!delegations")  # type: ignore[attr-defined]
    assert "AG Antigua and Barbuda" in body and "BR Brazil" in body
    assert group.id("ag.fp") in body


async def test_reconcile_dry_run_on_a_settled_platform_lists_nothing(group: WorkingGroup) -> None:
    body = await ask(group.chair, group.room_id(MODERATION), "!reconcile --dry-run")  # type: ignore[attr-defined]
    assert "nothing to change" in body


async def test_a_focal_point_cannot_use_moderation_commands(group: WorkingGroup) -> None:
    body = await ask(group.fp, group.room_id(AG_DESK), "!delegation remove BR")  # type: ignore[attr-defined]
    assert body.startswith("Refused: !delegation is for the Chair and the Technical Secretariat")
    help_body = await ask(group.fp, group.room_id(AG_DESK), "!help")  # type: ignore[attr-defined]
    assert "!experts" in help_body and "!delegation" not in help_body


async def test_the_focal_point_manages_experts_from_the_desk(group: WorkingGroup) -> None:
    fp: MatrixUser = group.fp  # type: ignore[attr-defined]
    desk = group.room_id(AG_DESK)
    new = group.id("ag.exp3")
    body = await ask(fp, desk, f"!experts add {new}")
    assert f"{new} added to the experts of Antigua and Barbuda" in body
    assert "invite" in body

    async def invited() -> bool:
        return group.room_id(AG_EXPERTS) in await (await group.as_http("ag.exp3")).invited_rooms()

    await wait_for(invited, 15, "the new expert's invitation")
    listing = await ask(fp, desk, "!experts")
    assert new in listing
    body = await ask(fp, desk, f"!experts remove {new}")
    assert "removed from" in body
    refused = await ask(fp, desk, f"!experts add {group.id('br.fp')}")
    assert refused.startswith("Refused:")


async def test_a_focal_point_removing_an_expert_by_hand_updates_the_roster(
    group: WorkingGroup,
) -> None:
    fp: MatrixUser = group.fp  # type: ignore[attr-defined]
    expert = group.id("ag.exp2")
    http = await group.as_http("ag.fp")
    status, data = await http.call(
        "POST",
        f"/_matrix/client/v3/rooms/{quote(group.room_id(AG_EXPERTS))}/kick",
        {"user_id": expert, "reason": "left the delegation"},
    )
    assert status == 200, data
    desk = group.room_id(AG_DESK)
    await fp.wait_for(
        lambda rid, ev: rid == desk and f"You removed {expert}" in getattr(ev, "body", ""),
        timeout=30,
    )
    assert expert not in await ask(fp, desk, "!experts")
    dry = await ask(group.chair, group.room_id(MODERATION), "!reconcile --dry-run")  # type: ignore[attr-defined]
    assert "nothing to change" in dry


async def test_delegations_are_added_and_removed(group: WorkingGroup) -> None:
    chair: MatrixUser = group.chair  # type: ignore[attr-defined]
    moderation = group.room_id(MODERATION)
    cl_fp = group.id("outsider")
    bad = await ask(chair, moderation, f"!delegation add XX {cl_fp}")
    assert bad.startswith("Refused:") and "XX" in bad
    body = await ask(chair, moderation, f"!delegation add cl {cl_fp}")
    assert f"Delegation CL (Chile) added with focal point {cl_fp}" in body
    assert "create the room “Experts — Chile”" in body and "Plenary: invite" in body
    await group.accept_invites(["outsider"])
    rooms = await group.governed_rooms_of("outsider")
    assert RoomRef(RoomKind.DESK, delegation="CL") in rooms  # type: ignore[arg-type]
    assert PLENARY in rooms
    body = await ask(chair, moderation, "!delegation remove CL")
    assert "Delegation CL (Chile) removed" in body
    assert f"Plenary: remove {cl_fp}" in body
    assert await group.governed_rooms_of("outsider") == set()


async def test_focal_point_handover_moves_everything_in_one_reconcile(group: WorkingGroup) -> None:
    old, new = group.id("ag.fp"), group.id("ag.fp2")
    chair: MatrixUser = group.chair  # type: ignore[attr-defined]
    body = await ask(chair, group.room_id(MODERATION), f"!focal-point AG {new}")
    assert f"{new} is the focal point now, in place of {old}" in body
    # One reconcile did everything: the reply lists the old focal point's removal from, and the
    # new one's invitation to, the plenary, the space, the folders, the desk and the experts room.
    for room in ("Plenary", "Desk — Antigua and Barbuda", "Experts — Antigua and Barbuda"):
        assert f"{room}: remove {old}" in body, room
        assert f"{room}: invite {new}" in body, room
    assert f"display name of {new}: " in body
    dry = await ask(chair, group.room_id(MODERATION), "!reconcile --dry-run")
    assert "nothing to change" in dry
    http = await group.as_http("ag.fp2")
    status, data = await http.call("GET", f"/_matrix/client/v3/profile/{quote(new)}/displayname")
    assert status == 200 and data["displayname"].endswith("— Antigua and Barbuda (focal point)")
    await group.accept_invites(["ag.fp2"])
    assert RoomRef(RoomKind.PLENARY) in await group.governed_rooms_of("ag.fp2")
    assert await group.governed_rooms_of("ag.fp") == set()


async def test_audit_shows_commands_and_roster_changes(group: WorkingGroup) -> None:
    body = await ask(group.chair, group.room_id(MODERATION), "!audit 50")  # type: ignore[attr-defined]
    assert "!focal-point" in body and "focal-point AG" in body
    assert "→ refused" in body  # the focal point's refused !delegation

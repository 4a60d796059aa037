"""Each attack of issue #3, with the Synapse module on (refused inside the homeserver) and off
(refused by the power levels, or undone by the platform within seconds and reported where SPEC
§2 says). The working group works in English and Spanish: a report in the moderation room is
one block in each, each wholly in its language (issue #11)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from bot.demo.synapse_server import LocalSynapse, free_port
from commands.multilingual import SEPARATOR
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef
from tests.integration.conftest import SERVER_NAME
from tests.integration.working_group import Http, WorkingGroup, wait_for

AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation="AG")  # type: ignore[arg-type]
AG_DESK = RoomRef(RoomKind.DESK, delegation="AG")  # type: ignore[arg-type]
BR_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation="BR")  # type: ignore[arg-type]
BR_DESK = RoomRef(RoomKind.DESK, delegation="BR")  # type: ignore[arg-type]
PLENARY = RoomRef(RoomKind.PLENARY)
MODERATION = RoomRef(RoomKind.MODERATION)


@pytest.fixture(scope="module")
def synapse_without_module(tmp_path_factory: pytest.TempPathFactory) -> LocalSynapse:
    server = LocalSynapse(
        tmp_path_factory.mktemp("synapse-off"), SERVER_NAME, free_port(), policy_module=False
    )
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.fixture(scope="module", params=["module on", "module off"])
async def group(
    request: pytest.FixtureRequest,
    synapse: LocalSynapse,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[WorkingGroup]:
    server = (
        synapse
        if request.param == "module on"
        else request.getfixturevalue("synapse_without_module")
    )
    wg = WorkingGroup(
        server,
        tmp_path_factory.mktemp("attacks"),
        ("AG", "BR"),
        extra_config="working_languages: [en, es]\n",
    )
    wg.module_on = request.param == "module on"  # type: ignore[attr-defined]
    await wg.create_accounts(admins=("sec",))
    await wg.start()
    await wg.accept_invites()
    # The readers of reports have their encrypted devices before anything is reported.
    wg.readers = {seat: await wg.matrix_user(seat) for seat in ("ag.fp", "br.fp", "chair")}  # type: ignore[attr-defined]
    yield wg
    await wg.stop()


def module_on(group: WorkingGroup) -> bool:
    return bool(group.module_on)


async def members(group: WorkingGroup, ref: RoomRef) -> dict[str, str]:
    seat = "warden" if ref.kind is RoomKind.EXPERTS else "bot"
    state = await (await group.as_http(seat)).state(group.room_id(ref))
    return {
        e["state_key"]: e["content"]["membership"] for e in state if e["type"] == "m.room.member"
    }


async def reported(group: WorkingGroup, seat: str, ref: RoomRef, needle: str) -> str:
    """The breach is reported, readable (decrypted) by `seat`, in `ref`; its text."""
    user = group.readers[seat]  # type: ignore[attr-defined]
    room_id = group.room_id(ref)
    _, event = await user.wait_for(
        lambda rid, ev: (
            rid == room_id
            and getattr(ev, "body", "").startswith("⚠")
            and needle in getattr(ev, "body", "")
        ),
        timeout=30,
    )
    return str(getattr(event, "body", ""))


def refused(status: int, data: object) -> bool:
    return status == 403 and isinstance(data, dict) and data.get("errcode") == "M_FORBIDDEN"


async def test_a_focal_point_cannot_invite_another_delegations_expert(group: WorkingGroup) -> None:
    http = await group.as_http("ag.fp")
    status, data = await http.call(
        "POST",
        f"/_matrix/client/v3/rooms/{quote(group.room_id(AG_EXPERTS))}/invite",
        {"user_id": group.id("br.exp1")},
    )
    assert refused(status, data), data
    assert group.id("br.exp1") not in await members(group, AG_EXPERTS)


async def test_an_expert_cannot_join_the_plenary_by_room_id(group: WorkingGroup) -> None:
    status, data = await (await group.as_http("ag.exp1")).join(group.room_id(PLENARY))
    assert refused(status, data), data


async def test_the_chair_cannot_join_an_experts_room(group: WorkingGroup) -> None:
    status, data = await (await group.as_http("chair")).join(group.room_id(AG_EXPERTS))
    assert refused(status, data), data


async def test_a_server_admin_cannot_join_an_experts_room_through_the_admin_api(
    group: WorkingGroup,
) -> None:
    # Synapse's admin join API invites as the admin, who is not in the room: refused by the
    # homeserver even without the module; with it, the module answers first.
    sec = group.id("sec")
    http = await group.as_http("sec")
    status, data = await http.call(
        "POST", f"/_synapse/admin/v1/join/{quote(group.room_id(AG_EXPERTS))}", {"user_id": sec}
    )
    assert status == 403, data
    assert (await members(group, AG_EXPERTS)).get(sec) in (None, "leave")


async def test_a_server_admin_cannot_take_over_an_experts_room(group: WorkingGroup) -> None:
    """`make_room_admin` acts through the room's own governing account (the warden): it
    invites the admin, joins them and gives them the warden's own level."""
    sec = group.id("sec")
    http = await group.as_http("sec")
    room_id = group.room_id(AG_EXPERTS)
    status, data = await http.call(
        "POST", f"/_synapse/admin/v1/rooms/{quote(room_id)}/make_room_admin", {"user_id": sec}
    )
    if module_on(group):
        assert status >= 400, data
        assert (await members(group, AG_EXPERTS)).get(sec) in (None, "leave")
        return
    # Without the module the homeserver lets it through. The warden sees it at once; it cannot
    # demote an account of its own level, so the focal point and the log are told, truthfully.
    assert status == 200, data
    await reported(group, "ag.fp", AG_DESK, sec)


async def test_a_server_admin_acting_as_the_warden_cannot_let_themselves_in(
    group: WorkingGroup,
) -> None:
    """Synapse's admin API can log in as any user: as the warden, the admin invites themselves
    into an experts room and joins. (BR's: the take-over test above leaves the admin in AG's
    experts room at the warden's own level when the module is off.)"""
    sec = group.id("sec")
    admin = await group.as_http("sec")
    as_warden = await group.minted_token("warden", admin="sec")
    room_id = group.room_id(BR_EXPERTS)
    status, data = await as_warden.call(
        "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/invite", {"user_id": sec}
    )
    if module_on(group):
        assert refused(status, data), data
        assert (await members(group, BR_EXPERTS)).get(sec) in (None, "leave")
        return
    assert status == 200, data
    await admin.join(room_id)  # may already be too late: the invitation is revoked at once

    async def gone() -> bool:
        return (await members(group, BR_EXPERTS)).get(sec) in (None, "leave")

    await wait_for(gone, 15, "the warden to revoke the invitation or remove the admin")
    await reported(group, "br.fp", BR_DESK, sec)
    # The removal's reason, which the room's members read beside it: in each working language.
    state = await (await group.as_http("warden")).state(room_id)
    (removal,) = [e for e in state if e["type"] == "m.room.member" and e["state_key"] == sec]
    english, spanish = removal["content"]["reason"].split(" / ")
    assert english.startswith(f"{sec} (of the Technical Secretariat) may not be in the experts")
    assert spanish.startswith(f"{sec} (de la Secretaría Técnica) no puede estar en la sala de")


@pytest.mark.parametrize(
    ("event_type", "content"),
    [
        ("m.room.join_rules", {"join_rule": "public"}),
        ("m.room.power_levels", None),
        ("org.plenaria.room", {"kind": "plenary"}),
    ],
)
async def test_a_focal_point_cannot_change_their_experts_room_settings(
    group: WorkingGroup, event_type: str, content: dict[str, object] | None
) -> None:
    http = await group.as_http("ag.fp")
    room_id = group.room_id(AG_EXPERTS)
    if content is None:  # raise an expert to the focal point's level
        state = await http.state(room_id)
        content = next(e for e in state if e["type"] == "m.room.power_levels")["content"]
        content = {**content, "users": {**content["users"], group.id("ag.exp1"): 50}}
    status, data = await http.call(
        "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/{event_type}/", content
    )
    assert refused(status, data), data


async def test_the_chair_cannot_redact_a_focal_points_plenary_message(
    group: WorkingGroup,
) -> None:
    fp = await group.as_http("ag.fp")
    room_id = group.room_id(PLENARY)
    status, data = await fp.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/t1",
        {"msgtype": "m.text", "body": "AG proposes to keep paragraph 5."},
    )
    assert status == 200, data
    chair: Http = await group.as_http("chair")
    status, data = await chair.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(room_id)}/redact/{quote(data['event_id'])}/r1",
        {"reason": "off topic"},
    )
    assert refused(status, data), data


async def test_nobody_but_the_platform_sends_the_room_marker(group: WorkingGroup) -> None:
    for seat, ref in (("chair", PLENARY), ("sec", MODERATION), ("ag.fp", AG_DESK)):
        http = await group.as_http(seat)
        status, data = await http.call(
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(group.room_id(ref))}/state/org.plenaria.room/",
            {"kind": "space"},
        )
        assert refused(status, data), (seat, data)


async def test_the_bots_account_redacting_a_delegations_plenary_message(
    group: WorkingGroup,
) -> None:
    """A token the server's admin mints for the bot (no device) removes a focal point's plenary
    message. The module refuses it; without the module the bot judges the real redaction by the
    event it removes (fetched from the homeserver: the redaction names only its id) and reports
    it in the moderation room."""
    room_id = group.room_id(PLENARY)
    fp = await group.as_http("br.fp")
    status, data = await fp.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/t-bot-redaction",
        {"msgtype": "m.text", "body": "BR keeps its reservation on paragraph 7."},
    )
    assert status == 200, data
    event_id = data["event_id"]
    as_bot = await group.minted_token("bot", admin="sec")
    status, data = await as_bot.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(room_id)}/redact/{quote(event_id)}/r-bot",
        {"reason": "off topic"},
    )
    if module_on(group):
        assert refused(status, data), data
        return
    assert status == 200, data
    fp_id = group.id("br.fp")
    report = await reported(group, "chair", MODERATION, f"removed a message by {fp_id}")
    english, spanish = report.split(SEPARATOR)
    assert f"removed a message by {fp_id}. The platform removes only its own messages" in english
    assert f"eliminó un mensaje de {fp_id}. La plataforma solo elimina sus propios" in spanish
    assert spanish.startswith("⚠ En Plenary, ") and "Esto no puede deshacerse." in spanish


async def test_the_wardens_account_redacting_the_encryption_of_an_experts_room(
    group: WorkingGroup,
) -> None:
    """A token minted for the warden removes the experts room's `m.room.encryption` (by nio's
    reading, a room without encryption). The module refuses it; without the module the warden
    sees the redaction, writes the setting again and the focal point's desk is told."""
    room_id = group.room_id(AG_EXPERTS)
    fp = await group.as_http("ag.fp")
    before = {(e["type"], e["state_key"]): e for e in await fp.state(room_id)}
    encryption = before[("m.room.encryption", "")]
    as_warden = await group.minted_token("warden", admin="sec")
    status, data = await as_warden.call(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(room_id)}/redact/{quote(encryption['event_id'])}/r-enc",
        {},
    )
    if module_on(group):
        assert refused(status, data), data
        return
    assert status == 200, data

    async def restored() -> bool:
        now = {(e["type"], e["state_key"]): e for e in await fp.state(room_id)}
        return now[("m.room.encryption", "")]["content"] == encryption["content"]

    await wait_for(restored, 30, "the warden to write the room's encryption again")
    await reported(group, "ag.fp", AG_DESK, "removed the room's m.room.encryption")

"""The governance commands in the chat (SPEC §5): moderation room and desk, each authorised.

The bot runs here without ever opening the registration shared secret (its configuration names
a copy, guarded by `FileGuard`) or an admin password: a roster change still reconciles the
rooms, and says which accounts and display names the Technical Secretariat makes with
`plenaria accounts create`; running that afterwards completes the change.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from bot.accounts.homeserver import LEGACY_ADMIN_PASSWORD_FILE
from bot.demo.synapse_server import LocalSynapse
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef
from tests.integration.conftest import SERVER_NAME, unique
from tests.integration.file_guard import FileGuard
from tests.integration.matrix_user import MatrixUser
from tests.integration.working_group import Http, WorkingGroup, login, wait_for

# plenaria's database is on the path of what this proves: on both stacks.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")

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
    # What the running bot must never open: the shared secret its configuration names, and the
    # file where an earlier design kept the admin account's password (planted, to be tempting).
    legacy = wg.directory / "data" / LEGACY_ADMIN_PASSWORD_FILE
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text("Not-the-admin-password-1")
    wg.write_config()  # and the copy of the secret it names
    with FileGuard([wg.secret_file, legacy]) as guard:
        wg.guard = guard  # type: ignore[attr-defined]
        await wg.start()
        await wg.accept_invites()
        wg.chair = await wg.matrix_user("chair")  # type: ignore[attr-defined]
        wg.fp = await wg.matrix_user("ag.fp")  # type: ignore[attr-defined]
        yield wg
        await wg.stop()
        assert guard.attempts == [], "the running bot opened a secret"


async def ask(user: MatrixUser, room_id: str, command: str) -> str:
    event_id = await user.send_text(room_id, command)
    reply = await user.wait_reply(event_id, timeout=60)
    return str(getattr(reply, "body", ""))


ACCOUNTS_STEP = "the Technical Secretariat runs `plenaria accounts create` on the server"


async def accounts(group: WorkingGroup, *args: str) -> subprocess.CompletedProcess[str]:
    """`plenaria accounts …` with the working group's configuration, as the Secretariat runs it
    on the server (its own process: the guard of the running bot does not apply)."""
    config = str(group.directory / "config.yaml")
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli.main", "accounts", *args, "--config", config],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=group.directory,
    )


async def display_name(http: Http, user: str) -> str | None:
    status, data = await http.call(
        "GET", f"/_matrix/client/v3/profile/{quote(user, safe='')}/displayname"
    )
    assert status == 200, data
    name = data.get("displayname")
    return name if isinstance(name, str) else None


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


async def test_an_expert_without_an_account_is_added_and_the_secretariat_makes_it(
    group: WorkingGroup,
) -> None:
    fp: MatrixUser = group.fp  # type: ignore[attr-defined]
    chair: MatrixUser = group.chair  # type: ignore[attr-defined]
    newcomer = f"@{unique('ag-newcomer-')}:{SERVER_NAME}"
    body = await ask(fp, group.room_id(AG_DESK), f"!experts add {newcomer}")
    assert f"{newcomer} added to the experts of Antigua and Barbuda" in body
    assert f"Experts — Antigua and Barbuda: invite {newcomer}" in body
    name = f"{newcomer[1:].partition(':')[0]} — Antigua and Barbuda (expert)"
    assert f"display name of {newcomer} to become “{name}”" in body
    assert (
        "the Technical Secretariat, told in the moderation room, runs `plenaria accounts "
        "create` on the server" in body
    )
    moderation = group.room_id(MODERATION)
    _, notice = await chair.wait_for(
        lambda rid, ev: rid == moderation and newcomer in getattr(ev, "body", ""), timeout=30
    )
    assert getattr(notice, "body", "").startswith(f"{group.id('ag.fp')} changed the roster")
    assert ACCOUNTS_STEP in getattr(notice, "body", "")

    # The Secretariat, on the server: the account is made, under its name, with the invitation
    # the bot already sent waiting for it.
    made = await accounts(group, "create")
    assert made.returncode == 0, made.stderr
    passwords_file = group.directory / "data" / "secrets" / "initial-passwords.json"
    password = json.loads(passwords_file.read_text())[newcomer]
    assert password not in made.stdout + made.stderr
    http = await login(group.synapse.url, newcomer, password)
    assert await display_name(http, newcomer) == name
    experts_room = group.room_id(AG_EXPERTS)
    assert experts_room in await http.invited_rooms()
    status, data = await http.join(experts_room)
    assert status == 200, data

    # Once every password is handed over, the file goes; a second run finds nothing.
    handed = await accounts(group, "handed-over")
    assert handed.returncode == 0, handed.stderr
    assert handed.stdout.strip() == f"deleted {passwords_file}, which held 1 password(s)"
    assert not passwords_file.exists()
    again = await accounts(group, "handed-over")
    assert (again.returncode, again.stdout.strip()) == (
        0,
        f"no passwords file at {passwords_file}: nothing to delete",
    )
    removed = await ask(fp, group.room_id(AG_DESK), f"!experts remove {newcomer}")
    assert f"{newcomer} removed from the experts of Antigua and Barbuda" in removed


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
    # The names follow once the Secretariat runs `plenaria accounts create`, not before: the bot
    # holds no admin access.
    new_name = f"{new[1:].partition(':')[0]} — Antigua and Barbuda (focal point)"
    old_name = old[1:].partition(":")[0]
    assert f"display name of {new} to become “{new_name}”" in body
    assert f"display name of {old} to become “{old_name}”" in body
    assert ACCOUNTS_STEP in body
    dry = await ask(chair, group.room_id(MODERATION), "!reconcile --dry-run")
    assert "nothing to change" in dry
    http = await group.as_http("ag.fp2")
    assert await display_name(http, new) != new_name

    made = await accounts(group, "create")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("created 0, names updated ")
    assert await display_name(http, new) == new_name
    # The old focal point, off the roster, loses the seat in their name too.
    assert await display_name(await group.as_http("ag.fp"), old) == old_name
    again = await accounts(group, "create")
    assert again.stdout.startswith("created 0, names updated 0, "), again.stdout

    audit = await ask(chair, group.room_id(MODERATION), "!audit 50")
    assert "!focal-point" in audit and "focal-point AG" in audit  # the roster change, audited

    await group.accept_invites(["ag.fp2"])
    assert RoomRef(RoomKind.PLENARY) in await group.governed_rooms_of("ag.fp2")
    assert await group.governed_rooms_of("ag.fp") == set()
    assert group.guard.attempts == []  # type: ignore[attr-defined]


async def test_audit_shows_commands_and_refusals(group: WorkingGroup) -> None:
    """Self-contained (it makes its own entries): no other test needs to have run before it."""
    chair: MatrixUser = group.chair  # type: ignore[attr-defined]
    refused = await ask(chair, group.room_id(PLENARY), "!delegations")
    assert refused.startswith("Refused: !delegations is used in the moderation room")
    await ask(chair, group.room_id(MODERATION), "!delegations")
    body = await ask(chair, group.room_id(MODERATION), "!audit 50")
    assert f"{group.id('chair')}: !delegations in plenary → refused" in body
    assert f"{group.id('chair')}: !delegations in moderation → ok" in body


async def test_the_running_bot_never_opened_a_secret(group: WorkingGroup) -> None:
    guard: FileGuard = group.guard  # type: ignore[attr-defined]
    assert guard.attempts == []
    # The guard is real: this process cannot open the secret while it stands.
    with pytest.raises(PermissionError):
        group.secret_file.read_text()
    assert guard.attempts == [str(group.secret_file)]
    guard.attempts.clear()
    assert group.bot is not None
    settings = group.bot.app.settings
    assert settings.registration_shared_secret_file == group.secret_file
    assert group.synapse.registration_secret not in repr(settings.model_dump())

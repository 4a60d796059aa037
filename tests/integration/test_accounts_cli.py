"""`plenaria accounts create/reset-password/handed-over` against the session's Synapse.

Accounts are made with the roster's display names and generated passwords written to a file of
mode 0600, never to the output; a rerun changes nothing; a wrong name is corrected; a reset
password replaces the old one and signs the account out everywhere; `handed-over` deletes the
passwords file, saying only how many it held; refusals are one line each. The platform's admin
account has a password derived from the shared secret, kept in no file.
"""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.accounts.passwords import admin_password
from bot.demo.synapse_server import LocalSynapse
from room_policies.roster import Roster, load_roster
from tests.integration.conftest import SERVER_NAME, MakeAccount, StackHomeserver, unique

ADMIN = f"@plenaria-admin:{SERVER_NAME}"


@dataclass
class Platform:
    """A configuration, a roster and the accounts it names, all fresh for one test."""

    folder: Path
    config: Path
    roster: Roster
    bot: str
    warden: str

    @property
    def passwords_path(self) -> Path:
        return self.folder / "data" / "secrets" / "initial-passwords.json"

    def passwords(self) -> dict[str, str]:
        data: dict[str, str] = json.loads(self.passwords_path.read_text())
        return data


def _setup(
    folder: Path,
    synapse: LocalSynapse,
    *,
    extra_expert: str | None = None,
    homeserver: str | None = None,
    secret: bool = True,
) -> Platform:
    tag = unique("a")
    bot, warden = f"@{tag}.bot:{SERVER_NAME}", f"@{tag}.warden:{SERVER_NAME}"
    ag_experts = [f"@{tag}.ag.exp1:{SERVER_NAME}"]
    if extra_expert is not None:
        ag_experts.append(extra_expert)
    roster = f"""\
working_group: "Joint Working Group on Disaster Prevention and Response"
chairs: ["@{tag}.chair:{SERVER_NAME}"]
secretariat: ["@{tag}.sec:{SERVER_NAME}"]
delegations:
  - code: AG
    focal_point: "@{tag}.ag.fp:{SERVER_NAME}"
    experts: {json.dumps(ag_experts)}
  - code: BR
    focal_point: "@{tag}.br.fp:{SERVER_NAME}"
    experts: []
names:
  "@{tag}.ag.fp:{SERVER_NAME}": Ana Pérez
"""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.yaml").write_text(roster, encoding="utf-8")
    (folder / "bot-password").write_text("Bot-Password-123")
    lines = [
        f"homeserver_url: {homeserver or synapse.url}",
        f"server_name: {SERVER_NAME}",
        "data_dir: ./data",
        "roster: ./roster.yaml",
        "bot:",
        f'  user_id: "{bot}"',
        "  password_file: ./bot-password",
        "warden:",
        f'  user_id: "{warden}"',
        "  password_file: ./warden-password",  # missing: generated with the account
    ]
    if secret:
        lines.append(f"registration_shared_secret_file: {synapse.secret_path}")
    if isinstance(synapse, StackHomeserver) and (url := synapse.plenaria_database(folder)):
        lines.append(f"database_url: {url}")
    config = folder / "config.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Platform(folder, config, load_roster(roster, SERVER_NAME), bot, warden)


async def plenaria(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


async def create(platform: Platform, cwd: Path) -> None:
    result = await plenaria("accounts", "create", "--config", str(platform.config), cwd=cwd)
    assert result.returncode == 0, result.stderr


async def login(homeserver: str, user: str, password: str) -> str | None:
    """An access token, or None when the homeserver refuses the password."""
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": password,
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(homeserver + "/_matrix/client/v3/login", json=body) as resp,
    ):
        data: dict[str, Any] = await resp.json()
        if resp.status == 403:
            return None
        assert resp.status == 200, data
        return str(data["access_token"])


async def own_display_name(homeserver: str, user: str, token: str) -> str | None:
    url = f"{homeserver}/_matrix/client/v3/profile/{quote(user, safe='')}/displayname"
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        data: dict[str, Any] = await resp.json()
        assert resp.status == 200, data
        name = data.get("displayname")
        return name if isinstance(name, str) else None


async def token_works(homeserver: str, token: str) -> bool:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            homeserver + "/_matrix/client/v3/account/whoami",
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        return resp.status == 200


def assert_no_secret(result: subprocess.CompletedProcess[str], secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in result.stdout
        assert secret not in result.stderr
    assert "Traceback" not in result.stderr


async def test_create_names_and_passwords_then_a_rerun_changes_nothing(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    people = platform.roster.participants()

    result = await plenaria("accounts", "create", "--config", str(platform.config), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"created {len(people) + 2}, names updated 0, unchanged 0"
    assert any(str(platform.passwords_path) in line for line in lines)
    mode = stat.S_IMODE(platform.passwords_path.stat().st_mode)
    assert mode == 0o600
    passwords = platform.passwords()
    assert set(passwords) == set(people), "the platform's passwords stay in their own files"
    warden_file = tmp_path / "warden-password"
    assert stat.S_IMODE(warden_file.stat().st_mode) == 0o600
    # The admin account's password is derived from the shared secret and written nowhere.
    assert not (tmp_path / "data" / "secrets" / "admin-password").exists()
    assert sorted(p.name for p in (tmp_path / "data" / "secrets").iterdir()) == [
        "initial-passwords.json"
    ]
    admin = admin_password(synapse.registration_secret, SERVER_NAME)
    assert await login(synapse.url, ADMIN, admin) is not None
    secrets = [*passwords.values(), warden_file.read_text(), admin]
    assert_no_secret(result, secrets)
    assert f"then run `plenaria accounts handed-over --config {platform.config}`" in result.stdout

    for user in people:
        token = await login(synapse.url, user, passwords[user])
        assert token is not None, user
        name = await own_display_name(synapse.url, user, token)
        assert name == platform.roster.display_name(user)
    ag_fp = platform.roster.delegation("AG")
    assert ag_fp is not None
    assert platform.roster.display_name(ag_fp.focal_point) == (
        "Ana Pérez — Antigua and Barbuda (focal point)"
    )
    assert await login(synapse.url, platform.bot, "Bot-Password-123") is not None
    assert await login(synapse.url, platform.warden, warden_file.read_text()) is not None

    before = platform.passwords_path.read_bytes()
    again = await plenaria("accounts", "create", "--config", str(platform.config), cwd=tmp_path)

    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"created 0, names updated 0, unchanged {len(people) + 2}"
    assert platform.passwords_path.read_bytes() == before
    assert_no_secret(again, secrets)


async def test_an_existing_account_gets_the_roster_name(
    synapse: LocalSynapse, make_account: MakeAccount, tmp_path: Path
) -> None:
    expert, password = await make_account("old")
    platform = _setup(tmp_path, synapse, extra_expert=expert)
    token = await login(synapse.url, expert, password)
    assert token is not None
    assert await own_display_name(synapse.url, expert, token) != (
        platform.roster.display_name(expert)
    )

    result = await plenaria("accounts", "create", "--config", str(platform.config), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    created = len(platform.roster.participants()) - 1 + 2
    assert result.stdout.splitlines()[0] == f"created {created}, names updated 1, unchanged 0"
    assert await own_display_name(synapse.url, expert, token) == (
        f"{expert[1:].partition(':')[0]} — Antigua and Barbuda (expert)"
    )
    assert expert not in platform.passwords(), "an existing account keeps its password"
    assert await token_works(synapse.url, token), "renaming signs nobody out"


async def test_reset_password_replaces_it_and_signs_the_account_out(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    await create(platform, cwd=tmp_path)
    delegation = platform.roster.delegation("BR")
    assert delegation is not None
    user = delegation.focal_point
    old = platform.passwords()[user]
    old_token = await login(synapse.url, user, old)
    assert old_token is not None

    result = await plenaria(
        "accounts", "reset-password", user, "--config", str(platform.config), cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    new = platform.passwords()[user]
    assert new != old
    assert stat.S_IMODE(platform.passwords_path.stat().st_mode) == 0o600
    assert_no_secret(result, [old, new])
    assert await login(synapse.url, user, old) is None
    assert await login(synapse.url, user, new) is not None
    assert not await token_works(synapse.url, old_token), "other devices are signed out"
    others = {u: p for u, p in platform.passwords().items() if u != user}
    for other, password in others.items():
        assert await login(synapse.url, other, password), "the others keep their passwords"

    # The user name alone is enough.
    short = user[1:].partition(":")[0]
    again = await plenaria(
        "accounts", "reset-password", short, "--config", str(platform.config), cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert platform.passwords()[user] != new


async def test_refusals_are_one_line_each_with_exit_1(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    await create(platform, cwd=tmp_path)
    config = str(platform.config)
    nobody = f"@{unique('nobody')}:{SERVER_NAME}"
    cases = {
        nobody: f"plenaria: unknown user {nobody}: there is no such account on the homeserver",
        f"@plenaria-admin:{SERVER_NAME}": "is the platform's admin account",
        platform.bot: "is the platform's bot account",
        "@someone:elsewhere.net": f"is not an account of {SERVER_NAME}",
    }
    for user, expected in cases.items():
        result = await plenaria(
            "accounts", "reset-password", user, "--config", config, cwd=tmp_path
        )
        assert result.returncode == 1, (user, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("plenaria: ")
        assert expected in lines[0]

    (tmp_path / "bad.yaml").write_text(
        f'working_group: WG\nchairs: ["@c:{SERVER_NAME}"]\nsecretariat: ["@s:{SERVER_NAME}"]\n'
        f'delegations:\n  - code: XX\n    focal_point: "@x:{SERVER_NAME}"\n'
        f'  - code: AG\n    focal_point: "@c:{SERVER_NAME}"\n'
    )
    refused = await plenaria(
        "accounts", "create", "--config", config, "--roster", "bad.yaml", cwd=tmp_path
    )
    assert refused.returncode == 1
    reasons = refused.stderr.strip().splitlines()
    assert len(reasons) >= 2, refused.stderr
    assert all(line.startswith("plenaria: roster refused: ") for line in reasons)

    usage = await plenaria("accounts", "reset-password", "--config", config, cwd=tmp_path)
    assert usage.returncode == 2


async def test_no_secret_a_wrong_secret_or_no_homeserver_is_refused(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    no_secret = _setup(tmp_path / "no-secret", synapse, secret=False)
    result = await plenaria(
        "accounts", "create", "--config", str(no_secret.config), cwd=no_secret.folder
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "plenaria: no registration shared secret: registration_shared_secret_file is not set "
        "in the configuration"
    ]
    assert not (no_secret.folder / "warden-password").exists(), "a refused run writes nothing"

    wrong = _setup(tmp_path / "wrong-secret", synapse)
    (wrong.folder / "secret").write_text("not-the-shared-secret")
    text = wrong.config.read_text().replace(str(synapse.secret_path), "./secret")
    wrong.config.write_text(text)
    result = await plenaria("accounts", "create", "--config", str(wrong.config), cwd=wrong.folder)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "plenaria: the homeserver refused the registration shared secret (is it Synapse's "
        "registration_shared_secret?)"
    )

    away = _setup(tmp_path / "away", synapse, homeserver="http://127.0.0.1:9")
    (away.folder / "warden-password").write_text("Warden-Password-123")
    for args in (("create",), ("reset-password", "@x:" + SERVER_NAME)):
        result = await plenaria("accounts", *args, "--config", str(away.config), cwd=away.folder)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip().splitlines()[-1] == (
            "plenaria: the homeserver http://127.0.0.1:9 is unreachable"
        )
        assert "Traceback" not in result.stderr
    assert not away.passwords_path.exists()


async def test_an_existing_bot_without_its_password_file_is_refused(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    first = _setup(tmp_path / "first", synapse)
    await create(first, cwd=first.folder)
    (first.folder / "warden-password").unlink()

    result = await plenaria("accounts", "create", "--config", str(first.config), cwd=first.folder)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"plenaria: {first.warden} exists, but its password file "
        f"{first.folder / 'warden-password'} did not: put the account's password there "
        "(no file was written)"
    ]
    assert not (first.folder / "warden-password").exists()


async def set_admin_password(synapse: LocalSynapse, password: str) -> None:
    """What a changed shared secret (or someone else) does: the admin's password is no longer
    the one derived from the current secret."""
    derived = admin_password(synapse.registration_secret, SERVER_NAME)
    token = await login(synapse.url, ADMIN, derived)
    assert token is not None
    async with (
        aiohttp.ClientSession() as http,
        http.put(
            f"{synapse.url}/_synapse/admin/v2/users/{quote(ADMIN, safe='')}",
            json={"password": password, "logout_devices": True},
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()


async def reset_ag_focal_point(platform: Platform) -> subprocess.CompletedProcess[str]:
    delegation = platform.roster.delegation("AG")
    assert delegation is not None
    return await plenaria(
        "accounts",
        "reset-password",
        delegation.focal_point,
        "--config",
        str(platform.config),
        cwd=platform.folder,
    )


async def test_an_admin_that_no_longer_takes_its_derived_password_is_recovered(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    await create(platform, cwd=tmp_path)
    await set_admin_password(synapse, "Someone-Elses-Password-1")

    result = await reset_ag_focal_point(platform)

    assert result.returncode == 0, result.stderr
    assert "one-off admin account" in result.stderr
    derived = admin_password(synapse.registration_secret, SERVER_NAME)
    assert await login(synapse.url, ADMIN, derived) is not None
    assert_no_secret(result, [derived])
    assert not (tmp_path / "data" / "secrets" / "admin-password").exists()


async def test_an_admin_password_file_of_the_earlier_design_is_used_once_then_deleted(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    await create(platform, cwd=tmp_path)
    legacy = tmp_path / "data" / "secrets" / "admin-password"
    legacy.write_text("Kept-In-A-File-Password-1")
    await set_admin_password(synapse, "Kept-In-A-File-Password-1")

    result = await reset_ag_focal_point(platform)

    assert result.returncode == 0, result.stderr
    assert "one-off admin account" not in result.stderr, "no dead admin left behind"
    assert not legacy.exists()
    assert await login(synapse.url, ADMIN, "Kept-In-A-File-Password-1") is None
    derived = admin_password(synapse.registration_secret, SERVER_NAME)
    assert await login(synapse.url, ADMIN, derived) is not None
    assert_no_secret(result, [derived, "Kept-In-A-File-Password-1"])


async def test_handed_over_deletes_the_passwords_file_and_says_only_how_many(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    await create(platform, cwd=tmp_path)
    passwords = platform.passwords()
    config = str(platform.config)

    result = await plenaria("accounts", "handed-over", "--config", config, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"deleted {platform.passwords_path}, which held {len(passwords)} password(s)"
    )
    assert not platform.passwords_path.exists()
    assert_no_secret(result, list(passwords.values()))
    for user, password in passwords.items():
        assert await login(synapse.url, user, password) is not None, "accounts are untouched"

    again = await plenaria("accounts", "handed-over", "--config", config, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        f"no passwords file at {platform.passwords_path}: nothing to delete"
    )

    # -o names the file `create` was given; a file that is not a passwords file is kept.
    other = tmp_path / "handed.json"
    delegation = platform.roster.delegation("AG")
    assert delegation is not None
    made = await plenaria(
        "accounts",
        "reset-password",
        delegation.experts[0],
        "--config",
        config,
        "-o",
        str(other),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert f"run `plenaria accounts handed-over --config {config} -o {other}`" in made.stdout
    result = await plenaria(
        "accounts", "handed-over", "--config", config, "-o", str(other), cwd=tmp_path
    )
    assert result.stdout.strip() == f"deleted {other}, which held 1 password(s)"
    notes = tmp_path / "notes.txt"
    notes.write_text("minutes of the meeting")
    refused = await plenaria(
        "accounts", "handed-over", "--config", config, "-o", str(notes), cwd=tmp_path
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"plenaria: {notes} is not a passwords file (a JSON object of user id → password); "
        "move it away or name another file with -o"
    ]
    assert notes.read_text() == "minutes of the meeting"
    usage = await plenaria("accounts", "handed-over", cwd=tmp_path)
    assert usage.returncode == 2


async def test_a_passwords_file_that_cannot_be_written_is_one_line_and_makes_nothing(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    config = str(platform.config)
    unwritable = "/proc/plenaria-nowhere/initial-passwords.json"

    result = await plenaria(
        "accounts", "create", "--config", config, "-o", unwritable, cwd=tmp_path
    )

    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"plenaria: cannot write {unwritable}: No such file or directory"
    ]
    assert not (tmp_path / "warden-password").exists(), "a refused run keeps no generated file"
    # The passwords are written before any account is made: none was made without its password.
    again = await plenaria("accounts", "create", "--config", config, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    made = len(platform.roster.participants()) + 2
    assert again.stdout.splitlines()[0] == f"created {made}, names updated 0, unchanged 0"


async def test_a_password_file_the_configuration_cannot_hold_is_exit_2(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    platform = _setup(tmp_path, synapse)
    text = platform.config.read_text().replace(
        "./warden-password", "/proc/plenaria-nowhere/warden-password"
    )
    platform.config.write_text(text)

    result = await plenaria("accounts", "create", "--config", str(platform.config), cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "plenaria: cannot write password_file /proc/plenaria-nowhere/warden-password: "
        "No such file or directory"
    ]

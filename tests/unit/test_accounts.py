"""The parts of bot/accounts/ that need no homeserver: the plan and the wanted accounts
(plan.py, pure: tests/unit/test_pure_imports.py checks it), the passwords and the passwords file
(passwords.py), and `create_accounts` (service.py) against a small fake homeserver."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.accounts.errors import AccountError
from bot.accounts.passwords import (
    PasswordFile,
    admin_password,
    generate_password,
    missing_platform_password_files,
    registration_secret,
)
from bot.accounts.plan import (
    BOT_DISPLAY_NAME,
    WARDEN_DISPLAY_NAME,
    Existing,
    Plan,
    former_accounts,
    plan_accounts,
    user_id_argument,
    wanted_accounts,
)
from bot.accounts.service import Outcome, create_accounts
from bot.runtime.settings import Settings
from room_policies.roles import UserId
from room_policies.roster import load_roster

SERVER = "example.org"
BOT, WARDEN = f"@plenaria:{SERVER}", f"@plenaria-warden:{SERVER}"

ROSTER = f"""\
working_group: WG
chairs: ["@chair:{SERVER}"]
secretariat: ["@sec.ana:{SERVER}"]
delegations:
  - code: AG
    focal_point: "@ag.fp:{SERVER}"
    experts: ["@ag.exp1:{SERVER}"]
names:
  "@ag.fp:{SERVER}": Ana Pérez
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("PLENARIA_"):
            monkeypatch.delenv(name)


def _settings(warden: bool = True, **more: Any) -> Settings:
    return Settings(
        homeserver_url="http://127.0.0.1:8008",
        server_name=SERVER,
        bot={"user_id": BOT, "password": "Bot-Password-1"},
        warden={"user_id": WARDEN, "password": "Warden-Password-1"} if warden else None,
        **more,
    )


# -- plan --------------------------------------------------------------------------------------


def test_the_plan_creates_renames_and_leaves_alone() -> None:
    wanted = {"@a:x": "A", "@b:x": "B", "@c:x": "C", "@d:x": "D"}
    existing = {
        "@b:x": Existing("old name"),
        "@c:x": Existing("C"),
        "@d:x": Existing("D", deactivated=True),
    }
    assert plan_accounts(wanted, existing) == Plan(
        create={"@a:x": "A"}, rename={"@b:x": "B"}, unchanged=("@c:x",), deactivated=("@d:x",)
    )


def test_an_account_without_a_name_is_renamed() -> None:
    assert plan_accounts({"@a:x": "A"}, {"@a:x": Existing(None)}).rename == {"@a:x": "A"}


def test_people_who_left_the_roster_are_renamed_never_created() -> None:
    wanted = {"@a:x": "A — Chair"}
    former = {"@gone:x": "gone", "@named:x": "Ana", "@never:x": "never", "@off:x": "off"}
    existing = {
        "@a:x": Existing("A — Chair"),
        "@gone:x": Existing("gone — Brazil (expert)"),
        "@named:x": Existing("Ana"),
        "@off:x": Existing("off — Chile (expert)", deactivated=True),
    }
    assert plan_accounts(wanted, existing, former) == Plan(
        rename={"@gone:x": "gone"}, unchanged=("@a:x", "@named:x")
    )


def test_former_accounts_come_from_the_roster_history() -> None:
    first = load_roster(ROSTER, SERVER)
    second = first.with_expert("AG", UserId(f"@ag.exp2:{SERVER}"))
    # The focal point hands over; the old one leaves the roster with their name, and no seat.
    now = second.with_focal_point("AG", UserId(f"@ag.fp2:{SERVER}")).without_expert(
        "AG", UserId(f"@ag.exp2:{SERVER}")
    )
    assert former_accounts(_settings(), [first, second, now], now) == {
        f"@ag.fp:{SERVER}": "Ana Pérez",
        f"@ag.exp2:{SERVER}": "ag.exp2",
    }
    assert former_accounts(_settings(), [], now) == {}


def test_wanted_accounts_are_the_platforms_then_the_rosters() -> None:
    settings = _settings()
    roster = load_roster(ROSTER, SERVER)
    wanted = wanted_accounts(settings, roster)
    assert list(wanted) == [BOT, WARDEN, *roster.participants()]
    assert wanted[BOT] == BOT_DISPLAY_NAME
    assert wanted[WARDEN] == WARDEN_DISPLAY_NAME
    assert wanted[f"@ag.fp:{SERVER}"] == "Ana Pérez — Antigua and Barbuda (focal point)"
    assert wanted[f"@ag.exp1:{SERVER}"] == "ag.exp1 — Antigua and Barbuda (expert)"
    assert wanted[f"@chair:{SERVER}"] == "chair — Chair"
    assert WARDEN not in wanted_accounts(_settings(warden=False), roster)


def test_the_admin_account_cannot_be_a_participant() -> None:
    roster = load_roster(ROSTER.replace("@sec.ana:", "@plenaria-admin:"), SERVER)
    with pytest.raises(AccountError, match="platform's admin account"):
        wanted_accounts(_settings(), roster)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("@ag.fp:example.org", "@ag.fp:example.org"),
        ("ag.fp", "@ag.fp:example.org"),
        ("ag.fp:elsewhere.net", "@ag.fp:elsewhere.net"),
        (" ag.fp ", "@ag.fp:example.org"),
    ],
)
def test_a_user_on_the_command_line(given: str, expected: str) -> None:
    assert user_id_argument(given, SERVER) == expected


def test_generated_passwords_meet_the_homeservers_policy() -> None:
    for _ in range(50):
        password = generate_password()
        assert len(password) >= 12
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password) and any(c in "-_" for c in password)


def test_the_admin_password_is_derived_from_the_secret_and_meets_the_policy() -> None:
    password = admin_password("shared-secret", SERVER)
    assert password == admin_password("shared-secret", SERVER)
    assert password != admin_password("another-secret", SERVER)
    assert password != admin_password("shared-secret", "elsewhere.net")
    assert "shared-secret" not in password and len(password) >= 40
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password) and "-" in password


def test_the_registration_secret_is_read_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "registration"
    settings = _settings(registration_shared_secret_file=path)
    assert settings.registration_shared_secret_file == path, "the settings hold only the path"
    with pytest.raises(AccountError, match=f"file {path} does not exist"):
        registration_secret(settings)
    path.write_text("Zq7-secret-value\n", encoding="utf-8")
    assert registration_secret(settings) == "Zq7-secret-value"
    assert "Zq7" not in repr(settings) and "Zq7" not in str(settings.redacted())


def test_no_registration_secret_configured() -> None:
    with pytest.raises(AccountError, match="registration_shared_secret_file is not set"):
        registration_secret(_settings())


# -- files -------------------------------------------------------------------------------------


def test_the_passwords_file_is_private_and_merged(tmp_path: Path) -> None:
    file = PasswordFile(tmp_path / "secrets" / "passwords.json")
    assert file.read() == {}
    file.write({"@a:x": "one"})
    file.write(file.read() | {"@b:x": "two"})
    assert file.read() == {"@a:x": "one", "@b:x": "two"}
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    file.write({})
    assert not file.path.exists()


def test_handed_over_deletes_the_file_and_counts_never_shows(tmp_path: Path) -> None:
    file = PasswordFile(tmp_path / "secrets" / "passwords.json")
    file.write({"@a:x": "one", "@b:x": "two"})
    assert file.delete() == 2
    assert not file.path.exists()
    assert file.delete() is None, "a second run finds nothing and changes nothing"


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"@a:x": 3}'])
def test_handed_over_refuses_a_file_that_is_not_a_passwords_file(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(content)
    with pytest.raises(AccountError, match="not a passwords file"):
        PasswordFile(path).delete()
    assert path.read_text() == content


def test_handed_over_refuses_a_symbolic_link(tmp_path: Path) -> None:
    target = PasswordFile(tmp_path / "passwords.json")
    target.write({"@a:x": "one"})
    link = tmp_path / "link.json"
    link.symlink_to(target.path)
    with pytest.raises(AccountError, match="symbolic link"):
        PasswordFile(link).delete()
    assert target.read() == {"@a:x": "one"} and link.is_symlink()


def test_a_passwords_file_that_cannot_be_written_is_refused_in_one_line() -> None:
    file = PasswordFile(Path("/proc/plenaria-nowhere/passwords.json"))
    with pytest.raises(AccountError) as refused:
        file.write({"@a:x": "one"})
    assert refused.value.reasons == (
        "cannot write /proc/plenaria-nowhere/passwords.json: No such file or directory",
    )


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"@a:x": 3}'])
def test_a_foreign_passwords_file_is_refused_not_overwritten(tmp_path: Path, content: str) -> None:
    path = tmp_path / "passwords.json"
    path.write_text(content)
    with pytest.raises(AccountError, match="not a passwords file"):
        PasswordFile(path).read()
    assert path.read_text() == content


def test_missing_platform_password_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bot-password").write_text("x")
    config = tmp_path / "config.yaml"
    config.write_text(
        f'bot: {{user_id: "{BOT}", password_file: ./bot-password}}\n'
        f'warden: {{user_id: "{WARDEN}", password_file: ./secrets/warden-password}}\n'
    )
    assert missing_platform_password_files(config) == {
        WARDEN: tmp_path / "secrets" / "warden-password"
    }
    monkeypatch.setenv("PLENARIA_WARDEN__PASSWORD", "from the environment")
    assert missing_platform_password_files(config) == {}
    config.write_text("- not\n- a mapping\n")
    assert missing_platform_password_files(config) == {}


# -- create_accounts ---------------------------------------------------------------------------


class FakePlanRunner:
    """Accounts in a dict; `fail_after` makes `apply` fail once that many accounts exist."""

    def __init__(self, accounts: dict[str, Existing], fail_after: int | None = None) -> None:
        self.accounts = accounts
        self.passwords: dict[str, str] = {}
        self.created: list[str] = []
        self.fail_after = fail_after
        self.file_when_applied: dict[str, str] | None = None
        self.file: PasswordFile | None = None

    async def survey(
        self, wanted: Mapping[str, str], former: Mapping[str, str] | None = None
    ) -> Plan:
        users = [*wanted, *(former or {})]
        return plan_accounts(wanted, {u: self.accounts.get(u) for u in users}, former)

    async def apply(self, plan: Plan, passwords: Mapping[str, str]) -> Outcome:
        if self.file is not None:
            self.file_when_applied = self.file.read()
        outcome = Outcome(unchanged=list(plan.unchanged))
        for user, name in plan.create.items():
            if self.fail_after is not None and len(self.created) >= self.fail_after:
                raise AccountError("the homeserver http://hs is unreachable")
            self.accounts[user] = Existing(name)
            self.passwords[user] = passwords[user]
            self.created.append(user)
            outcome.created.append(user)
        for user, name in plan.rename.items():
            self.accounts[user] = Existing(name)
            outcome.renamed.append(user)
        return outcome


WANTED = {BOT: "plenaria", "@a:x": "A", "@b:x": "B", "@c:x": "C"}


async def test_passwords_are_on_disk_before_the_accounts_exist(tmp_path: Path) -> None:
    file = PasswordFile(tmp_path / "passwords.json")
    file.write({"@someone:x": "kept"})
    homeserver = FakePlanRunner({"@c:x": Existing("old")})
    homeserver.file = file

    outcome, written = await create_accounts(
        homeserver,
        WANTED,
        platform_passwords={BOT: "Bot-Password-1"},
        new_platform_files={},
        passwords_file=file,
    )

    assert (outcome.created, outcome.renamed, written) == ([BOT, "@a:x", "@b:x"], ["@c:x"], 2)
    saved = file.read()
    assert saved == homeserver.file_when_applied
    assert saved == {"@someone:x": "kept", "@a:x": homeserver.passwords["@a:x"]} | {
        "@b:x": homeserver.passwords["@b:x"]
    }
    assert homeserver.passwords[BOT] == "Bot-Password-1"


async def test_a_failure_half_way_keeps_only_the_passwords_of_made_accounts(
    tmp_path: Path,
) -> None:
    file = PasswordFile(tmp_path / "passwords.json")
    homeserver = FakePlanRunner({BOT: Existing("plenaria")}, fail_after=1)

    with pytest.raises(AccountError, match="unreachable"):
        await create_accounts(
            homeserver,
            WANTED,
            platform_passwords={BOT: "Bot-Password-1"},
            new_platform_files={},
            passwords_file=file,
        )

    assert homeserver.created == ["@a:x"]
    assert json.loads(file.path.read_text()) == {"@a:x": homeserver.passwords["@a:x"]}


async def test_deactivated_accounts_and_stale_platform_files_refuse_the_whole_run(
    tmp_path: Path,
) -> None:
    file = PasswordFile(tmp_path / "passwords.json")
    homeserver = FakePlanRunner(
        {BOT: Existing("plenaria"), "@b:x": Existing("B", deactivated=True)}
    )

    with pytest.raises(AccountError) as refused:
        await create_accounts(
            homeserver,
            WANTED,
            platform_passwords={BOT: "generated"},
            new_platform_files={BOT: tmp_path / "bot-password"},
            passwords_file=file,
        )

    assert len(refused.value.reasons) == 2
    assert "@b:x is deactivated" in refused.value.reasons[0]
    assert f"{BOT} exists, but its password file" in refused.value.reasons[1]
    assert homeserver.created == []
    assert not file.path.exists()

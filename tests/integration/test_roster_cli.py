"""`plenaria roster import/export`: a roster is checked, kept with its history, or refused whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# plenaria's own database and nothing else: the roster's history, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.stacks("sqlite", "postgresql")

CONFIG = """homeserver_url: http://127.0.0.1:9
server_name: example.org
data_dir: ./data
roster: ./roster.yaml
bot:
  user_id: "@plenaria:example.org"
  password_file: ./bot-password
warden:
  user_id: "@plenaria-warden:example.org"
  password_file: ./bot-password
"""

ROSTER = """working_group: "Joint Working Group on Disaster Prevention and Response"
chairs: ["@chair:example.org"]
secretariat: ["@sec.ana:example.org"]
delegations:
  - code: AG
    focal_point: "@ag.fp:example.org"
    experts: ["@ag.exp1:example.org", "@ag.exp2:example.org"]
  - code: BR
    focal_point: "@br.fp:example.org"
    experts: []
  - code: NO
    focal_point: "@no.fp:example.org"
"""

BAD = """working_group: WG
chairs: ["@chair:example.org"]
secretariat: ["@sec.ana:example.org"]
delegations:
  - code: XX
    focal_point: "@xx.fp:example.org"
  - code: AG
    focal_point: "@ag.fp:elsewhere.net"
  - code: BR
    focal_point: "@chair:example.org"
"""


def plenaria(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def _setup(tmp_path: Path, database_url: str) -> Path:
    (tmp_path / "bot-password").write_text("Secret-Password-1")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG + (f"database_url: {database_url}\n" if database_url else ""))
    (tmp_path / "roster.yaml").write_text(ROSTER)
    (tmp_path / "bad.yaml").write_text(BAD)
    return config


def test_import_then_export_round_trips(tmp_path: Path, stack_database_url: str) -> None:
    config = _setup(tmp_path, stack_database_url)
    result = plenaria("roster", "import", "roster.yaml", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "imported roster version 1: 3 delegations, 2 experts, 1 chair(s), 1 secretariat member(s)"
    )

    exported = plenaria("roster", "export", "--config", str(config), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    data = yaml.safe_load(exported.stdout.replace("code: NO", "code: 'NO'"))
    assert [d["code"] for d in data["delegations"]] == ["AG", "BR", "NO"]
    assert data["delegations"][0]["name"] == "Antigua and Barbuda"
    assert data["delegations"][2]["name"] == "Norway"

    again = plenaria("roster", "import", "roster.yaml", "--config", str(config), cwd=tmp_path)
    assert "version 2" in again.stdout


def test_a_bad_roster_is_refused_with_every_reason_and_changes_nothing(
    tmp_path: Path, stack_database_url: str
) -> None:
    config = _setup(tmp_path, stack_database_url)
    assert plenaria("roster", "import", "roster.yaml", "--config", str(config), cwd=tmp_path)

    result = plenaria("roster", "import", "bad.yaml", "--config", str(config), cwd=tmp_path)

    assert result.returncode == 1
    reasons = result.stderr.strip().splitlines()
    assert all(line.startswith("plenaria: roster refused: ") for line in reasons)
    text = result.stderr
    assert "XX" in text
    assert "elsewhere.net" in text
    assert "@chair:example.org" in text
    assert "Traceback" not in text
    exported = plenaria("roster", "export", "--config", str(config), cwd=tmp_path)
    assert "ag.exp1" in exported.stdout, "the refused roster must not replace the current one"


def test_export_before_any_import_is_refused(tmp_path: Path, stack_database_url: str) -> None:
    config = _setup(tmp_path, stack_database_url)
    result = plenaria("roster", "export", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "plenaria: no roster has been imported yet"


def test_run_refuses_to_start_on_a_bad_roster(tmp_path: Path, stack_database_url: str) -> None:
    config = _setup(tmp_path, stack_database_url)
    (tmp_path / "roster.yaml").write_text(BAD)
    result = plenaria("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert "roster refused" in result.stderr
    assert "Traceback" not in result.stderr

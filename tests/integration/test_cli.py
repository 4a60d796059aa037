"""`plenaria run` refuses a bad configuration in one line with exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """homeserver_url: http://127.0.0.1:9
server_name: example.org
data_dir: ./data
bot:
  user_id: "@plenaria:example.org"
  password_file: ./bot-password
"""


def _run(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )


CASES = {
    "unknown key": (GOOD + "colour: blue\n", "colour: unknown key"),
    "unknown nested key": (
        GOOD.replace("  password_file", "  nickname: x\n  password_file"),
        "bot.nickname: unknown key",
    ),
    "missing password file": (
        GOOD.replace("./bot-password", "./nowhere"),
        "does not exist",
    ),
    "missing required key": (GOOD.replace("server_name: example.org\n", ""), "server_name"),
    "not YAML": ("homeserver_url: [unclosed\n", "not valid YAML"),
    "not a mapping": ("- a\n- b\n", "must be a mapping"),
    "bad URL": (GOOD.replace("http://127.0.0.1:9", "ftp://x"), "homeserver_url"),
    "bad time zone": (GOOD + "timezone: Mars/Olympus\n", "unknown time zone"),
    "bad language": (GOOD + "language: de\n", "language"),
    "bot of another server": (
        GOOD.replace("@plenaria:example.org", "@plenaria:elsewhere.net"),
        "bot.user_id must be an account of example.org",
    ),
    "unwritable data_dir": (
        GOOD.replace("data_dir: ./data", "data_dir: /dev/null/data"),
        "data_dir /dev/null/data is not writable",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    text, expected = CASES[case]
    (tmp_path / "bot-password").write_text("s3cret-Password!")
    config = tmp_path / "config.yaml"
    config.write_text(text)

    result = _run(config)

    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("plenaria: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr


def test_missing_configuration_file(tmp_path: Path) -> None:
    result = _run(tmp_path / "absent.yaml")
    assert result.returncode == 2
    expected = f"plenaria: configuration file {tmp_path}/absent.yaml does not exist"
    assert result.stderr.strip() == expected


def test_usage_error_is_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "frobnicate"], capture_output=True, text=True
    )
    assert result.returncode == 2


def test_a_wrong_bot_password_is_one_line_and_exit_1(synapse, tmp_path: Path) -> None:
    (tmp_path / "bot-password").write_text("Not-the-password-1")
    config = tmp_path / "config.yaml"
    config.write_text(
        GOOD.replace("http://127.0.0.1:9", synapse.url).replace("example.org", synapse.server_name)
    )
    result = _run(config)
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("plenaria: the homeserver refused: login failed: M_FORBIDDEN")
    assert "Traceback" not in result.stderr
    assert "Not-the-password" not in result.stderr

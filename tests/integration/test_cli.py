"""Every `plenaria` verb ends a failure in one line on standard error with its exit code (SPEC
§7: 1 refused, 2 usage or configuration), never a traceback: a bad or missing configuration, a
database that cannot be opened (an SQLite file, or a PostgreSQL server refusing the password),
an output that cannot be written, a port already taken. These run the real command; only the
wrong bot password needs a homeserver, and PostgreSQL's refusal the session's server."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers.postgres import LocalPostgres

GOOD = """homeserver_url: http://127.0.0.1:9
server_name: example.org
data_dir: ./data
bot:
  user_id: "@plenaria:example.org"
  password_file: ./bot-password
http: {host: 127.0.0.1, port: 0}
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


def plenaria(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, expected: str) -> None:
    assert "Traceback" not in result.stderr
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("plenaria: ")
    assert expected in lines[0], lines[0]


ROSTER = """working_group: WG
chairs: ["@chair:example.org"]
secretariat: ["@sec.ana:example.org"]
delegations:
  - code: AG
    focal_point: "@ag.fp:example.org"
"""

# Every verb that reads the configuration, with what else it needs (the roster file, a user).
CONFIGURED_VERBS = {
    "run": ["run"],
    "roster import": ["roster", "import", "roster.yaml"],
    "roster export": ["roster", "export"],
    "accounts create": ["accounts", "create"],
    "accounts reset-password": ["accounts", "reset-password", "ag.fp"],
    "accounts handed-over": ["accounts", "handed-over"],
}


@pytest.mark.parametrize("verb", sorted(CONFIGURED_VERBS))
def test_every_verb_refuses_a_missing_configuration_in_one_line(tmp_path: Path, verb: str) -> None:
    result = plenaria(*CONFIGURED_VERBS[verb], "--config", tmp_path / "absent.yaml", cwd=tmp_path)
    assert_one_line(result, 2, f"configuration file {tmp_path}/absent.yaml does not exist")


@pytest.mark.parametrize("verb", ["run", "roster import", "roster export", "accounts create"])
def test_a_database_that_cannot_be_opened_is_one_line_and_exit_2(tmp_path: Path, verb: str) -> None:
    (tmp_path / "bot-password").write_text("s3cret-Password!")
    (tmp_path / "roster.yaml").write_text(ROSTER)
    config = tmp_path / "config.yaml"
    url = "sqlite+aiosqlite:////proc/plenaria-nowhere/plenaria.db"
    config.write_text(GOOD + f"database_url: {url}\nroster: ./roster.yaml\n")

    result = plenaria(*CONFIGURED_VERBS[verb], "--config", config, cwd=tmp_path)

    assert_one_line(result, 2, f"cannot open the database {url}: No such file or directory")


@pytest.mark.parametrize("verb", ["run", "roster import"])
def test_a_postgresql_database_that_refuses_the_bot_is_one_line_and_exit_2(
    postgres: LocalPostgres, tmp_path: Path, verb: str
) -> None:
    """PostgreSQL's own refusal (a wrong password), in one line, with the password hidden."""
    (tmp_path / "bot-password").write_text("s3cret-Password!")
    (tmp_path / "roster.yaml").write_text(ROSTER)
    database = postgres.create_database()
    url = database.url().replace(database.password, "not-the-password")
    config = tmp_path / "config.yaml"
    config.write_text(GOOD + f"database_url: {url}\nroster: ./roster.yaml\n")

    result = plenaria(*CONFIGURED_VERBS[verb], "--config", config, cwd=tmp_path)

    shown = url.replace("not-the-password", "***")
    assert_one_line(result, 2, f"cannot open the database {shown}: password authentication failed")
    assert "not-the-password" not in result.stderr + result.stdout


def test_roster_export_into_a_place_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bot-password").write_text("s3cret-Password!")
    (tmp_path / "roster.yaml").write_text(ROSTER)
    config = tmp_path / "config.yaml"
    config.write_text(GOOD)
    imported = plenaria("roster", "import", "roster.yaml", "--config", config, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr

    for output, reason in (
        ("/proc/plenaria-nowhere/roster.yaml", "No such file or directory"),
        (tmp_path, "Is a directory"),
    ):
        result = plenaria("roster", "export", "--config", config, "-o", output, cwd=tmp_path)
        assert_one_line(result, 1, f"cannot write {output}: {reason}")


def test_a_health_port_already_taken_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bot-password").write_text("s3cret-Password!")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "config.yaml"
        config.write_text(GOOD.replace("port: 0", f"port: {port}"))

        result = _run(config)

    assert_one_line(result, 2, f"http: cannot listen on 127.0.0.1:{port}: Address already in use")


def test_demo_into_a_folder_it_cannot_write_is_one_line_and_exit_2() -> None:
    result = plenaria("demo", "--dir", "/proc/plenaria-nowhere/demo")
    assert_one_line(
        result, 2, "--dir /proc/plenaria-nowhere/demo is not writable: No such file or directory"
    )


def test_stopped_while_the_homeserver_is_unreachable_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bot-password").write_text("s3cret-Password!")
    config = tmp_path / "config.yaml"
    config.write_text(GOOD)  # nothing listens on port 9
    with subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
    ) as bot:
        assert bot.stderr is not None
        seen = []
        for line in bot.stderr:  # the bot keeps retrying until it is stopped
            seen.append(line)
            if "homeserver unreachable; retrying" in line:
                break
        bot.send_signal(signal.SIGTERM)
        rest = bot.stderr.read()
        code = bot.wait(timeout=60)
    stderr = "".join(seen) + rest
    assert "Traceback" not in stderr
    assert code == 1, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("plenaria: the homeserver could not be reached (login failed: "), last

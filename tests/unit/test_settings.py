"""Unit tests for bot/settings.py: config.yaml (SPEC §7) loads, or fails in one clear line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.runtime.settings import ConfigError, Settings, load_settings

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The environment wins over the file; nothing from the caller's shell may leak in.
    for name in list(os.environ):
        if name.upper().startswith("PLENARIA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "bot-password").write_text(PASSWORD + "\n", encoding="utf-8")
    return tmp_path


def _minimal(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "homeserver_url": "http://127.0.0.1:8008",
        "server_name": "example.org",
        "data_dir": "./data",
        "bot": {"user_id": "@plenaria:example.org", "password_file": "./secrets/bot-password"},
    }
    config.update(overrides)
    return config


def _write(folder: Path, config: object) -> Path:
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message
    assert "\n" not in message
    return message


# --- valid configurations -------------------------------------------------------------------


def test_minimal_config_loads(folder: Path) -> None:
    settings = load_settings(_write(folder, _minimal()))
    assert isinstance(settings, Settings)
    assert settings.homeserver_url == "http://127.0.0.1:8008"
    assert settings.server_name == "example.org"
    assert settings.bot.user_id == "@plenaria:example.org"
    assert settings.bot.secret() == PASSWORD
    assert settings.warden is None
    assert settings.language == "en"
    assert settings.timezone == "America/New_York"
    assert settings.http.port == 9100


def test_relative_paths_resolve_against_the_config_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    config = _minimal(
        roster="roster.yaml",
        registration_shared_secret_file="./secrets/registration",
        warden={"user_id": "@warden:example.org", "password_file": "secrets/bot-password"},
    )
    settings = load_settings(_write(folder, config))
    assert settings.data_dir.resolve() == (folder / "data").resolve()
    assert settings.roster is not None
    assert settings.roster.resolve() == (folder / "roster.yaml").resolve()
    assert settings.registration_shared_secret_file is not None
    assert (
        settings.registration_shared_secret_file.resolve()
        == (folder / "secrets" / "registration").resolve()
    )
    assert settings.bot.password_file is not None
    assert settings.bot.password_file.resolve() == (folder / "secrets/bot-password").resolve()
    assert settings.warden is not None
    assert settings.warden.secret() == PASSWORD


def test_absolute_paths_are_kept(folder: Path) -> None:
    data = folder / "absolute-data"
    settings = load_settings(_write(folder, _minimal(data_dir=str(data))))
    assert settings.data_dir == data


def test_database_url_defaults_to_sqlite_under_data_dir(folder: Path) -> None:
    settings = load_settings(_write(folder, _minimal()))
    prefix = "sqlite+aiosqlite:///"
    assert settings.database_url.startswith(prefix)
    database = Path(settings.database_url.removeprefix(prefix))
    assert database.is_absolute()
    assert database.resolve() == (folder / "data" / "plenaria.db").resolve()


def test_relative_sqlite_database_url_resolves_against_the_config_folder(folder: Path) -> None:
    config = _minimal(database_url="sqlite+aiosqlite:///./state/x.db")
    settings = load_settings(_write(folder, config))
    database = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    assert database == (folder / "state" / "x.db").resolve()


def test_postgresql_database_url_is_kept(folder: Path) -> None:
    url = "postgresql+asyncpg://plenaria@db/plenaria"
    settings = load_settings(_write(folder, _minimal(database_url=url)))
    assert settings.database_url == url


def test_full_spec_example_loads(folder: Path) -> None:
    (folder / "secrets" / "warden-password").write_text("w", encoding="utf-8")
    config = _minimal(
        database_url="postgresql+asyncpg://p@db/p",
        roster="./roster.yaml",
        warden={
            "user_id": "@plenaria-warden:example.org",
            "password_file": "./secrets/warden-password",
        },
        registration_shared_secret_file="./secrets/registration-shared-secret",
        http={"host": "127.0.0.1", "port": 9100},
        language="es",
        timezone="America/Santiago",
    )
    settings = load_settings(_write(folder, config))
    assert settings.language == "es"
    assert settings.timezone == "America/Santiago"
    assert settings.warden is not None
    assert settings.warden.secret() == "w"


def test_password_from_the_environment(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLENARIA_BOT__PASSWORD", "from-env")
    config = _minimal(bot={"user_id": "@plenaria:example.org"})
    settings = load_settings(_write(folder, config))
    assert settings.bot.secret() == "from-env"
    assert settings.bot.password_file is None


def test_environment_password_wins_over_the_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLENARIA_BOT__PASSWORD", "from-env")
    settings = load_settings(_write(folder, _minimal()))
    assert settings.bot.secret() == "from-env"


def test_password_never_in_repr_or_redacted(folder: Path) -> None:
    settings = load_settings(_write(folder, _minimal()))
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
    redacted = settings.redacted()
    assert PASSWORD not in repr(redacted)
    assert redacted["bot"]["password"] == "**********"
    assert redacted["bot"]["user_id"] == "@plenaria:example.org"


def test_environment_password_never_in_repr_or_redacted(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLENARIA_BOT__PASSWORD", "env-secret-value")
    settings = load_settings(_write(folder, _minimal(bot={"user_id": "@plenaria:example.org"})))
    assert "env-secret-value" not in repr(settings)
    assert "env-secret-value" not in repr(settings.redacted())


def test_the_database_password_is_never_logged(folder: Path) -> None:
    url = "postgresql+asyncpg://plenaria:db-secret-42@db.example.org:5432/plenaria"
    settings = load_settings(_write(folder, _minimal(database_url=url)))
    shown = settings.redacted()["database_url"]
    assert "db-secret-42" not in shown
    assert shown == "postgresql+asyncpg://plenaria:***@db.example.org:5432/plenaria"


def test_settings_are_frozen(folder: Path) -> None:
    settings = load_settings(_write(folder, _minimal()))
    with pytest.raises(ValueError, match="frozen"):
        settings.server_name = "other.org"


# --- one-line errors --------------------------------------------------------------------------


def test_unknown_top_level_key(folder: Path) -> None:
    message = _config_error(_write(folder, _minimal(colour="blue")))
    assert "colour: unknown key" in message


def test_unknown_nested_key(folder: Path) -> None:
    config = _minimal()
    config["bot"]["device"] = "phone"
    assert "bot.device: unknown key" in _config_error(_write(folder, config))


def test_unknown_key_in_http(folder: Path) -> None:
    message = _config_error(_write(folder, _minimal(http={"hots": "0.0.0.0"})))
    assert "http.hots: unknown key" in message


def test_missing_password_file(folder: Path) -> None:
    config = _minimal(bot={"user_id": "@plenaria:example.org", "password_file": "secrets/nope"})
    message = _config_error(_write(folder, config))
    assert "password_file" in message
    assert "nope" in message
    assert "does not exist" in message


def test_empty_password_file(folder: Path) -> None:
    (folder / "secrets" / "empty").write_text(" \n", encoding="utf-8")
    config = _minimal(bot={"user_id": "@plenaria:example.org", "password_file": "secrets/empty"})
    message = _config_error(_write(folder, config))
    assert "password_file" in message
    assert "is empty" in message


def test_no_password_at_all(folder: Path) -> None:
    message = _config_error(_write(folder, _minimal(bot={"user_id": "@plenaria:example.org"})))
    assert "bot: needs password_file" in message


def test_missing_homeserver_url(folder: Path) -> None:
    config = _minimal()
    del config["homeserver_url"]
    assert "homeserver_url: missing" in _config_error(_write(folder, config))


def test_missing_bot_section(folder: Path) -> None:
    config = _minimal()
    del config["bot"]
    assert "bot: missing" in _config_error(_write(folder, config))


def test_homeserver_url_must_be_http(folder: Path) -> None:
    message = _config_error(_write(folder, _minimal(homeserver_url="ftp://x")))
    assert message.endswith("homeserver_url: String should match pattern '^https?://'")


def test_not_yaml(folder: Path) -> None:
    path = folder / "config.yaml"
    path.write_text("homeserver_url: http://x\nbot: [unclosed\n", encoding="utf-8")
    message = _config_error(path)
    assert "is not valid YAML" in message
    assert str(path) in message


def test_yaml_that_is_a_list(folder: Path) -> None:
    message = _config_error(_write(folder, ["homeserver_url", "server_name"]))
    assert "must be a mapping" in message


def test_empty_file_reports_what_is_missing(folder: Path) -> None:
    path = folder / "config.yaml"
    path.write_text("", encoding="utf-8")
    message = _config_error(path)
    assert "homeserver_url: missing" in message


def test_nonexistent_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    message = _config_error(path)
    assert f"configuration file {path} does not exist" == message


def test_config_path_is_a_folder(tmp_path: Path) -> None:
    assert "cannot read configuration file" in _config_error(tmp_path)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "America", "../etc/passwd", ""])
def test_bad_timezone(folder: Path, zone: str) -> None:
    message = _config_error(_write(folder, _minimal(timezone=zone)))
    assert "timezone: unknown time zone" in message


def test_bad_language(folder: Path) -> None:
    assert "language" in _config_error(_write(folder, _minimal(language="de")))


def test_bad_port(folder: Path) -> None:
    assert "http.port" in _config_error(_write(folder, _minimal(http={"port": 70000})))


def test_bot_of_another_server(folder: Path) -> None:
    config = _minimal(
        bot={"user_id": "@plenaria:other.org", "password_file": "secrets/bot-password"}
    )
    message = _config_error(_write(folder, config))
    assert "bot.user_id must be an account of example.org" in message


def test_malformed_bot_user_id(folder: Path) -> None:
    config = _minimal(bot={"user_id": "plenaria", "password_file": "secrets/bot-password"})
    assert "bot.user_id" in _config_error(_write(folder, config))


def test_several_problems_in_one_line(folder: Path) -> None:
    config = _minimal(colour="blue", language="de")
    del config["server_name"]
    message = _config_error(_write(folder, config))
    assert "colour: unknown key" in message
    assert "server_name: missing" in message
    assert "language" in message


def test_errors_never_show_the_password(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLENARIA_BOT__PASSWORD", "env-secret-value")
    config = _minimal(bot={"user_id": "@plenaria:other.org"}, colour="blue")
    message = _config_error(_write(folder, config))
    assert "env-secret-value" not in message
    assert PASSWORD not in message


def test_config_not_utf8(folder: Path) -> None:
    path = folder / "config.yaml"
    path.write_bytes(b"homeserver_url: \xff\xfe\n")
    assert "not UTF-8" in _config_error(path)


def test_a_password_written_in_the_configuration_is_refused(folder: Path) -> None:
    config = _minimal(bot={"user_id": "@plenaria:example.org", "password": PASSWORD})
    message = _config_error(_write(folder, config))
    assert message.startswith("bot.password: a password does not belong")
    assert PASSWORD not in message


def test_default_data_dir_is_beside_the_config_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    config = _minimal()
    del config["data_dir"]
    settings = load_settings(_write(folder, config))
    assert settings.data_dir == folder / "data"


def test_plenaria_run_forgets_the_secrets_in_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once loaded, PLENARIA_* secrets leave the environment: the document engine's workers,
    started later, inherit none of them (issue #9)."""
    from bot.cli.main import forget_secret_environment

    monkeypatch.setenv("PLENARIA_BOT__PASSWORD", "env-secret-value")
    monkeypatch.setenv("PLENARIA_WARDEN__PASSWORD", "another")
    monkeypatch.setenv("UNRELATED_SETTING", "kept")
    forget_secret_environment()
    assert not [n for n in os.environ if n.startswith("PLENARIA_")]
    assert os.environ["UNRELATED_SETTING"] == "kept"


# --- working languages ------------------------------------------------------------------------


def test_working_languages_default_to_the_language_alone(folder: Path) -> None:
    assert load_settings(_write(folder, _minimal())).working_languages == ("en",)
    settings = load_settings(_write(folder, _minimal(language="fr")))
    assert settings.working_languages == ("fr",)


def test_working_languages_keep_their_order(folder: Path) -> None:
    config = _minimal(language="es", working_languages=["en", "es", "fr", "pt"])
    settings = load_settings(_write(folder, config))
    assert settings.working_languages == ("en", "es", "fr", "pt")
    assert settings.language == "es"


def test_working_languages_are_named_once_each(folder: Path) -> None:
    message = _config_error(_write(folder, _minimal(working_languages=["en", "es", "en"])))
    assert message.endswith(
        "working_languages: names en more than once; name each language once"
    ), message


def test_working_languages_are_the_platforms(folder: Path) -> None:
    message = _config_error(_write(folder, _minimal(working_languages=["en", "de"])))
    assert "working_languages.1" in message, message


def test_working_languages_are_not_empty(folder: Path) -> None:
    message = _config_error(_write(folder, _minimal(working_languages=[])))
    assert message.endswith(
        "working_languages: name at least one of en, es, fr, pt (or leave it out: the working "
        "group's `language` alone)"
    ), message

"""The platform's configuration: one YAML file, validated once at start, passed down.

Model: `Settings` mirrors SPEC §7 `config.yaml`. Unknown keys are errors. Secrets come from files
named in the YAML (`password_file`) or from the environment (`PLENARIA_BOT__PASSWORD`, ...) and
are held as `SecretStr`, so they never reach a log line or a repr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from commands.i18n import Language


class ConfigError(Exception):
    """A configuration problem, said in one line a Secretariat engineer can act on."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def read_secret_file(path: Path, what: str) -> SecretStr:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ValueError(f"{what}: file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ValueError(f"{what}: file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"{what}: cannot read {path}: {exc.strerror}") from None
    if not text:
        raise ValueError(f"{what}: file {path} is empty")
    return SecretStr(text)


class AccountSettings(_Strict):
    user_id: str = Field(pattern=r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-:\[\]]+$")
    password_file: Path | None = None
    password: SecretStr | None = Field(
        default=None, description="read from password_file, or PLENARIA_<ACCOUNT>__PASSWORD"
    )

    @model_validator(mode="after")
    def _load_password(self) -> AccountSettings:
        if self.password is None:
            if self.password_file is None:
                raise ValueError("needs password_file (or the password in the environment)")
            object.__setattr__(
                self, "password", read_secret_file(self.password_file, "password_file")
            )
        return self

    def secret(self) -> str:
        assert self.password is not None  # set by the validator
        return self.password.get_secret_value()


class HttpSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=9100, ge=0, le=65535)


class SyncSettings(_Strict):
    timeout_ms: int = Field(default=30_000, ge=0, description="long-poll of /sync")
    max_backoff_s: float = Field(default=30.0, gt=0)
    timeline_limit: int = Field(
        default=100, ge=1, le=1000, description="events per room per sync; older ones are paged"
    )
    stale_after_s: float = Field(
        default=90.0, gt=0, description="/healthz turns 503 when no sync succeeded for this long"
    )


class DocumentSettings(_Strict):
    classifications: tuple[str, ...] = Field(
        default=("public", "restricted"), min_length=1, description="the first is the default"
    )
    max_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, description="the largest file accepted (SPEC §3)"
    )


class SecuritySettings(_Strict):
    key_watch_interval_s: float = Field(
        default=15.0,
        gt=0,
        description="how often the devices and keys of the bot and the warden are checked",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix="PLENARIA_",
        env_nested_delimiter="__",
    )

    homeserver_url: str = Field(pattern=r"^https?://")
    server_name: str
    data_dir: Path = Path("./data")
    database_url: str = ""
    roster: Path | None = None
    bot: AccountSettings
    warden: AccountSettings | None = None
    # Only a path: `plenaria accounts` reads the secret
    # (bot.accounts.passwords.registration_secret); the running bot never does.
    registration_shared_secret_file: Path | None = None
    http: HttpSettings = HttpSettings()
    sync: SyncSettings = SyncSettings()
    documents: DocumentSettings = DocumentSettings()
    security: SecuritySettings = SecuritySettings()
    language: Language = "en"
    working_languages: tuple[Language, ...] = Field(
        default=(),
        validate_default=False,  # left out, it is `language` alone (`_defaults_and_paths`)
        description=(
            "the languages of what the platform posts to rooms (plenary, folders, moderation), "
            "one block each, in this order; default: `language` alone"
        ),
    )
    timezone: str = "America/New_York"
    device_name: str = "plenaria bot"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        # The tzdata package (icalendar needs it) answers a region's directory with OSError.
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("working_languages")
    @classmethod
    def _distinct_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(
                "name at least one of en, es, fr, pt (or leave it out: the working group's "
                "`language` alone)"
            )
        repeated = sorted({language for language in value if value.count(language) > 1})
        if repeated:
            raise ValueError(f"names {', '.join(repeated)} more than once; name each language once")
        return value

    @model_validator(mode="after")
    def _defaults_and_paths(self) -> Settings:
        if not self.working_languages:
            object.__setattr__(self, "working_languages", (self.language,))
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite+aiosqlite:///{self.data_dir / 'plenaria.db'}"
            )
        if not self.bot.user_id.endswith(":" + self.server_name):
            raise ValueError(f"bot.user_id must be an account of {self.server_name}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, so a secret can be injected at deploy time.
        return (env_settings, init_settings)

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict fit for a log line: secrets shown as '**********', and the
        database URL without its password."""
        shown = self.model_dump(mode="json")
        shown["database_url"] = shown_database_url(self.database_url)
        return shown


def shown_database_url(url: str) -> str:
    """The database URL without its password, fit for a log line or a message."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(database_url)"


def _relative_to(base: Path, raw: dict[str, Any]) -> dict[str, Any]:
    """Resolve relative paths in the YAML against the file's own folder, as operators expect."""
    out = dict(raw)
    out.setdefault("data_dir", "data")
    for key in ("data_dir", "roster", "registration_shared_secret_file"):
        if isinstance(out.get(key), str):
            out[key] = str(base / out[key])
    for account in ("bot", "warden"):
        section = out.get(account)
        if isinstance(section, dict) and "password" in section:
            raise ConfigError(
                f"{account}.password: a password does not belong in the configuration file; "
                f"use {account}.password_file or PLENARIA_{account.upper()}__PASSWORD"
            )
        if isinstance(section, dict) and isinstance(section.get("password_file"), str):
            out[account] = {**section, "password_file": str(base / section["password_file"])}
    url = out.get("database_url")
    if isinstance(url, str) and url.startswith("sqlite") and ":///./" in url:
        prefix, rel = url.split(":///", 1)
        out["database_url"] = f"{prefix}:///{(base / rel).resolve()}"
    return out


def _format_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "configuration"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def load_settings(path: Path) -> Settings:
    """Read and validate the configuration file; every problem becomes a one-line ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ConfigError(f"configuration file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping of keys to values")
    raw = _relative_to(path.parent, raw)
    try:
        return Settings(**raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_format_error(exc)}") from None

"""What a command checks before it starts work, so that a wrong setting fails in one line.

Each check raises `ConfigError` (exit code 2, reported by bot/cli/main.py) naming the setting
and the reason: a folder the command cannot write, a health port already taken, a database that
cannot be opened. The database is opened (and migrated) here rather than deep in the run, where
a failure would surface as a driver's traceback.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from bot.runtime.settings import ConfigError, Settings, shown_database_url

if TYPE_CHECKING:
    from bot.storage.database import Database


def check_writable_folder(folder: Path, what: str) -> None:
    """Fail in one line on a folder the command cannot create or write into."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"{what} {folder} is not writable: {exc.strerror}") from None


def check_paths(settings: Settings) -> None:
    """Fail at start, in one line, on a data folder the bot cannot write."""
    check_writable_folder(settings.data_dir, "data_dir")


def check_http_port(settings: Settings) -> None:
    """Fail at start, in one line, when the /healthz and /metrics address cannot be listened on
    (most often: another process holds the port)."""
    host, port = settings.http.host, settings.http.port
    if port == 0:
        return
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        ):
            with socket.socket(family, kind, proto) as probe:
                # As the HTTP server itself binds: a port in TIME_WAIT is free to use.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"http: cannot listen on {host}:{port}: {reason}") from None


def check_database(settings: Settings) -> None:
    """Fail at start, in one line, on a database that cannot be opened or migrated."""

    async def open_and_close() -> None:
        await (await open_database(settings)).close()

    asyncio.run(open_and_close())


async def open_database(settings: Settings) -> Database:
    """The platform's database, migrated; a `ConfigError` in one line when it cannot be opened
    or written (the caller closes it)."""
    # Imported here: `compile` and `check-proposal` never load the database code.
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from bot.storage.database import Database

    db: Database | None = None
    try:
        db = Database(settings.database_url)
        await db.migrate()
    except (OSError, ImportError, SQLAlchemyError) as exc:
        if db is not None:
            await db.close()
        if isinstance(exc, DBAPIError):
            reason = str(exc.orig)
        elif isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror + (f": {exc.filename}" if exc.filename else "")
        else:
            reason = str(exc)
        reason = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
        raise ConfigError(
            f"cannot open the database {shown_database_url(settings.database_url)}: {reason}"
        ) from None
    return db

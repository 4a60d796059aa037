"""The bot's own database as a test reads it behind the bot's back, whichever the stack gave it:
the SQLite file in its data folder, or its PostgreSQL database (through psycopg2, the driver the
tests already have for their PostgreSQL server)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import psycopg2

# What a read of a database the bot has not created (or not migrated) yet raises.
Error = (sqlite3.Error, psycopg2.Error)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite `database_url`, None for another engine."""
    return Path(url.split(":///", 1)[1]) if url.startswith("sqlite") else None


def _libpq(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL (`postgresql+asyncpg://…`) as libpq reads it."""
    return "postgresql://" + url.split("://", 1)[1]


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    """The rows `query` selects from the database at `database_url` `url`, in a short read."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():  # sqlite3.connect would create it
            raise sqlite3.OperationalError(f"no database at {path}")
        with contextlib.closing(sqlite3.connect(path)) as db:
            return db.execute(query).fetchall()
    with contextlib.closing(psycopg2.connect(_libpq(url))) as pg, pg.cursor() as cur:
        cur.execute(query)
        return list(cur.fetchall())


def count(url: str, table: str) -> int:
    """The rows of `table`; 0 while the bot has not created it."""
    try:
        return int(rows(url, f"select count(*) from {table}")[0][0])
    except Error:
        return 0


def lose(url: str) -> None:
    """The database is lost (the bot is stopped): the SQLite file and its journals deleted, or
    every table of the bot's PostgreSQL role dropped; the next start begins on an empty one."""
    path = sqlite_path(url)
    if path is not None:
        for file in path.parent.glob(path.name + "*"):
            file.unlink()
        return
    with contextlib.closing(psycopg2.connect(_libpq(url))) as pg:
        with pg.cursor() as cur:
            cur.execute("DROP OWNED BY CURRENT_USER")
        pg.commit()

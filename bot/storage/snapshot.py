"""An engine-neutral snapshot of the platform's database, for `plenaria backup` and `restore`.

Dump: every table's rows read in one snapshot. PostgreSQL: one REPEATABLE READ, READ ONLY
transaction. SQLite: the live file is first copied with sqlite3's online backup API (one read
transaction; in WAL mode the running bot keeps writing meanwhile), and the rows are read from
the copy. Rows are JSON values (datetimes ISO 8601 in UTC, bytes base64), recorded with the
Alembic revision the database was at.

Load: the empty target is migrated to that revision, the rows inserted parents first, and on
PostgreSQL each table's id sequence is moved past the largest id restored; all in one
transaction. The bot migrates the rest of the way to head at its next start. So a backup of
SQLite restores into PostgreSQL and the reverse.
"""

from __future__ import annotations

import base64
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import Database, _alembic_config

VERSION_TABLE = "alembic_version"
# Rows inserted per statement when loading.
_CHUNK = 500


class SnapshotError(Exception):
    """A snapshot that cannot be taken or loaded, said in one line."""


@dataclass(frozen=True)
class TableRows:
    columns: list[str]
    rows: list[list[Any]]  # JSON values, in `columns` order


@dataclass(frozen=True)
class DatabaseDump:
    engine: str  # "sqlite" or "postgresql": where it came from (for the record only)
    revision: str
    tables: dict[str, TableRows]

    def row_count(self) -> int:
        return sum(len(table.rows) for table in self.tables.values())


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite `database_url`, None for another engine or an in-memory one."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1]
    return Path(path) if path and path != ":memory:" else None


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database with sqlite3's online backup API (never a file copy, which
    can catch a write half done): one consistent read, even while another process writes."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # The platform writes UTC; SQLite hands it back without its zone.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _column_value(value: Any, column: sa.Column[Any]) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return Decimal(value)
    return value


def _read_all(conn: Connection) -> DatabaseDump:
    metadata = sa.MetaData()
    metadata.reflect(conn)
    if VERSION_TABLE not in metadata.tables:
        raise SnapshotError("the database has no Alembic revision: has plenaria ever run on it?")
    revision = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one()
    tables: dict[str, TableRows] = {}
    for table in metadata.sorted_tables:
        if table.name == VERSION_TABLE:
            continue
        columns = [c.name for c in table.columns]
        order = list(table.primary_key.columns) or list(table.columns)
        rows = conn.execute(sa.select(table).order_by(*order)).all()
        tables[table.name] = TableRows(columns, [[_json_value(v) for v in row] for row in rows])
    return DatabaseDump(conn.dialect.name, str(revision), tables)


async def dump(url: str) -> DatabaseDump:
    """Every table's rows in one consistent snapshot of the live database at `url`."""
    path = sqlite_file(url)
    if path is not None:
        if not path.is_file():
            raise SnapshotError(f"the database file {path} does not exist")
        with tempfile.TemporaryDirectory(prefix="plenaria-backup-") as folder:
            copy = Path(folder) / "snapshot.db"
            copy_sqlite(path, copy)
            return await _dump_url(f"sqlite+aiosqlite:///{copy}", None)
    return await _dump_url(url, "REPEATABLE READ")


async def _dump_url(url: str, isolation: str | None) -> DatabaseDump:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if isolation is not None:
                conn = await conn.execution_options(isolation_level=isolation)
            async with conn.begin():
                if isolation is not None:
                    await conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                return await conn.run_sync(_read_all)
    finally:
        await engine.dispose()


def _table_names(conn: Connection) -> list[str]:
    return list(sa.inspect(conn).get_table_names())


async def tables_in(url: str) -> list[str]:
    """The tables the database at `url` holds (none: it is empty). A SQLite file that does not
    exist is empty, and is not created by asking."""
    path = sqlite_file(url)
    if path is not None:
        if not path.exists():
            return []
        reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            reader.close()
        return [str(name) for (name,) in rows if not str(name).startswith("sqlite_")]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_table_names)
    finally:
        await engine.dispose()


def _load_all(conn: Connection, snapshot: DatabaseDump) -> None:
    try:
        command.upgrade(_alembic_config(conn), snapshot.revision)
    except CommandError:
        raise SnapshotError(
            f"the archive's database is at revision {snapshot.revision}, which this version of "
            "plenaria does not know: restore with the version that made the backup, or a newer "
            "one"
        ) from None
    metadata = sa.MetaData()
    metadata.reflect(conn)
    for name in snapshot.tables:
        if name not in metadata.tables:
            raise SnapshotError(
                f"the archive has a table {name} that revision {snapshot.revision} does not"
            )
    for table in metadata.sorted_tables:
        saved = snapshot.tables.get(table.name)
        if saved is None or not saved.rows:
            continue
        unknown = set(saved.columns) - set(table.columns.keys())
        if unknown:
            raise SnapshotError(
                f"the archive's table {table.name} has columns that revision "
                f"{snapshot.revision} does not: {', '.join(sorted(unknown))}"
            )
        columns = [table.columns[name] for name in saved.columns]
        for start in range(0, len(saved.rows), _CHUNK):
            chunk = saved.rows[start : start + _CHUNK]
            conn.execute(
                table.insert(),
                [
                    {c.name: _column_value(v, c) for c, v in zip(columns, row, strict=True)}
                    for row in chunk
                ],
            )
    if conn.dialect.name == "postgresql":
        _move_sequences(conn, metadata)


def _move_sequences(conn: Connection, metadata: sa.MetaData) -> None:
    """Rows inserted with their ids leave PostgreSQL's sequences at 1: move each past the
    largest id, so the next row the bot adds gets a new one."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = conn.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            largest = conn.execute(sa.select(sa.func.max(column))).scalar()
            conn.execute(
                sa.text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
                {"sequence": sequence, "value": largest or 1, "called": largest is not None},
            )


async def load(url: str, snapshot: DatabaseDump) -> None:
    """Fill the empty database at `url` with `snapshot`, in one transaction."""
    db = Database(url)  # SQLite: the folder made, and the platform's pragmas on every connection
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_load_all, snapshot)
    finally:
        await db.close()

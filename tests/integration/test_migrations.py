"""Every Alembic migration, from each earlier revision to head, with data in it, on SQLite and on
PostgreSQL (the session's server).

For each revision R (walked with Alembic's ScriptDirectory, so a new migration is covered without
touching this file): an empty database migrated to R, the rows of SEEDS for every revision up to
R inserted into the tables that exist at R, then the application's own `Database(url).migrate()`
to head; every seeded row must still be there, and what a migration after R transforms must be
transformed (CHANGES). A revision without a seed fails the test: the next migration's author
adds one, with rows for the tables it creates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection

from bot.storage.database import MIGRATIONS, Database, _alembic_config
from tests.servers.postgres import LocalPostgres

# Base first, head last.
REVISIONS = [script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()][::-1]
ENGINES = ("sqlite", "postgresql")

T = datetime(2026, 3, 2, 14, 5, 6, tzinfo=UTC)
LATER = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
CHAIR = "@chair:test.plenaria"
FP = "@ag.fp:test.plenaria"
SEC = "@sec:test.plenaria"


@dataclass(frozen=True)
class Ref:
    """The primary key given to the `index`-th row seeded into `table` (an autoincrement key the
    database chose)."""

    table: str
    index: int = 0


Rows = dict[str, list[dict[str, Any]]]

# The rows typical of each revision, for the tables it created (one dict, revision → table →
# rows). A migration without an entry here fails test_every_revision_has_a_seed.
SEEDS: dict[str, Rows] = {
    "0001": {
        "key_value": [
            {"key": "sync_token", "value": "s72594_4483_1934"},
            {"key": "first_start_ms", "value": "1772460306000"},
        ],
        "handled_events": [
            {"event_id": "$ping", "room_id": "!plenary:test.plenaria", "outcome": "ok",
             "handled_at": T},
            {"event_id": "$refused", "room_id": "!desk:test.plenaria", "outcome": "refused",
             "handled_at": LATER},
        ],
        "pending_encrypted_events": [
            {"event_id": "$late", "room_id": "!plenary:test.plenaria", "session_id": "sess1",
             "source": '{"type": "m.room.encrypted", "content": {"ciphertext": "AwgA"}}',
             "received_at": T, "attempts": 2},
        ],
    },
    "0002": {
        "roster_versions": [
            {"document": 'working_group: "WG"\nchairs: ["@chair:test.plenaria"]\n',
             "source": "roster.yaml", "created_at": T},
            {"document": 'working_group: "WG"\nchairs: ["@chair2:test.plenaria"]\n',
             "source": "!roster", "created_at": LATER},
        ],
    },
    "0003": {
        "governed_rooms": [
            {"ref": "plenary", "room_id": "!plenary:test.plenaria", "governor": "bot",
             "recorded_at": T},
            {"ref": "desk:AG", "room_id": "!desk:test.plenaria", "governor": "warden",
             "recorded_at": T},
        ],
        "audit_log": [
            {"at": T, "actor": CHAIR, "action": "!mute", "room": "!plenary:test.plenaria",
             "target": FP, "decision": "allow", "rule": "C3", "reason": "the Chair moderates"},
        ],
    },
    "0004": {
        "published_documents": [
            {"folder": "plan", "title": "Matriz", "file_name": "Matriz.docx", "version": 1,
             "symbol": "OEA/Ser.W/1", "classification": "public", "language": "es",
             "sha256": "a" * 64, "size": 12345, "publisher": CHAIR, "published_at": T,
             "mimetype": "application/vnd.openxmlformats-officedocument"
                         ".wordprocessingml.document",
             "source_event_id": "$publish", "room_id": "!plan:test.plenaria",
             "event_id": "$filed", "file_info": '{"url": "mxc://test.plenaria/abc"}'},
        ],
        "proposals": [
            {"delegation": "AG", "base_file_name": "Matriz.docx", "base_version": 1,
             "file_name": "AG_Matriz.docx", "sha256": "b" * 64, "size": 2345,
             "submitted_by": FP, "submitted_at": T, "source_event_id": "$proposal",
             "changes": 3, "paragraphs": "[1, 4, 7]", "superseded_by": None},
        ],
        "paragraph_statuses": [
            {"base_file_name": "Matriz.docx", "paragraph": 4, "status": "ad_referendum",
             "meeting": "2026-03-05", "set_by": CHAIR, "set_at": T},
            {"base_file_name": "Matriz.docx", "paragraph": 7, "status": "approved",
             "meeting": None, "set_by": CHAIR, "set_at": LATER},
        ],
    },
    "0005": {
        "suggestions": [
            {"delegation": "AG", "file_name": "Reference.pdf", "sha256": "c" * 64, "size": 999,
             "mimetype": "application/pdf", "suggested_by": FP, "suggested_at": T,
             "source_event_id": "$suggest", "status": "accepted", "reason": None,
             "decided_by": CHAIR, "decided_at": LATER},
        ],
    },
    "0006": {
        "pinned_identities": [
            {"user_id": FP, "master_key": "M" * 43, "self_signing_key": "S" * 43,
             "pinned_at": T, "pinned_by": "first sight", "changed_master_key": "N" * 43,
             "changed_self_signing_key": "R" * 43, "changed_at": LATER},
        ],
    },
    "0007": {
        "person_languages": [{"user_id": FP, "language": "pt", "chosen_at": T}],
    },
    "0008": {
        "support_tickets": [
            {"requester": FP, "room_id": "!dm:test.plenaria", "request_event_id": "$help",
             "ticket_event_id": "$ticket", "has_attachment": True, "status": "closed",
             "opened_at": T, "closed_at": LATER, "closed_by": SEC},
        ],
        "support_answers": [
            {"answer_event_id": "$answer", "ticket_number": Ref("support_tickets"),
             "responder": SEC, "relayed_event_id": "$relayed", "answered_at": LATER},
        ],
        "welcomes": [
            {"user_id": FP, "role": "focal_point", "room_id": "!desk:test.plenaria",
             "welcomed_at": T},
        ],
    },
    "0009": {
        "rounds": [
            {"document": "Matriz.docx", "version": 1, "opens_at": T, "closes_at": LATER,
             "reminders": "259200,3600", "meeting": "2026-03-10", "opened_by": CHAIR,
             "created_at": T, "source_event_id": "$round", "cancelled_at": None,
             "cancelled_by": None},
        ],
        "round_steps": [
            {"round_id": Ref("rounds"), "key": "open", "taken_at": T},
            {"round_id": Ref("rounds"), "key": "remind:3600", "taken_at": LATER},
        ],
        "paragraph_status_history": [
            {"base_file_name": "Matriz.docx", "paragraph": 9, "status": "approved",
             "meeting": None, "version": 1, "round_id": Ref("rounds"), "set_by": CHAIR,
             "set_at": LATER},
        ],
    },
}  # fmt: skip


def _first_history_from_statuses(rows: Rows, seeded: Rows) -> None:
    """0009: the statuses set before it became the first entry of each paragraph's history."""
    history = rows["paragraph_status_history"]
    statuses = seeded.get("paragraph_statuses", [])
    assert len(history) == len(statuses)
    for status in statuses:
        first = [
            entry
            for entry in history
            if (entry["base_file_name"], entry["paragraph"])
            == (status["base_file_name"], status["paragraph"])
        ]
        assert len(first) == 1, first
        assert {k: first[0][k] for k in status} == status
        assert first[0]["version"] is None and first[0]["round_id"] is None


# What a migration does to the rows seeded before it (revision → check of the tables' rows at
# head against the seeded rows), run when the upgrade crossed that revision.
CHANGES: dict[str, Callable[[Rows, Rows], None]] = {
    "0009": _first_history_from_statuses,
}


def _seeds_up_to(revision: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for rev in REVISIONS[: REVISIONS.index(revision) + 1]:
        yield from SEEDS[rev].items()


def _plain(value: Any) -> Any:
    """SQLite gives back the naive UTC datetimes it stored; PostgreSQL aware ones."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _migrate_to(revision: str) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        command.upgrade(_alembic_config(conn), revision)

    return run


def _seed(revision: str) -> Callable[[Connection], Rows]:
    """Insert the seeds up to `revision`; the rows as inserted (references resolved)."""

    def run(conn: Connection) -> Rows:
        meta = MetaData()
        meta.reflect(conn)
        missing = set(meta.tables) - {"alembic_version"} - {t for t, _ in _seeds_up_to(revision)}
        assert not missing, f"tables at {revision} without seed rows: {sorted(missing)}"
        keys: dict[str, list[Any]] = {}
        seeded: Rows = {}
        for name, rows in _seeds_up_to(revision):
            table = meta.tables[name]
            for row in rows:
                values = {
                    k: keys[v.table][v.index] if isinstance(v, Ref) else v for k, v in row.items()
                }
                result = conn.execute(table.insert().values(values))
                keys.setdefault(name, []).append(result.inserted_primary_key[0])
                seeded.setdefault(name, []).append(values)
        return seeded

    return run


def _read(tables: list[str]) -> Callable[[Connection], Rows]:
    def run(conn: Connection) -> Rows:
        meta = MetaData()
        meta.reflect(conn, only=tables)
        return {
            name: [
                {k: _plain(v) for k, v in row._mapping.items()}
                for row in conn.execute(select(meta.tables[name]))
            ]
            for name in tables
        }

    return run


def test_every_revision_has_a_seed() -> None:
    assert REVISIONS[0] == "0001" and len(REVISIONS) == len(set(REVISIONS))
    assert [rev for rev in REVISIONS if rev not in SEEDS] == [], "add their rows to SEEDS"
    assert set(SEEDS) <= set(REVISIONS) and set(CHANGES) <= set(REVISIONS)


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each engine: an SQLite file, or a database of its own on the
    session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}"
        return
    postgres: LocalPostgres = request.getfixturevalue("postgres")
    database = postgres.create_database()
    yield database.url()
    database.drop()


@pytest.mark.parametrize("revision", REVISIONS)
async def test_an_upgrade_to_head_keeps_the_data_of_each_revision(
    database_url: str, revision: str
) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_migrate_to(revision))
        async with db.engine.begin() as conn:
            seeded = await conn.run_sync(_seed(revision))
    finally:
        await db.close()

    db = Database(database_url)  # as the application starts: a new engine, migrate() to head
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            version = (await conn.exec_driver_sql("select version_num from alembic_version")).all()
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert version == [(head,)]
            tables = sorted({*seeded, *(t for rev in SEEDS.values() for t in rev)})
            rows = await conn.run_sync(_read(tables))
        for name, expected in seeded.items():
            for row in expected:
                plain = {k: _plain(v) for k, v in row.items()}
                assert any(plain.items() <= have.items() for have in rows[name]), (name, plain)
        for rev in REVISIONS[REVISIONS.index(revision) + 1 :]:
            if rev in CHANGES:
                CHANGES[rev](rows, seeded)
        # The application writes on after the upgrade (autoincrement keys go on past the seeds).
        await db.put("sync_token", "s1_after_upgrade")
        assert await db.get("sync_token") == "s1_after_upgrade"
    finally:
        await db.close()

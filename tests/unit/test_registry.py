"""The documents registry on a real (SQLite) database migrated by Alembic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.storage.database import Database
from bot.storage.files import FileStore
from bot.storage.models import Base
from bot.storage.registry import Draft, Registry
from documents.lifecycles import ParagraphStatus, SuggestionStatus


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await database.migrate()
    yield database
    await database.close()


async def test_the_migrations_make_the_tables_the_models_describe(db: Database) -> None:
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert diff == []


async def test_publishing_again_makes_the_next_version_once_per_event(db: Database) -> None:
    registry = Registry(db)
    fields = {
        "folder": "plan",
        "title": "Matriz",
        "file_name": "Matriz.docx",
        "symbol": "OEA/Ser.G CP/GT/CPDP-12/11",
        "classification": "public",
        "language": "es",
        "sha256": "a" * 64,
        "size": 10,
        "mimetype": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "publisher": "@chair:example.org",
    }
    first = await registry.publish(**fields, source_event_id="$one")
    again = await registry.publish(**fields, source_event_id="$one")
    second = await registry.publish(**fields, source_event_id="$two")
    assert (first.version, again.id, second.version) == (1, first.id, 2)
    assert [d.version for d in await registry.current("plan")] == [2]
    assert (await registry.latest("Matriz.docx")) == second
    await registry.posted(second.id, "!room", "$posted", {"url": "mxc://x/y"})
    assert (await registry.latest("Matriz.docx")).file_info == {"url": "mxc://x/y"}  # type: ignore[union-attr]


async def test_a_later_proposal_supersedes_the_earlier_and_both_stay(db: Database) -> None:
    registry = Registry(db)

    async def propose(source: str, delegation: str = "AG") -> int:
        p = await registry.add_proposal(
            delegation=delegation,
            base_file_name="Matriz.docx",
            base_version=1,
            file_name=f"{delegation}_Matriz.docx",
            sha256="b" * 64,
            size=5,
            submitted_by="@ag.fp:example.org",
            source_event_id=source,
            changes=3,
            paragraphs=[1, 4],
        )
        return p.id

    first = await propose("$a")
    assert await propose("$a") == first
    second = await propose("$b")
    other = await propose("$c", "BR")
    everything = await registry.proposals(base_file_name="Matriz.docx")
    assert [p.id for p in everything] == [first, second, other]
    assert everything[0].superseded_by == second
    assert [p.id for p in await registry.latest_proposals("Matriz.docx")] == [second, other]


async def test_statuses(db: Database) -> None:
    registry = Registry(db)
    agreed, approved = ParagraphStatus.AGREED_AD_REFERENDUM, ParagraphStatus.APPROVED
    await registry.set_status("Matriz.docx", [3, 4], agreed, "@chair:x")
    await registry.set_status("Matriz.docx", [4], approved, "@chair:x", meeting="2026-12-12")
    assert await registry.statuses("Matriz.docx") == {3: agreed, 4: approved}
    async with db.engine.connect() as connection:  # the values as ever: no migration
        stored = await connection.exec_driver_sql(
            "select paragraph, status from paragraph_statuses order by paragraph"
        )
        assert stored.all() == [(3, "agreed ad referendum"), (4, "approved")]


async def test_a_suggestion_is_decided_once(db: Database) -> None:
    registry = Registry(db)
    suggested = await registry.suggest(
        delegation="AG",
        file_name="Study.docx",
        sha256="c" * 64,
        size=3,
        mimetype="application/pdf",
        suggested_by="@ag.fp:example.org",
        source_event_id="$s",
    )
    assert suggested.status is SuggestionStatus.PENDING
    accepted = await registry.decide(suggested.id, SuggestionStatus.ACCEPTED, "@chair:x", None)
    assert accepted is not None and accepted.status is SuggestionStatus.ACCEPTED
    assert await registry.decide(suggested.id, SuggestionStatus.DECLINED, "@chair:x", "no") is None
    assert (await registry.suggestion(suggested.id)).status == "accepted"  # type: ignore[union-attr]


async def test_the_last_draft_of_a_document_is_kept(db: Database) -> None:
    registry = Registry(db)
    assert await registry.draft("Matriz.docx") is None
    draft = Draft(1, "d" * 64, "e" * 64, "Matriz_rev1.docx", "@chair:x")
    await registry.save_draft("Matriz.docx", draft)
    assert await registry.draft("Matriz.docx") == draft


def test_the_file_store_is_content_addressed(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    digest = store.put(b"proposal bytes")
    assert store.put(b"proposal bytes") == digest
    assert store.get(digest) == b"proposal bytes"
    assert oct(store.directory.stat().st_mode & 0o777) == "0o700"


async def test_statuses_set_before_rounds_become_the_first_of_each_paragraphs_history(
    tmp_path: Path,
) -> None:
    """Migration 0009 on a database that already holds statuses (written at 0008)."""
    from alembic import command
    from sqlalchemy import text

    from bot.storage.database import _alembic_config

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), "0008"))
        await conn.execute(
            text(
                "INSERT INTO paragraph_statuses VALUES "
                "('Matriz.docx', 3, 'agreed ad referendum', NULL, '@chair:x', '2026-11-01')"
            )
        )
    await database.migrate()
    async with database.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT base_file_name, paragraph, status, set_by FROM paragraph_status_history"
                )
            )
        ).all()
    await database.close()
    assert [tuple(r) for r in rows] == [("Matriz.docx", 3, "agreed ad referendum", "@chair:x")]

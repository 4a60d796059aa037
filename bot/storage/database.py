"""The database: engine, migrations at start, and the repository the shell uses.

SQLite (aiosqlite) by default, PostgreSQL (asyncpg) in production; Alembic applies the
migrations on the application's own async connection (Alembic's "connection sharing" recipe).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import delete, event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.storage.models import (
    AuditEntry,
    GovernedRoom,
    HandledEvent,
    KeyValue,
    PendingEncryptedEvent,
    PersonLanguage,
    PinnedIdentity,
    RosterVersion,
)
from room_policies.trust import Identity

MIGRATIONS = Path(__file__).parent / "migrations"

SYNC_TOKEN = "sync_token"
FIRST_START = "first_start_ms"
SYNC_TOKEN_MS = "sync_token_saved_ms"
KV_WARDEN_SYNC_TOKEN = "warden_sync_token"
# The warden's sealed master key, as the platform uploaded it (its private key is gone).
KV_WARDEN_MASTER_KEY = "warden_master_key"


def _alembic_config(connection: Connection) -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "head")


@dataclass(frozen=True)
class PendingEvent:
    event_id: str
    room_id: str
    session_id: str
    source: str


class Database:
    """Repository over the platform's tables; every method is one short transaction."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._session = async_sessionmaker(self.engine, expire_on_commit=False)

    async def migrate(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def get(self, key: str) -> str | None:
        async with self._session() as s:
            row = await s.get(KeyValue, key)
            return None if row is None else row.value

    async def put(self, key: str, value: str) -> None:
        await self.put_many({key: value})

    async def put_many(self, values: dict[str, str]) -> None:
        async with self._session.begin() as s:
            for key, value in values.items():
                await s.merge(KeyValue(key=key, value=value))

    async def is_handled(self, event_id: str) -> bool:
        async with self._session() as s:
            return await s.get(HandledEvent, event_id) is not None

    async def handled_among(self, event_ids: Iterable[str]) -> set[str]:
        ids = list(event_ids)
        if not ids:
            return set()
        async with self._session() as s:
            rows = await s.scalars(
                select(HandledEvent.event_id).where(HandledEvent.event_id.in_(ids))
            )
            return set(rows)

    async def mark_handled(self, event_id: str, room_id: str, outcome: str) -> None:
        async with self._session.begin() as s:
            if await s.get(HandledEvent, event_id) is None:
                s.add(
                    HandledEvent(
                        event_id=event_id,
                        room_id=room_id,
                        outcome=outcome,
                        handled_at=datetime.now(UTC),
                    )
                )

    async def add_pending(self, event: PendingEvent) -> None:
        async with self._session.begin() as s:
            if await s.get(PendingEncryptedEvent, event.event_id) is None:
                s.add(
                    PendingEncryptedEvent(
                        event_id=event.event_id,
                        room_id=event.room_id,
                        session_id=event.session_id,
                        source=event.source,
                        received_at=datetime.now(UTC),
                        attempts=0,
                    )
                )

    async def pending(self) -> list[PendingEvent]:
        async with self._session() as s:
            rows = await s.scalars(
                select(PendingEncryptedEvent).order_by(PendingEncryptedEvent.received_at)
            )
            return [PendingEvent(r.event_id, r.room_id, r.session_id, r.source) for r in rows]

    async def drop_pending(self, event_id: str) -> None:
        async with self._session.begin() as s:
            await s.execute(
                delete(PendingEncryptedEvent).where(PendingEncryptedEvent.event_id == event_id)
            )


@dataclass(frozen=True)
class StoredRoster:
    version: int
    document: str
    source: str
    created_at: datetime


class RosterRepository:
    """The roster's history in the database: each accepted roster is a new version."""

    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def current(self) -> StoredRoster | None:
        async with self._session() as s:
            row = await s.scalar(
                select(RosterVersion).order_by(RosterVersion.version.desc()).limit(1)
            )
            if row is None:
                return None
            return StoredRoster(row.version, row.document, row.source, row.created_at)

    async def history(self) -> list[StoredRoster]:
        """Every stored version, oldest first."""
        async with self._session() as s:
            rows = (await s.scalars(select(RosterVersion).order_by(RosterVersion.version))).all()
            return [StoredRoster(r.version, r.document, r.source, r.created_at) for r in rows]

    async def save(self, document: str, source: str) -> int:
        async with self._session.begin() as s:
            row = RosterVersion(document=document, source=source, created_at=datetime.now(UTC))
            s.add(row)
            await s.flush()
            return row.version


@dataclass(frozen=True)
class RoomRecord:
    ref: str
    room_id: str
    governor: str


class RoomRepository:
    """The governed rooms' ids by meaning (the markers in Matrix are the truth)."""

    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def all(self) -> dict[str, RoomRecord]:
        async with self._session() as s:
            rows = (await s.scalars(select(GovernedRoom))).all()
            return {r.ref: RoomRecord(r.ref, r.room_id, r.governor) for r in rows}

    async def record(self, ref: str, room_id: str, governor: str) -> None:
        async with self._session.begin() as s:
            await s.execute(
                delete(GovernedRoom).where(
                    (GovernedRoom.ref == ref) | (GovernedRoom.room_id == room_id)
                )
            )
            s.add(GovernedRoom(ref=ref, room_id=room_id, governor=governor, recorded_at=_now()))


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log (SPEC §6: who, what, where, decision, reason)."""

    actor: str
    action: str
    room: str
    target: str
    decision: str
    rule: str
    reason: str
    at: datetime | None = None
    id: int | None = None


class AuditLog:
    """The append-only audit log: commands and enforcement actions, never message content."""

    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def append(self, record: AuditRecord) -> None:
        async with self._session.begin() as s:
            s.add(
                AuditEntry(
                    at=record.at or _now(),
                    actor=record.actor,
                    action=record.action,
                    room=record.room,
                    target=record.target,
                    decision=record.decision,
                    rule=record.rule,
                    reason=record.reason,
                )
            )

    async def latest(self, count: int) -> list[AuditRecord]:
        """The newest `count` entries, newest first."""
        async with self._session() as s:
            rows = (
                await s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(count))
            ).all()
            return [
                AuditRecord(
                    r.actor, r.action, r.room, r.target, r.decision, r.rule, r.reason, r.at, r.id
                )
                for r in rows
            ]


@dataclass(frozen=True)
class PinnedRecord:
    """The identity pinned for a person, and a different one seen since (until re-trusted)."""

    user_id: str
    pinned: Identity
    pinned_at: datetime
    pinned_by: str
    changed: Identity | None = None
    changed_at: datetime | None = None


class IdentityRepository:
    """Identities pinned at first sight (room_policies.trust T4) and their changes (T5)."""

    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def get(self, user_id: str) -> PinnedRecord | None:
        async with self._session() as s:
            row = await s.get(PinnedIdentity, user_id)
            return _pinned(row) if row is not None else None

    async def all(self) -> list[PinnedRecord]:
        async with self._session() as s:
            rows = (await s.scalars(select(PinnedIdentity))).all()
            return [_pinned(r) for r in rows]

    async def pin(self, user_id: str, identity: Identity, by: str) -> None:
        """Pin `identity` (first sight, or a Chair's re-trust); forgets a recorded change."""
        async with self._session.begin() as s:
            row = await s.get(PinnedIdentity, user_id)
            if row is None:
                row = PinnedIdentity(user_id=user_id)
                s.add(row)
            row.master_key = identity.master
            row.self_signing_key = identity.self_signing
            row.pinned_at = _now()
            row.pinned_by = by
            row.changed_master_key = None
            row.changed_self_signing_key = None
            row.changed_at = None

    async def record_change(self, user_id: str, current: Identity | None) -> bool:
        """Note that the keys now show `current` (None: no identity at all) instead of the pinned
        one. True when this is news (not the change already recorded)."""
        master = current.master if current else ""
        async with self._session.begin() as s:
            row = await s.get(PinnedIdentity, user_id)
            if row is None or (row.changed_at is not None and row.changed_master_key == master):
                return False
            row.changed_master_key = master
            row.changed_self_signing_key = current.self_signing if current else ""
            row.changed_at = _now()
            return True


def _pinned(row: PinnedIdentity) -> PinnedRecord:
    changed = None
    if row.changed_at is not None:
        changed = Identity(row.changed_master_key or "", row.changed_self_signing_key or "")
    return PinnedRecord(
        row.user_id,
        Identity(row.master_key, row.self_signing_key),
        row.pinned_at,
        row.pinned_by,
        changed,
        row.changed_at,
    )


class LanguageRepository:
    """The language each person chose with `!lang`."""

    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def all(self) -> dict[str, str]:
        async with self._session() as s:
            rows = (await s.scalars(select(PersonLanguage))).all()
            return {row.user_id: row.language for row in rows}

    async def choose(self, user_id: str, language: str) -> None:
        async with self._session.begin() as s:
            row = await s.get(PersonLanguage, user_id)
            if row is None:
                row = PersonLanguage(user_id=user_id)
                s.add(row)
            row.language = language
            row.chosen_at = _now()


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets /healthz read while the bot writes; NORMAL sync is durable with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()

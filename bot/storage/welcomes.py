"""Who was welcomed: one row a person, written once the welcome was sent (`welcomes`, 0008).

The row holds who, as what, where and when; the guide itself is only in the encrypted room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Welcome


@dataclass(frozen=True)
class WelcomeRecord:
    user_id: str
    role: str
    room_id: str
    welcomed_at: datetime


class WelcomeRepository:
    def __init__(self, db: Database) -> None:
        self._session = db._session

    async def get(self, user_id: str) -> WelcomeRecord | None:
        async with self._session() as s:
            row = await s.get(Welcome, user_id)
            if row is None:
                return None
            return WelcomeRecord(row.user_id, row.role, row.room_id, row.welcomed_at)

    async def record(self, user_id: str, role: str, room_id: str) -> bool:
        """Record the welcome of `user_id`; False if they were already recorded (kept as is)."""
        async with self._session.begin() as s:
            if await s.get(Welcome, user_id) is not None:
                return False
            s.add(Welcome(user_id=user_id, role=role, room_id=room_id, welcomed_at=_now()))
            return True

    async def all(self) -> list[WelcomeRecord]:
        async with self._session() as s:
            rows = (await s.scalars(select(Welcome).order_by(Welcome.welcomed_at))).all()
            return [WelcomeRecord(r.user_id, r.role, r.room_id, r.welcomed_at) for r in rows]


def _now() -> datetime:
    return datetime.now(UTC)

"""Who reads the platform in which language: the one a person chose with `!lang`, kept in the
database, else the working group's (`language:` in the configuration)."""

from __future__ import annotations

import asyncio

from bot.storage.database import LanguageRepository


class Languages:
    def __init__(self, repository: LanguageRepository, default: str) -> None:
        self._repository = repository
        self.default = default
        self._chosen: dict[str, str] | None = None
        self._lock = asyncio.Lock()

    async def of(self, user_id: str) -> str:
        """The language `user_id` reads the platform in."""
        async with self._lock:
            if self._chosen is None:
                self._chosen = await self._repository.all()
        return self._chosen.get(user_id, self.default)

    async def set_language(self, user_id: str, language: str) -> None:
        await self._repository.choose(user_id, language)
        async with self._lock:
            if self._chosen is not None:
                self._chosen[user_id] = language

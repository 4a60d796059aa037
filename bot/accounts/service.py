"""Accounts on the organisation's own homeserver: created, named and reset by the platform.

Only `plenaria accounts …` (and `plenaria demo`) use this package; the running bot (`plenaria
run`) never imports it, so it never reads the registration shared secret, and no admin password
exists for it to hold.

The flow of `plenaria accounts create`: the wanted accounts come from the settings and the roster
(bot/accounts/plan.py, pure); `AccountService.survey` looks each one up on the homeserver and
makes a `Plan`; `create_accounts` writes the new people's generated passwords to a
`PasswordFile` (bot/accounts/passwords.py) and then has `AccountService.apply` create and rename
through the homeserver's registration and admin APIs (bot/accounts/homeserver.py).

Passwords and tokens never reach a log line: generated passwords go to the caller or to a
`PasswordFile` (mode 0600), deleted by `plenaria accounts handed-over` once people have them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

from bot.accounts.errors import AccountError
from bot.accounts.homeserver import HomeserverAdmin
from bot.accounts.passwords import PasswordFile, generate_password
from bot.accounts.plan import Plan, plan_accounts
from bot.runtime.settings import Settings

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Parallel requests: Synapse hashes each new password (bcrypt) in a thread pool.
_CONCURRENCY = 8


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class AccountService:
    """Surveys the homeserver into a `Plan` and applies it; use as `async with`."""

    def __init__(self, admin: HomeserverAdmin) -> None:
        self.admin = admin
        self._limit = asyncio.Semaphore(_CONCURRENCY)
        # Accounts made by this service so far, also when `apply` fails half-way.
        self.created: list[str] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountService:
        return cls(HomeserverAdmin.from_settings(settings))

    async def __aenter__(self) -> AccountService:
        await self.admin.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.admin.close()

    async def survey(
        self, wanted: Mapping[str, str], former: Mapping[str, str] | None = None
    ) -> Plan:
        """What `apply` would do to give every wanted (and former) account its name."""
        users = list(dict.fromkeys([*wanted, *(former or {})]))
        found = await self._at_most_concurrently(partial(self.admin.lookup, user) for user in users)
        return plan_accounts(wanted, dict(zip(users, found, strict=True)), former)

    async def apply(self, plan: Plan, passwords: Mapping[str, str]) -> Outcome:
        """Create and rename as planned; `passwords` holds one for each account to create."""
        outcome = Outcome(unchanged=list(plan.unchanged))

        async def create(user: str, name: str) -> None:
            localpart = user.removeprefix("@").partition(":")[0]
            registered = await self.admin.register(localpart, passwords[user], name)
            if not registered.created:
                raise AccountError(f"{user} was created by someone else meanwhile; run again")
            self.created.append(user)
            outcome.created.append(user)
            log.info("created %s", user)

        async def rename(user: str, name: str) -> None:
            await self.admin.set_display_name(user, name)
            outcome.renamed.append(user)
            log.info("display name of %s set from the roster", user)

        await self._at_most_concurrently(
            [
                *(partial(create, user, name) for user, name in plan.create.items()),
                *(partial(rename, user, name) for user, name in plan.rename.items()),
            ]
        )
        return outcome

    async def _at_most_concurrently(self, calls: Iterable[Callable[[], Awaitable[_T]]]) -> list[_T]:
        """Run the calls at most `_CONCURRENCY` at a time; the first failure stops the rest."""

        async def limited(call: Callable[[], Awaitable[_T]]) -> _T:
            async with self._limit:
                return await call()

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(limited(call)) for call in calls]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]


# -- `plenaria accounts create` ------------------------------------------------------------------


class PlanRunner(Protocol):
    """What `create_accounts` needs of `AccountService` (tests pass a fake)."""

    created: list[str]

    async def survey(
        self, wanted: Mapping[str, str], former: Mapping[str, str] | None = None
    ) -> Plan: ...

    async def apply(self, plan: Plan, passwords: Mapping[str, str]) -> Outcome: ...


async def create_accounts(
    service: PlanRunner,
    wanted: Mapping[str, str],
    *,
    former: Mapping[str, str] | None = None,
    platform_passwords: Mapping[str, str],
    new_platform_files: Mapping[str, Path],
    passwords_file: PasswordFile,
) -> tuple[Outcome, int]:
    """Create and rename the wanted accounts; (what was done, passwords written to the file).

    People's accounts get generated passwords, written to `passwords_file` before the accounts
    exist (so none is ever made with a password that is nowhere) and taken out again for any
    account that was not made after all. `former` people (off the roster) are renamed, never
    created. The platform's accounts use `platform_passwords`, from their own password files;
    `new_platform_files` are those files just generated, which only fit an account made now. A
    refused run changes nothing on the homeserver.
    """
    before = passwords_file.read()
    plan = await service.survey(wanted, former)
    reasons = [
        f"{user} is deactivated on the homeserver; take them off the roster first"
        for user in plan.deactivated
    ]
    reasons += [
        f"{user} exists, but its password file {path} did not: put the account's password "
        "there (no file was written)"
        for user, path in new_platform_files.items()
        if user not in plan.create
    ]
    if reasons:
        raise AccountError(reasons)
    generated = {
        user: generate_password() for user in plan.create if user not in platform_passwords
    }
    if generated:
        passwords_file.write(before | generated)
    try:
        outcome = await service.apply(plan, generated | dict(platform_passwords))
    finally:
        if generated:
            made = {user: generated[user] for user in service.created if user in generated}
            if len(made) < len(generated):
                passwords_file.write(before | made)
    return outcome, len(generated)

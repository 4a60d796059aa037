"""`!reconcile [--dry-run]`: make every room as the roster wants it, or list what that takes."""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = "bring every room in line with the roster (--dry-run: only list the changes)"


class Args(BaseArgs):
    dry_run: bool = Field(default=False, description="list what would change; change nothing")


class Deps(Protocol):
    async def reconcile(self, dry_run: bool) -> list[str]: ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    changes = await deps.reconcile(args.dry_run)
    if not changes:
        return Reply.plain("Every room is as the roster wants it; nothing to change.")
    title = (
        f"{len(changes)} change(s) would be made:"
        if args.dry_run
        else f"{len(changes)} change(s) made:"
    )
    return Reply.titled(title, changes)

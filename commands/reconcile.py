"""`!reconcile [--dry-run]`: make every room as the roster wants it, or list what that takes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import Field

from commands.corrections import describe_correction
from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation
from room_policies.room_plan import Correction
from room_policies.roster import Roster

SUMMARY = N_("bring every room in line with the roster (--dry-run: only list the changes)")


class Args(BaseArgs):
    dry_run: bool = Field(default=False, description=N_("list what would change; change nothing"))


@dataclass(frozen=True)
class Reconciled:
    """What a reconcile pass made (or, dry, would make) in the rooms of `roster`."""

    roster: Roster | None  # None: no roster yet, so no rooms to reconcile
    corrections: Sequence[Correction] = ()


class Deps(Protocol):
    async def reconcile(self, dry_run: bool) -> Reconciled: ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    reconciled = await deps.reconcile(args.dry_run)
    roster = reconciled.roster
    changes = [describe_correction(c, roster, _) for c in reconciled.corrections] if roster else []
    if not changes:
        return Reply.plain(_("Every room is as the roster wants it; nothing to change."))
    title = _("{count} change(s) would be made:") if args.dry_run else _("{count} change(s) made:")
    return Reply.titled(title.format(count=len(changes)), changes)

"""`!audit [N]`: the latest entries of the audit log (commands and enforcement actions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pydantic import Field

from commands.dates import when
from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = N_("show the latest entries of the audit log")


class Args(BaseArgs):
    positional = ("count",)
    count: int = Field(default=20, ge=1, le=200, description=N_("how many entries (1 to 200)"))


class Entry(Protocol):
    @property
    def at(self) -> datetime | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def room(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def decision(self) -> str: ...
    @property
    def rule(self) -> str: ...


class Deps(Protocol):
    async def audit_latest(self, count: int) -> Sequence[Entry]: ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    entries = await deps.audit_latest(args.count)
    if not entries:
        return Reply.plain(_("The audit log is empty."))
    lines = []
    for e in entries:
        # The entry's own words (action, target, room, decision, rule) are the log's data, as
        # recorded; only the sentence around them is the reader's.
        at = when(e.at, invocation.language, invocation.timezone) if e.at else "?"
        target = f" {e.target}" if e.target else ""
        rule = f" [{e.rule}]" if e.rule else ""
        line = (
            _("{when} {actor}: {action}{target} in {room} → {decision}{rule}")
            if e.room
            else _("{when} {actor}: {action}{target} → {decision}{rule}")
        )
        lines.append(
            line.format(
                when=at,
                actor=e.actor,
                action=e.action,
                target=target,
                room=e.room,
                decision=e.decision,
                rule=rule,
            )
        )
    return Reply.titled(
        _("The latest {count} audit entries, newest first:").format(count=len(entries)), lines
    )

"""`!check` (a focal point's desk, on a file): the proposal checks, without submitting."""

from __future__ import annotations

from typing import Protocol

from commands.reply import Reply
from commands.table import Invocation, NoArgs

SUMMARY = "check a proposal file (caption or reply) without submitting it"


class Args(NoArgs):
    pass


class Deps(Protocol):
    async def check(self, invocation: Invocation) -> tuple[bool, list[str]]: ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    accepted, lines = await deps.check(invocation)
    if not accepted:
        return Reply.plain("Would be refused: " + " ".join(lines))
    return Reply.titled("Would be accepted (nothing was submitted):", lines)

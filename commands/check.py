"""`!check` (a focal point's desk, on a file): the proposal checks, without submitting."""

from __future__ import annotations

from typing import Protocol

from commands.documents_deps import ProposalChecked
from commands.i18n import N_
from commands.reply import Reply
from commands.table import Invocation, NoArgs, Refusal

SUMMARY = N_("check a proposal file (caption or reply) without submitting it")


class Args(NoArgs):
    pass


class Deps(Protocol):
    async def check(self, invocation: Invocation) -> ProposalChecked:
        """The checks of a proposal upload, filing nothing; a `Refusal` if it would be refused."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    try:
        checked = await deps.check(invocation)
    except Refusal as refusal:
        return Reply.plain(f"Would be refused: {refusal.reason}")
    return Reply.titled(
        "Would be accepted (nothing was submitted):",
        [
            *checked.result.lines(),
            f"base: {checked.base_file_name} version {checked.base_version}",
        ],
    )

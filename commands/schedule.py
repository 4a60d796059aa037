"""`!schedule` (anyone on the roster, wherever they talk to the bot): the rounds open and
coming, and their formal meetings (issue #12), in the reader's language and the working group's
time zone."""

from __future__ import annotations

from typing import Protocol

from commands.i18n import N_, translator
from commands.reply import Reply
from commands.round_words import describe
from commands.rounds_deps import RoundInfo
from commands.table import Invocation, NoArgs

SUMMARY = N_("the rounds of proposals open and coming, and their meetings")

Args = NoArgs


class Deps(Protocol):
    async def schedule(self) -> list[RoundInfo]:
        """The rounds open, closing or coming, earliest close first."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    rounds = await deps.schedule()
    if not rounds:
        return Reply.plain(_("No round is open or scheduled."))
    return Reply.titled(_("The schedule:"), [describe(r, _, invocation.timezone) for r in rounds])

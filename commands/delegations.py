"""`!delegations`: the working group's delegations, their focal points and experts."""

from __future__ import annotations

from commands.i18n import N_
from commands.reply import Reply
from commands.roster_deps import RosterDeps
from commands.table import Invocation, NoArgs

SUMMARY = N_("list the delegations, their focal points and their experts")


class Args(NoArgs):
    pass


Deps = RosterDeps


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    roster = await deps.current_roster()
    if not roster.delegations:
        return Reply.plain("The roster has no delegation yet. Add one with !delegation add.")
    lines = [
        f"{d.code} {d.name}: focal point {d.focal_point}; "
        + (f"{len(d.experts)} expert(s): {', '.join(d.experts)}" if d.experts else "no experts")
        for d in roster.delegations
    ]
    return Reply.titled(
        f"{len(roster.delegations)} delegation(s) of {roster.working_group}:", lines
    )

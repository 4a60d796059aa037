"""`!delegations`: the working group's delegations, their focal points and experts."""

from __future__ import annotations

from commands.i18n import N_, translator
from commands.reply import Reply
from commands.roster_deps import RosterDeps
from commands.table import Invocation, NoArgs

SUMMARY = N_("list the delegations, their focal points and their experts")


class Args(NoArgs):
    pass


Deps = RosterDeps


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    roster = await deps.current_roster()
    if not roster.delegations:
        return Reply.plain(_("The roster has no delegation yet. Add one with !delegation add."))
    lines = [
        _("{code} {name}: focal point {focal_point}; {count} expert(s): {experts}").format(
            code=d.code,
            name=d.name,
            focal_point=d.focal_point,
            count=len(d.experts),
            experts=", ".join(d.experts),
        )
        if d.experts
        else _("{code} {name}: focal point {focal_point}; no experts").format(
            code=d.code, name=d.name, focal_point=d.focal_point
        )
        for d in roster.delegations
    ]
    return Reply.titled(
        _("{count} delegation(s) of {working_group}:").format(
            count=len(roster.delegations), working_group=roster.working_group
        ),
        lines,
    )

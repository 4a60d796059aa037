"""`!experts`, `!experts add @user`, `!experts remove @user`, in a focal point's desk.

The focal point decides who the delegation's experts are; an expert added enters the experts
room (and nothing else), an expert removed leaves it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from commands.i18n import N_
from commands.reply import Reply
from commands.roster_deps import RosterDeps, RosterError, changed_lines
from commands.table import Args as BaseArgs
from commands.table import Invocation
from room_policies.roles import UserId

SUMMARY = N_("list your delegation's experts, or add or remove one")


class Args(BaseArgs):
    positional = ("action", "user")
    action: Literal["add", "remove"] | None = Field(default=None, description=N_("add or remove"))
    user: str | None = Field(default=None, description=N_("the expert's user id"))


Deps = RosterDeps


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    roster = await deps.current_roster()
    delegation = roster.delegation(invocation.delegation or "")
    if delegation is None or delegation.focal_point != invocation.sender:
        return Reply.plain("Refused: only the delegation's focal point manages its experts.")
    if args.action is None:
        if args.user is not None:
            return Reply.plain("Usage: !experts [add|remove @user:server]")
        if not delegation.experts:
            return Reply.plain(f"{delegation.name} has no experts yet. Add one: !experts add @user")
        return Reply.titled(f"The experts of {delegation.name}:", list(delegation.experts))
    if args.user is None:
        return Reply.plain(f"Usage: !experts {args.action} @user:server")
    user = UserId(args.user)
    if args.action == "add":
        if user in delegation.experts:
            return Reply.plain(f"{user} is already an expert of {delegation.name}.")
        new = roster.with_expert(delegation.code, user)
    else:
        if user not in delegation.experts:
            return Reply.plain(f"Refused: {user} is not an expert of {delegation.name}.")
        new = roster.without_expert(delegation.code, user)
    try:
        changed = await deps.change_roster(
            new, invocation.sender, f"experts {args.action} ({delegation.code})"
        )
    except RosterError as exc:
        return Reply.titled("Refused:", list(exc.reasons))
    verb = "added to" if args.action == "add" else "removed from"
    return Reply.titled(f"{user} {verb} the experts of {delegation.name}.", changed_lines(changed))


def removed_by_hand(expert: str, version: int) -> Reply:
    """For the desk, when the focal point removed an expert from the experts room by hand: the
    roster followed, as `!experts remove` would have."""
    return Reply.plain(
        f"You removed {expert} from the experts room, so they are no longer an expert of your "
        f"delegation (roster version {version}). To bring them back: !experts add {expert}"
    )

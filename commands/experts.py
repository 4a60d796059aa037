"""`!experts`, `!experts add @user`, `!experts remove @user`, in a focal point's desk.

The focal point decides who the delegation's experts are; an expert added enters the experts
room (and nothing else), an expert removed leaves it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from commands.i18n import N_, Translate, translator
from commands.reply import Reply
from commands.roster_deps import RosterDeps, RosterError, changed_lines, refusal_lines
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
    _ = translator(invocation.language)
    roster = await deps.current_roster()
    delegation = roster.delegation(invocation.delegation or "")
    if delegation is None or delegation.focal_point != invocation.sender:
        return Reply.plain(_("Refused: only the delegation's focal point manages its experts."))
    if args.action is None:
        if args.user is not None:
            return Reply.plain(_("Usage: !experts [add|remove @user:server]"))
        if not delegation.experts:
            return Reply.plain(
                _("{delegation} has no experts yet. Add one: !experts add @user").format(
                    delegation=delegation.name
                )
            )
        return Reply.titled(
            _("The experts of {delegation}:").format(delegation=delegation.name),
            list(delegation.experts),
        )
    if args.user is None:
        return Reply.plain(_("Usage: !experts {action} @user:server").format(action=args.action))
    user = UserId(args.user)
    if args.action == "add":
        if user in delegation.experts:
            return Reply.plain(
                _("{user} is already an expert of {delegation}.").format(
                    user=user, delegation=delegation.name
                )
            )
        new = roster.with_expert(delegation.code, user)
    else:
        if user not in delegation.experts:
            return Reply.plain(
                _("Refused: {user} is not an expert of {delegation}.").format(
                    user=user, delegation=delegation.name
                )
            )
        new = roster.without_expert(delegation.code, user)
    try:
        changed = await deps.change_roster(
            new, invocation.sender, f"experts {args.action} ({delegation.code})"
        )
    except RosterError as exc:
        return Reply.titled(_("Refused:"), refusal_lines(exc, _))
    done = (
        _("{user} added to the experts of {delegation}.")
        if args.action == "add"
        else _("{user} removed from the experts of {delegation}.")
    )
    return Reply.titled(
        done.format(user=user, delegation=delegation.name), changed_lines(changed, _)
    )


def removed_by_hand(expert: str, version: int, _: Translate = str) -> Reply:
    """For the desk, when the focal point removed an expert from the experts room by hand: the
    roster followed, as `!experts remove` would have. `_` is the focal point's language."""
    return Reply.plain(
        _(
            "You removed {expert} from the experts room, so they are no longer an expert of your "
            "delegation (roster version {version}). To bring them back: !experts add {expert}"
        ).format(expert=expert, version=version)
    )

"""`!focal-point CODE @user`: the delegation's focal point hands over to someone else.

In one reconcile the old focal point leaves the plenary, the folders, the space, the desk and
the experts room, and the new one enters them.
"""

from __future__ import annotations

from pydantic import Field

from commands.i18n import N_, translator
from commands.reply import Reply
from commands.roster_deps import RosterDeps, RosterError, changed_lines, refusal_lines
from commands.table import Args as BaseArgs
from commands.table import Invocation
from room_policies.roles import UserId

SUMMARY = N_("hand a delegation over to a new focal point")


class Args(BaseArgs):
    positional = ("code", "user")
    code: str = Field(description=N_("the delegation's ISO 3166 code, e.g. AG"))
    user: str = Field(description=N_("the new focal point's user id, e.g. @ag.fp2:example.org"))


Deps = RosterDeps


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    roster = await deps.current_roster()
    code = args.code.upper()
    delegation = roster.delegation(code)
    if delegation is None:
        return Reply.plain(
            _("Refused: there is no delegation {code} on the roster.").format(code=code)
        )
    if delegation.focal_point == args.user:
        return Reply.plain(
            _("{user} is already the focal point of {delegation}.").format(
                user=args.user, delegation=delegation.name
            )
        )
    try:
        changed = await deps.change_roster(
            roster.with_focal_point(code, UserId(args.user)),
            invocation.sender,
            f"focal-point {code}",
        )
    except RosterError as exc:
        return Reply.titled(_("Refused:"), refusal_lines(exc, _))
    return Reply.titled(
        _(
            "{delegation}: {user} is the focal point now, in place of {previous} "
            "(roster version {version})."
        ).format(
            delegation=delegation.name,
            user=args.user,
            previous=delegation.focal_point,
            version=changed.version,
        ),
        changed_lines(changed, _),
    )

"""`!delegation add CODE @focal-point [--name NAME]` and `!delegation remove CODE`.

Adding a delegation gives its focal point a seat in the plenary, the space and the folders, a
desk and an (empty) experts room; removing one takes its people out of every room (its rooms
are emptied, never deleted: their history stays on record).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError

from commands.i18n import N_, translator
from commands.reply import Reply
from commands.roster_deps import RosterDeps, RosterError, changed_lines, refusal_lines
from commands.table import Args as BaseArgs
from commands.table import Invocation
from room_policies.roles import UserId
from room_policies.roster import Delegation

SUMMARY = N_("add a delegation with its focal point, or remove one")


class Args(BaseArgs):
    positional = ("action", "code", "focal_point")
    action: Literal["add", "remove"] = Field(description=N_("add or remove"))
    code: str = Field(description=N_("the ISO 3166 code of the member state, e.g. AG"))
    focal_point: str | None = Field(
        default=None, description=N_("(add) the focal point's user id, e.g. @ag.fp:example.org")
    )
    name: str | None = Field(
        default=None, description=N_("(add) the delegation's name, if not ISO's")
    )


Deps = RosterDeps


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    roster = await deps.current_roster()
    code = args.code.upper()
    if args.action == "remove":
        gone = roster.delegation(code)
        if gone is None:
            return Reply.plain(
                _("Refused: there is no delegation {code} on the roster.").format(code=code)
            )
        if args.focal_point is not None or args.name is not None:
            return Reply.plain(_("Usage: !delegation remove CODE (nothing else)."))
        try:
            changed = await deps.change_roster(
                roster.without_delegation(code), invocation.sender, f"delegation remove {code}"
            )
        except RosterError as exc:
            return Reply.titled(_("Refused:"), refusal_lines(exc, _))
        return Reply.titled(
            _("Delegation {code} ({name}) removed (roster version {version}).").format(
                code=code, name=gone.name, version=changed.version
            ),
            changed_lines(changed, _),
        )
    if args.focal_point is None:
        return Reply.plain(_("Usage: !delegation add CODE @focal-point:server [--name NAME]"))
    if roster.delegation(code) is not None:
        return Reply.plain(
            _("Refused: {code} is already on the roster; see !delegations.").format(code=code)
        )
    try:
        fields = {"code": code, "focal_point": UserId(args.focal_point)}
        if args.name is not None:
            fields["name"] = args.name
        delegation = Delegation.model_validate(fields)
        changed = await deps.change_roster(
            roster.with_delegation(delegation), invocation.sender, f"delegation add {code}"
        )
    except ValidationError as exc:
        return Reply.titled(
            _("Refused:"), [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()]
        )
    except RosterError as exc:
        return Reply.titled(_("Refused:"), refusal_lines(exc, _))
    return Reply.titled(
        _(
            "Delegation {code} ({name}) added with focal point {focal_point} "
            "(roster version {version})."
        ).format(
            code=delegation.code,
            name=delegation.name,
            focal_point=delegation.focal_point,
            version=changed.version,
        ),
        changed_lines(changed, _),
    )

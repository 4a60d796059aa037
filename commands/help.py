"""`!help [command]`: generated from the command table and the argument models."""

from __future__ import annotations

from pydantic import Field

from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Catalog, Invocation

SUMMARY = N_("list the commands you may use here, or explain one")


class Args(BaseArgs):
    positional = ("command",)
    command: str | None = Field(default=None, description=N_("a command to explain, e.g. ping"))


Deps = Catalog


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    table = deps
    _ = translator(invocation.language)
    if args.command is not None:
        name = args.command.lstrip("!").lower()
        command = table.get(name)
        refusal = command.refusal(invocation, _) if command is not None else None
        if refusal is not None:
            return Reply.plain(refusal)
        if command is None:
            guess = table.nearest(name)
            hint = _(" Did you mean !{command}?").format(command=guess) if guess else ""
            return Reply.plain(
                _("There is no command !{command}.{hint}").format(command=name, hint=hint)
            )
        return Reply.titled(
            f"!{command.name}: {_(command.summary)}",
            [
                _("usage: {usage}").format(usage=command.usage()),
                *command.argument_help(_),
            ],
        )
    return Reply.titled(
        _("Commands you can use here:"),
        [f"{c.usage()} — {_(c.summary)}" for c in table.allowed(invocation)],
    )

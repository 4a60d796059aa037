"""`!help [command]`: generated from the command table and the argument models."""

from __future__ import annotations

from pydantic import Field

from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Catalog, Invocation

SUMMARY = "list the commands you may use here, or explain one"


class Args(BaseArgs):
    positional = ("command",)
    command: str | None = Field(default=None, description="a command to explain, e.g. ping")


Deps = Catalog


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    table = deps
    if args.command is not None:
        name = args.command.lstrip("!").lower()
        command = table.get(name)
        refusal = command.refusal(invocation) if command is not None else None
        if refusal is not None:
            return Reply.plain(refusal)
        if command is None:
            guess = table.nearest(name)
            hint = f" Did you mean !{guess}?" if guess else ""
            return Reply.plain(f"There is no command !{name}.{hint}")
        return Reply.titled(
            f"!{command.name}: {command.summary}",
            [f"usage: {command.usage()}", *command.argument_help()],
        )
    return Reply.titled(
        "Commands you can use here:",
        [f"{c.usage()} — {c.summary}" for c in table.allowed(invocation)],
    )

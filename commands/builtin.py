"""The platform's command table: every command, listed once, by hand."""

from __future__ import annotations

from commands import help, ping
from commands.table import Command, CommandTable


def builtin_commands() -> list[Command]:
    return [
        Command("help", help.SUMMARY, help.Args, help.handle),
        Command("ping", ping.SUMMARY, ping.Args, ping.handle),
    ]


def default_table() -> CommandTable:
    return CommandTable(builtin_commands())

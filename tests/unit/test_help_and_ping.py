"""Unit tests for the built-in `!help` and `!ping` handlers, called directly with tiny fakes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from commands import help, ping
from commands.builtin import builtin_commands, default_table
from commands.reply import Reply
from commands.table import CommandTable, Invocation, UsageError
from tests.unit.services import services


@dataclass
class FakeDeps:
    commands: CommandTable


def _invocation(body: str = "!ping", *, sent_ms: int = 1_000, now_ms: int = 1_000) -> Invocation:
    return Invocation(
        sender="@fp:example.org",
        room_id="!room:example.org",
        event_id="$event",
        body=body,
        sent_ms=sent_ms,
        now_ms=now_ms,
    )


@pytest.fixture
def deps() -> FakeDeps:
    return FakeDeps(commands=default_table())


def test_builtin_table_holds_help_and_ping() -> None:
    assert [c.name for c in builtin_commands()][:2] == ["help", "ping"]
    assert [c.name for c in default_table()] == [c.name for c in builtin_commands()]


# --- !ping ----------------------------------------------------------------------------------


async def test_ping_reports_the_delay() -> None:
    reply = await ping.handle(object(), _invocation(sent_ms=1_000, now_ms=1_250), ping.Args())
    assert reply == Reply.plain("pong (250 ms)")


async def test_ping_with_no_delay() -> None:
    reply = await ping.handle(object(), _invocation(sent_ms=5, now_ms=5), ping.Args())
    assert reply.text == "pong (0 ms)"


async def test_ping_delay_is_never_negative() -> None:
    # The sender's clock may run ahead of ours.
    reply = await ping.handle(object(), _invocation(sent_ms=2_000, now_ms=1_000), ping.Args())
    assert reply.text == "pong (0 ms)"


async def test_ping_through_the_table(deps: FakeDeps) -> None:
    bound = deps.commands.bind("!ping")
    reply = await bound.run(services(deps.commands), _invocation(sent_ms=0, now_ms=42))
    assert reply.text == "pong (42 ms)"


# --- !help ----------------------------------------------------------------------------------


async def test_help_lists_every_command(deps: FakeDeps) -> None:
    reply = await help.handle(deps.commands, _invocation("!help"), help.Args())
    assert reply == Reply.titled(
        "Commands you can use here:",
        [f"!help [command] — {help.SUMMARY}", f"!ping — {ping.SUMMARY}"],
    )


async def test_help_explains_one_command(deps: FakeDeps) -> None:
    reply = await help.handle(deps.commands, _invocation("!help help"), help.Args(command="help"))
    assert reply == Reply.titled(
        f"!help: {help.SUMMARY}",
        ["usage: !help [command]", "command: a command to explain, e.g. ping"],
    )


async def test_help_explains_a_command_without_arguments(deps: FakeDeps) -> None:
    reply = await help.handle(deps.commands, _invocation("!help ping"), help.Args(command="ping"))
    assert reply == Reply.titled(f"!ping: {ping.SUMMARY}", ["usage: !ping"])


async def test_help_accepts_a_bang_and_any_case(deps: FakeDeps) -> None:
    reply = await help.handle(deps.commands, _invocation("!help !PING"), help.Args(command="!PING"))
    assert reply.text.startswith("!ping: ")


async def test_help_on_a_typo_suggests_the_nearest(deps: FakeDeps) -> None:
    reply = await help.handle(deps.commands, _invocation("!help pnig"), help.Args(command="pnig"))
    assert reply == Reply.plain("There is no command !pnig. Did you mean !ping?")


async def test_help_on_an_unknown_command(deps: FakeDeps) -> None:
    reply = await help.handle(deps.commands, _invocation("!help xyzzy"), help.Args(command="xyzzy"))
    assert reply == Reply.plain("There is no command !xyzzy.")


async def test_help_through_the_table(deps: FakeDeps) -> None:
    bound = deps.commands.bind("!help ping")
    assert bound.args == help.Args(command="ping")
    reply = await bound.run(services(deps.commands), _invocation("!help ping"))
    assert reply.text.startswith("!ping: ")


def test_help_binding_rejects_a_second_command(deps: FakeDeps) -> None:
    with pytest.raises(UsageError, match="does not take 'pong'"):
        deps.commands.bind("!help ping pong")

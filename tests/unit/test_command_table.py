"""Unit tests for commands/table.py: binding a message to a command's validated arguments."""

from __future__ import annotations

import pytest
from pydantic import Field

from commands.reply import Reply
from commands.table import Args, Bound, CommandTable, Invocation, NoArgs, UsageError, command


class PublishArgs(Args):
    positional = ("document", "folder")
    document: str = Field(description="the file name")
    folder: str | None = Field(default=None, description="where it goes")
    title: str | None = Field(default=None, description="shown in listings")
    revision: int = 1
    dry_run: bool = False


class LangArgs(Args):
    positional = ()
    language: str = Field(description="one of en, es, fr, pt")


async def _handler(deps: object, invocation: Invocation, args: Args) -> Reply:
    return Reply.plain("done")


def _itself(services: object) -> object:
    return services


PUBLISH = command("publish", "publish a document", PublishArgs, _handler, needs=_itself)
LANG = command("lang", "set your language", LangArgs, _handler, needs=_itself)
PING = command("ping", "check the platform", NoArgs, _handler, needs=_itself)


@pytest.fixture
def table() -> CommandTable:
    return CommandTable([PUBLISH, LANG, PING])


def _usage_error(table: CommandTable, body: str) -> Reply:
    with pytest.raises(UsageError) as caught:
        table.bind(body)
    reply = caught.value.reply
    assert str(caught.value) == reply.text
    return reply


# --- the table ----------------------------------------------------------------------------


def test_duplicate_command_names_raise() -> None:
    with pytest.raises(ValueError, match="'ping' registered twice"):
        CommandTable([PING, LANG, command("ping", "again", NoArgs, _handler, needs=_itself)])


def test_iteration_keeps_registration_order(table: CommandTable) -> None:
    assert [c.name for c in table] == ["publish", "lang", "ping"]


def test_membership_and_get(table: CommandTable) -> None:
    assert "ping" in table
    assert "pong" not in table
    assert table.get("lang") is LANG
    assert table.get("nope") is None


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("pnig", "ping"), ("pign", "ping"), ("publsh", "publish"), ("lnag", "lang")],
)
def test_nearest_finds_near_misses(table: CommandTable, typo: str, expected: str) -> None:
    assert table.nearest(typo) == expected


def test_nearest_gives_nothing_for_far_misses(table: CommandTable) -> None:
    assert table.nearest("xyzzy") is None


# --- usage and help text --------------------------------------------------------------------


def test_usage_lists_positionals_options_and_flags() -> None:
    assert PUBLISH.usage() == (
        "!publish <document> [folder] [--title <title>] [--revision <revision>] [--dry-run]"
    )


def test_usage_marks_required_options() -> None:
    assert LANG.usage() == "!lang --language <language>"


def test_usage_of_a_command_without_arguments() -> None:
    assert PING.usage() == "!ping"


def test_argument_help_uses_descriptions() -> None:
    assert PUBLISH.argument_help() == [
        "document: the file name",
        "folder: where it goes",
        "--title: shown in listings",
    ]


def test_args_models_are_frozen(table: CommandTable) -> None:
    args = table.bind("!publish a.docx").args
    assert isinstance(args, PublishArgs)
    with pytest.raises(ValueError, match="frozen"):
        args.document = "b.docx"


# --- binding ----------------------------------------------------------------------------------


def test_bind_fills_positionals_and_defaults(table: CommandTable) -> None:
    bound = table.bind("!publish plan.docx")
    assert isinstance(bound, Bound)
    assert bound.command is PUBLISH
    assert bound.args == PublishArgs(document="plan.docx")


def test_bind_converts_options_flags_and_quotes(table: CommandTable) -> None:
    bound = table.bind('!publish plan.docx plan --title "Draft Plan" --revision=3 --dry-run')
    assert bound.args == PublishArgs(
        document="plan.docx", folder="plan", title="Draft Plan", revision=3, dry_run=True
    )


def test_bind_accepts_a_positional_given_as_an_option(table: CommandTable) -> None:
    assert table.bind("!publish --document plan.docx").args == PublishArgs(document="plan.docx")


def test_bind_is_case_insensitive_on_the_name(table: CommandTable) -> None:
    assert table.bind("!PING").command is PING


def test_unknown_command_suggests_the_nearest(table: CommandTable) -> None:
    reply = _usage_error(table, "!pnig")
    assert reply.text == "Unknown command !pnig. Did you mean !ping? Send !help for the list."


def test_unknown_command_without_a_near_miss(table: CommandTable) -> None:
    reply = _usage_error(table, "!xyzzy")
    assert reply.text == "Unknown command !xyzzy. Send !help for the list."


def test_unknown_option(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish plan.docx --colour red")
    assert reply.text == f"!publish: unknown option --colour. Usage: {PUBLISH.usage()}"


def test_unknown_option_on_a_command_without_arguments(table: CommandTable) -> None:
    reply = _usage_error(table, "!ping --loud")
    assert reply.text == "!ping: unknown option --loud. Usage: !ping"


def test_too_many_positionals(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish a b c d")
    assert reply.text == f"!publish does not take 'c d'. Usage: {PUBLISH.usage()}"


def test_positional_on_a_command_without_arguments(table: CommandTable) -> None:
    reply = _usage_error(table, "!ping now")
    assert reply.text == "!ping does not take 'now'. Usage: !ping"


def test_missing_required_positional(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish --title x")
    assert reply.text == f"!publish: document is missing. Usage: {PUBLISH.usage()}"


def test_missing_required_option(table: CommandTable) -> None:
    reply = _usage_error(table, "!lang")
    assert reply.text == f"!lang: language is missing. Usage: {LANG.usage()}"


def test_positional_given_twice(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish a.docx --document b.docx")
    assert reply.text == f"document is given twice. Usage: {PUBLISH.usage()}"


def test_bad_option_value(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish a.docx --revision two")
    assert reply.text.startswith("!publish: --revision: a whole number is expected")
    assert reply.text.endswith(f"Usage: {PUBLISH.usage()}")


def test_option_without_value_for_a_text_field(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish a.docx --title")
    assert reply.text.startswith("!publish: --title: a text is expected")


def test_several_problems_are_all_reported(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish --colour red")
    assert "document is missing" in reply.text
    assert "unknown option --colour" in reply.text


def test_parse_errors_become_usage_replies(table: CommandTable) -> None:
    reply = _usage_error(table, '!publish --title "Draft')
    assert reply.text.startswith("I could not read that command: no closing quotation")


def test_duplicate_option_becomes_a_usage_reply(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish a --title x --title y")
    assert reply.text == "I could not read that command: --title is given twice."


def test_usage_replies_are_html_escaped(table: CommandTable) -> None:
    reply = _usage_error(table, "!publish a --title x --<b>")
    assert "<b>" not in reply.html
    assert "&lt;b&gt;" in reply.html


def test_bad_positional_value_is_named_as_positional(table: CommandTable) -> None:
    numbered = command("agree", "agree paragraphs", _NumberArgs, _handler, needs=_itself)
    reply = _usage_error(CommandTable([numbered]), "!agree five")
    assert reply.text.startswith("!agree: number: ")
    assert "--number" not in reply.text


class _NumberArgs(Args):
    positional = ("number",)
    number: int


def test_the_last_positional_may_take_the_rest_of_the_line() -> None:
    from commands.builtin import default_table

    bound = default_table().bind("!decline 2 not within the mandate")
    assert bound.args.model_dump() == {"number": 2, "reason": "not within the mandate"}


# --- usage errors in the asker's language --------------------------------------------------


def _usage_error_in(table: CommandTable, body: str, language: str) -> str:
    asker = Invocation("@a:x", "!r:x", "$e", body, 0, 0, language=language)
    with pytest.raises(UsageError) as caught:
        table.bind(body, asker)
    return caught.value.reply.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "!publish: --revision: se espera un número entero. Uso: !publish"),
        ("fr", "!publish : --revision : un nombre entier est attendu. Syntaxe : !publish"),
        ("pt", "!publish: --revision: espera-se um número inteiro. Uso: !publish"),
    ],
)
def test_a_wrong_value_is_explained_in_the_askers_language(
    table: CommandTable, language: str, expected: str
) -> None:
    text = _usage_error_in(table, "!publish a.docx --revision two", language)
    assert text.startswith(expected)


@pytest.mark.parametrize(
    ("body", "language", "expected"),
    [
        ('!publish "a.docx', "es", "No se ha podido interpretar el comando: faltan las comillas"),
        ("!publish a --title x --title y", "fr", "--title est indiqué deux fois"),
        ("!publish a.docx --colour red", "pt", "a opção --colour não existe"),
        ("!publish", "es", "falta document"),
    ],
)
def test_malformed_commands_are_explained_in_the_askers_language(
    table: CommandTable, body: str, language: str, expected: str
) -> None:
    assert expected in _usage_error_in(table, body, language)

"""Unit tests for commands/parsing.py: how a message body becomes a command (SPEC §5)."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.parsing import MAX_COMMAND_LENGTH, ParsedCommand, ParseError, is_command, parse


@pytest.mark.parametrize("body", ["!ping", "!p", "  !help ping", "!Ping", "!status\nsome prose"])
def test_is_command_accepts_bang_then_letter(body: str) -> None:
    assert is_command(body)


@pytest.mark.parametrize("body", ["", "!", "!!!", "! x", "!1st", "!-x", "ping", "hello !ping"])
def test_is_command_rejects_chat(body: str) -> None:
    assert not is_command(body)


@pytest.mark.parametrize("body", ["!!!", "! x", "hello"])
def test_parse_rejects_non_commands(body: str) -> None:
    with pytest.raises(ParseError, match="not a command"):
        parse(body)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(ParseError, ValueError)


def test_bare_command() -> None:
    assert parse("!ping") == ParsedCommand(name="ping")


def test_name_is_lowercased_and_surrounding_space_ignored() -> None:
    assert parse("   !PING  ").name == "ping"


def test_positionals_in_order() -> None:
    parsed = parse("!publish one two three")
    assert parsed.name == "publish"
    assert parsed.positionals == ("one", "two", "three")
    assert parsed.options == {}


def test_option_with_separate_value() -> None:
    assert parse("!round --number 3").options == {"number": "3"}


def test_option_with_equals_value() -> None:
    assert parse("!round --number=3").options == {"number": "3"}


def test_option_with_equals_keeps_the_rest_verbatim() -> None:
    assert parse("!x --expr=a=b").options == {"expr": "a=b"}


def test_option_with_empty_equals_value() -> None:
    assert parse("!x --title=").options == {"title": ""}


def test_bare_flag_at_end_is_true() -> None:
    assert parse("!compile --dry-run").options == {"dry_run": True}


def test_bare_flag_followed_by_option_is_true() -> None:
    parsed = parse("!compile --dry-run --revision 2")
    assert parsed.options == {"dry_run": True, "revision": "2"}


def test_dashes_in_option_names_become_underscores() -> None:
    assert parse("!x --focal-point-of AG").options == {"focal_point_of": "AG"}


def test_mixed_positionals_and_options() -> None:
    parsed = parse("!delegation add AG --name 'Antigua and Barbuda' --force")
    assert parsed.name == "delegation"
    assert parsed.positionals == ("add", "AG")
    assert parsed.options == {"name": "Antigua and Barbuda", "force": True}


def test_double_quoted_value_is_one_word() -> None:
    assert parse('!publish --title "Draft Plan"').options == {"title": "Draft Plan"}


def test_quoted_positional_is_one_word() -> None:
    assert parse("!suggest 'a b  c' d").positionals == ("a b  c", "d")


def test_lone_double_dash_is_a_positional() -> None:
    assert parse("!x -- y").positionals == ("--", "y")


def test_single_dash_words_are_positionals() -> None:
    assert parse("!x -5 -v").positionals == ("-5", "-v")


def test_duplicate_option_is_an_error() -> None:
    with pytest.raises(ParseError, match="--title is given twice"):
        parse("!publish --title a --title b")


def test_duplicate_option_spelled_differently_is_an_error() -> None:
    with pytest.raises(ParseError, match="--dry-run is given twice"):
        parse("!compile --dry-run --dry_run")


def test_duplicate_flag_is_an_error() -> None:
    with pytest.raises(ParseError, match="given twice"):
        parse("!compile --force --force=yes")


@pytest.mark.parametrize("body", ['!publish --title "Draft', "!publish 'open", '!x "'])
def test_unbalanced_quotes_are_an_error(body: str) -> None:
    with pytest.raises(ParseError, match="no closing quotation"):
        parse(body)


def test_only_the_first_line_is_the_command() -> None:
    parsed = parse("!publish report.docx --title Draft\n--title Other and more prose 'unbalanced")
    assert parsed.positionals == ("report.docx",)
    assert parsed.options == {"title": "Draft"}


def test_leading_blank_lines_are_skipped() -> None:
    assert parse("\n\n  !ping\nthanks").name == "ping"


def test_length_cap_exact_limit_is_accepted() -> None:
    body = "!x " + "a" * (MAX_COMMAND_LENGTH - 3)
    assert len(body) == MAX_COMMAND_LENGTH
    assert parse(body).positionals == ("a" * (MAX_COMMAND_LENGTH - 3),)


def test_length_cap_over_limit_is_rejected() -> None:
    body = "!x " + "a" * (MAX_COMMAND_LENGTH - 2)
    with pytest.raises(ParseError, match=f"at most {MAX_COMMAND_LENGTH} characters"):
        parse(body)


# Words without line breaks or control characters (the command is its first line only) and
# bounded so that the body stays under the length cap.
_safe_words = st.text(
    alphabet=st.characters(
        categories=("L", "N", "P", "S", "Zs"),
        exclude_characters="\x85\u2028\u2029",
    ),
    max_size=20,
).filter(lambda word: not word.startswith("--"))


@given(st.lists(_safe_words, max_size=12))
def test_property_shlex_joined_words_are_the_positionals(words: list[str]) -> None:
    parsed = parse("!cmd " + shlex.join(words))
    assert parsed.name == "cmd"
    assert parsed.positionals == tuple(words)
    assert parsed.options == {}

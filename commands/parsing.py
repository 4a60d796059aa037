"""Turn a message body into a command name, positionals and options.

Syntax (SPEC §5): `!command positional --option value --flag`. Quoting follows the shell
(`shlex`), so `--title "Draft Plan"` is one value. Option names use dashes; they map to
fields with underscores (`--dry-run` → `dry_run`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from commands.i18n import N_, Translate

PREFIX = "!"
MAX_COMMAND_LENGTH = 4_000


class ParseError(ValueError):
    """The text is a command, but not a well-formed one; the message says why.

    `template` is a catalog message with named placeholders, `words(_)` says it in the reader's
    language; `str(error)` is the English sentence."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params

    def words(self, _: Translate = str) -> str:
        return _(self.template).format(**self.params)


# shlex's own reasons, as the reader reads them.
_SHLEX_REASONS = {
    "no closing quotation": N_("no closing quotation"),
    "no escaped character": N_("no escaped character"),
}


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    positionals: tuple[str, ...] = ()
    options: dict[str, str | bool] = field(default_factory=dict)


def is_command(body: str) -> bool:
    """A command starts with `!` followed by a letter (so "!!!" or "! ok" is just chat)."""
    stripped = body.lstrip()
    return len(stripped) > 1 and stripped[0] == PREFIX and stripped[1].isalpha()


def command_name(body: str) -> str:
    """The command's name as written, lower-cased, without parsing the rest (`!Support x` →
    `support`)."""
    return body.strip()[len(PREFIX) :].split(maxsplit=1)[0].lower() if is_command(body) else ""


def text_after_name(body: str) -> str:
    """Everything after the command's name, as written: quotes, dashes and further lines kept
    (`!support I can't open "Matriz"` → `I can't open "Matriz"`)."""
    words = body.strip()[len(PREFIX) :].split(maxsplit=1)
    return words[1].strip() if len(words) > 1 else ""


def parse(body: str) -> ParsedCommand:
    if not is_command(body):
        raise ParseError(N_("not a command"))
    # Only the first line is the command: a caption may go on with prose below it.
    first_line = body.strip().splitlines()[0]
    if len(first_line) > MAX_COMMAND_LENGTH:
        raise ParseError(
            N_("a command is at most {limit} characters long"), limit=MAX_COMMAND_LENGTH
        )
    try:
        words = shlex.split(first_line[len(PREFIX) :])
    except ValueError as exc:  # unbalanced quotes
        reason = str(exc).lower()
        raise ParseError(_SHLEX_REASONS.get(reason, reason)) from None
    name, rest = words[0].lower(), words[1:]
    positionals: list[str] = []
    options: dict[str, str | bool] = {}
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("--") and len(word) > 2:
            key, eq, inline = word[2:].partition("=")
            key = key.replace("-", "_")
            if key in options:
                raise ParseError(N_("{option} is given twice"), option="--" + key.replace("_", "-"))
            if eq:
                options[key] = inline
            elif i + 1 < len(rest) and not rest[i + 1].startswith("--"):
                options[key] = rest[i + 1]
                i += 1
            else:
                options[key] = True
        else:
            positionals.append(word)
        i += 1
    return ParsedCommand(name=name, positionals=tuple(positionals), options=options)

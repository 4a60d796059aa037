"""The command table: one explicit registry of commands, their argument models and handlers.

A command is a module with a frozen pydantic `Args` model (`extra="forbid"`), a narrow deps
`Protocol` and `async def handle(deps, invocation, args) -> Reply`. The table is built by hand in
`commands/builtin.py`; nothing registers itself by being imported.

Typed end to end (Draupnir's command table): `command(name, summary, Args, handle, needs=…)`
is generic over the arguments model `A` and the narrow capability `D` the handler needs, and
`needs` picks that capability out of the services record `S` the shell hands to every command
(`commands/services.py`). mypy checks that the handler takes the model it is registered with,
that the capability it is given is the one it asks for, and that the shell's services provide it.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from commands.i18n import N_, SOURCE_LANGUAGE, Translate, translator
from commands.parsing import ParsedCommand, ParseError, command_name, parse, text_after_name
from commands.reply import Reply
from room_policies.roles import Role, RoomKind

# Where a command is asked: a governed room's kind, or a direct message with the bot (any room
# the platform does not govern).
DIRECT = "direct"
MODERATION = RoomKind.MODERATION.value
PLENARY = RoomKind.PLENARY.value
DESK = RoomKind.DESK.value
SUPPORT = RoomKind.SUPPORT.value
EVERYWHERE: frozenset[str] = frozenset({DIRECT, MODERATION, PLENARY, DESK, SUPPORT})
EVERYONE: frozenset[Role] = frozenset(Role)
COORDINATION: frozenset[Role] = frozenset({Role.CHAIR, Role.SECRETARIAT})


class Args(BaseModel):
    """Base of every command's arguments. `positional` names the fields filled in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    positional: ClassVar[tuple[str, ...]] = ()
    # The last positional takes the rest of the line (a reason: `!decline 2 not in the mandate`).
    rest_of_line: ClassVar[bool] = False
    # The one positional is everything after the command's name, as written: no quoting, no
    # options, further lines kept (a request in prose: `!support I can't open "Matriz"`).
    raw_text: ClassVar[bool] = False


class NoArgs(Args):
    pass


@dataclass(frozen=True)
class Attachment:
    """A file a command is about: sent with the command as its caption, or replied to, or
    uploaded alone. `content` is the file message's content (encrypted `file` or plain `url`)."""

    file_name: str
    mimetype: str
    size: int | None
    event_id: str
    content: Mapping[str, Any]

    @classmethod
    def from_content(cls, event_id: str, content: Mapping[str, Any]) -> Attachment | None:
        if content.get("msgtype") != "m.file" and "file" not in content and "url" not in content:
            return None
        info = content.get("info") if isinstance(content.get("info"), Mapping) else {}
        name = content.get("filename") or content.get("body") or ""
        size = info.get("size") if isinstance(info, Mapping) else None
        mimetype = info.get("mimetype") if isinstance(info, Mapping) else None
        return cls(
            str(name),
            str(mimetype or "application/octet-stream"),
            size if isinstance(size, int) else None,
            event_id,
            content,
        )


@dataclass(frozen=True)
class Invocation:
    """Who asked what, where and when; `now_ms` is passed in, never read from a clock here."""

    sender: str
    room_id: str
    event_id: str
    body: str
    sent_ms: int
    now_ms: int
    role: Role = Role.OUTSIDER
    place: str = DIRECT  # a RoomKind value for governed rooms, else DIRECT
    delegation: str | None = None  # the room's delegation (a desk), if it has one
    attachment: Attachment | None = None  # the file sent with the command (its caption)
    reply_to: str | None = None  # the event the command replies to (a file, perhaps)
    language: str = SOURCE_LANGUAGE  # the asker's language (`!lang`), else the group's
    timezone: str = "UTC"  # the working group's time zone (`timezone:`): dates are shown in it


S = TypeVar("S")  # the services record the shell hands to every command
D = TypeVar("D")  # the narrow capability one command needs
A = TypeVar("A", bound=Args)  # one command's arguments model

# What the table runs: the services, who asked, and the arguments `bind` validated.
Runner = Callable[[S, Invocation, Args], Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    """What a command is, for parsing, authorising and `!help`: everything but how it runs."""

    name: str
    summary: str
    args: type[Args]
    roles: frozenset[Role] = EVERYONE
    places: frozenset[str] = EVERYWHERE
    # Where a command is used by different people in different rooms (SPEC §5: `!documents` by
    # the Chair in the moderation room, by focal points in the plenary): place → roles. When
    # given, it replaces `roles` × `places`.
    access: tuple[tuple[str, frozenset[Role]], ...] = ()

    def grants(self) -> dict[str, frozenset[Role]]:
        if self.access:
            return dict(self.access)
        return dict.fromkeys(self.places, self.roles)

    def refusal(self, invocation: Invocation, _: Translate = str) -> str | None:
        """Why this asker may not use the command here (SPEC §5), or None if they may."""
        grants = self.grants()
        if invocation.role in grants.get(invocation.place, frozenset()):
            return None
        everyone = frozenset().union(*grants.values())
        if invocation.role not in everyone:
            who = _and(sorted({_(_ROLE_WORDS[r]) for r in everyone}), _)
            return _("!{command} is for {who} only.").format(command=self.name, who=who)
        rooms = _(" or ").join(
            sorted(_(_PLACE_WORDS[p]) for p, roles in grants.items() if invocation.role in roles)
        )
        return _("!{command} is used in {rooms}, not here.").format(command=self.name, rooms=rooms)

    def usage(self) -> str:
        parts = [f"!{self.name}"]
        fields = self.args.model_fields
        for name in self.args.positional:
            info = fields[name]
            parts.append(f"<{name}>" if info.is_required() else f"[{name}]")
        for name, info in fields.items():
            if name in self.args.positional:
                continue
            flag = "--" + name.replace("_", "-")
            if info.annotation is bool:
                parts.append(f"[{flag}]")
            else:
                parts.append(f"{flag} <{name}>" if info.is_required() else f"[{flag} <{name}>]")
        return " ".join(parts)

    def argument_help(self, _: Translate = str) -> list[str]:
        lines = []
        for name, info in self.args.model_fields.items():
            if info.description:
                label = name if name in self.args.positional else "--" + name.replace("_", "-")
                lines.append(f"{label}: {_(info.description)}")
        return lines


@dataclass(frozen=True)
class Command(CommandSpec, Generic[S]):
    """A command of a table whose commands reach the services `S`; made by `command()`."""

    run: Runner[S] = field(kw_only=True)


def command(
    name: str,
    summary: str,
    args: type[A],
    handler: Callable[[D, Invocation, A], Awaitable[Reply]],
    *,
    needs: Callable[[S], D],
    roles: frozenset[Role] = EVERYONE,
    places: frozenset[str] = EVERYWHERE,
    access: tuple[tuple[str, frozenset[Role]], ...] = (),
) -> Command[S]:
    """Register `handler` for `args`, reaching the capability `needs(services)`."""

    async def run(services: S, invocation: Invocation, bound: Args) -> Reply:
        if not isinstance(bound, args):  # `CommandTable.bind` validated it with this model
            raise TypeError(f"!{name} was bound to {type(bound).__name__}, not {args.__name__}")
        return await handler(needs(services), invocation, bound)

    return Command(name, summary, args, roles, places, access, run=run)


class Catalog(Protocol):
    """The table as `!help` reads it: what exists and who may use it, never how it runs."""

    def get(self, name: str) -> CommandSpec | None: ...

    def nearest(self, name: str) -> str | None: ...

    def allowed(self, invocation: Invocation) -> Sequence[CommandSpec]: ...


_PLACE_WORDS = {
    DIRECT: N_("a direct message with the bot"),
    MODERATION: N_("the moderation room"),
    PLENARY: N_("the plenary"),
    DESK: N_("your desk"),
    SUPPORT: N_("the Support room"),
}
_ROLE_WORDS = {
    Role.CHAIR: N_("the Chair"),
    Role.SECRETARIAT: N_("the Technical Secretariat"),
    Role.FOCAL_POINT: N_("focal points"),
    Role.EXPERT: N_("experts"),
    Role.BOT: N_("the platform"),
    Role.WARDEN: N_("the platform"),
    Role.OUTSIDER: N_("people outside the roster"),
}


def _and(words: list[str], _: Translate = str) -> str:
    if len(words) == 1:
        return words[0]
    return _("{first} and {last}").format(first=", ".join(words[:-1]), last=words[-1])


class UsageError(Exception):
    """The command exists but its arguments are wrong, or no such command exists."""

    def __init__(self, reply: Reply, command: str = "?") -> None:
        super().__init__(reply.text)
        self.reply = reply
        self.command = command


class Refusal(Exception):
    """Raised by a handler's deps when the asked thing cannot be done: the reply is
    "Refused: <reason>" (a sentence for the asker)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def reply(self, _: Translate = str) -> Reply:
        return Reply.plain(_("Refused: {reason}").format(reason=self.reason))


class WordedRefusal(Refusal):
    """A refusal that words itself: `reason` in English (the audit log's), `worded(_)` in the
    asker's language. Subclasses keep their facts and word them in `worded`."""

    def __init__(self) -> None:
        super().__init__(self.worded())

    def worded(self, _: Translate = str) -> str:
        raise NotImplementedError

    def reply(self, _: Translate = str) -> Reply:
        return Reply.plain(_("Refused: {reason}").format(reason=self.worded(_)))


def internal_error(ref: str, _: Translate = str) -> Reply:
    """What the asker reads when the platform failed them (the log holds the rest, by `ref`)."""
    return Reply.plain(
        _("Internal error (ref {ref}). The Secretariat can trace it with this reference.").format(
            ref=ref
        )
    )


# The audit log's reason when an answer was withheld (SPEC §2: nothing goes out in plaintext).
ANSWER_WITHHELD = (
    "The platform did not send its answer: it does not see the room as end-to-end encrypted, "
    "and it sends nothing in plaintext."
)


class Refused(UsageError):
    """The asker may not use this command here (SPEC §5: a refusal says why)."""


@dataclass(frozen=True)
class Bound(Generic[S]):
    """A parsed, validated command ready to run."""

    command: Command[S]
    args: Args
    language: str | None = None  # asked by a name in another language (`!ayuda`): answer in it

    async def run(self, services: S, invocation: Invocation) -> Reply:
        return await self.command.run(services, invocation, self.args)


class CommandTable(Generic[S]):
    def __init__(
        self, commands: Sequence[Command[S]], aliases: Mapping[str, tuple[str, str]] | None = None
    ) -> None:
        # alias → (command, language): `!ayuda` is `!help`, answered in Spanish.
        self._aliases = dict(aliases or {})
        self._commands: dict[str, Command[S]] = {}
        for command in commands:
            if command.name in self._commands:
                raise ValueError(f"command {command.name!r} registered twice")
            self._commands[command.name] = command
        for alias, (target, _language) in self._aliases.items():
            if alias in self._commands or target not in self._commands:
                raise ValueError(f"alias {alias!r} clashes with a command or names none")

    def __iter__(self) -> Iterator[Command[S]]:
        return iter(self._commands.values())

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def get(self, name: str) -> Command[S] | None:
        return self._commands.get(name)

    def allowed(self, invocation: Invocation) -> list[Command[S]]:
        """The commands this asker may use where they asked (what `!help` lists)."""
        return [c for c in self._commands.values() if c.refusal(invocation) is None]

    def nearest(self, name: str) -> str | None:
        matches = difflib.get_close_matches(name, list(self._commands), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def _takes_text(self, name: str) -> bool:
        command = self._commands.get(self._aliases.get(name, (name, None))[0])
        return command is not None and command.args.raw_text

    def bind(self, body: str, invocation: Invocation | None = None) -> Bound[S]:
        """Parse, authorise (when `invocation` says who asks where) and validate, or raise
        UsageError / Refused carrying the reply the asker should see."""
        _ = translator(invocation.language if invocation else SOURCE_LANGUAGE)
        # A command that takes its text as written is not parsed (see `Args.raw_text`).
        text_command = self._takes_text(command_name(body))
        try:
            parsed = ParsedCommand(command_name(body)) if text_command else parse(body)
        except ParseError as exc:
            raise UsageError(
                Reply.plain(
                    _("I could not read that command: {reason}.").format(reason=exc.words(_))
                )
            ) from None
        name, language = self._aliases.get(parsed.name, (parsed.name, None))
        if language is not None:
            _ = translator(language)
        command = self._commands.get(name)
        if command is None:
            guess = self.nearest(parsed.name)
            hint = _(" Did you mean !{command}?").format(command=guess) if guess else ""
            raise UsageError(
                Reply.plain(
                    _("Unknown command !{command}.{hint} Send !help for the list.").format(
                        command=parsed.name, hint=hint
                    )
                )
            )
        if invocation is not None:
            refusal = command.refusal(invocation, _)
            if refusal is not None:
                raise Refused(
                    Reply.plain(
                        _("Refused: {reason} Send !help for what you can do here.").format(
                            reason=refusal
                        )
                    ),
                    command.name,
                )
        values: dict[str, object] = dict(parsed.options)
        slots = command.args.positional
        positionals = list(parsed.positionals)
        if command.args.raw_text:
            text = text_after_name(body)
            values, positionals = {}, [text] if text else []
        if command.args.rest_of_line and slots and len(positionals) > len(slots):
            positionals[len(slots) - 1 :] = [" ".join(positionals[len(slots) - 1 :])]
        if len(positionals) > len(slots):
            extra = " ".join(positionals[len(slots) :])
            raise UsageError(
                Reply.plain(
                    _("!{command} does not take {extra}. Usage: {usage}").format(
                        command=command.name, extra=repr(extra), usage=command.usage()
                    )
                )
            )
        for slot, value in zip(slots, positionals, strict=False):
            if slot in values:
                raise UsageError(
                    Reply.plain(
                        _("{argument} is given twice. Usage: {usage}").format(
                            argument=slot, usage=command.usage()
                        )
                    )
                )
            values[slot] = value
        try:
            args = command.args.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(_describe(err, slots, _) for err in exc.errors())
            raise UsageError(
                Reply.plain(
                    _("!{command}: {problems}. Usage: {usage}").format(
                        command=command.name, problems=problems, usage=command.usage()
                    )
                )
            ) from None
        return Bound(command=command, args=args, language=language)


def _describe(err: Any, positional: tuple[str, ...], _: Translate = str) -> str:
    """One validation problem, in the reader's language: pydantic's own wording for the kinds
    the commands meet is replaced by the catalog's; a validator's reason is a catalog message."""
    loc = ".".join(str(p) for p in err["loc"])
    name = loc if not loc or loc in positional else ("--" + loc.replace("_", "-"))
    kind = err["type"]
    if kind == "extra_forbidden":
        return _("unknown option {option}").format(option=name)
    if kind == "missing":
        return _("{argument} is missing").format(argument=loc)
    ctx = err.get("ctx") or {}
    worded = _PYDANTIC_WORDS.get(kind)
    if worded is not None:
        msg = _(worded).format(**{k: v for k, v in ctx.items() if isinstance(v, str | int)})
    elif kind == "value_error":
        msg = _(str(ctx.get("error", err["msg"])))
    else:
        msg = str(err["msg"])
    return _("{argument}: {problem}").format(argument=name, problem=msg) if loc else msg


# pydantic's error kinds the commands' arguments can meet, worded for the catalogs.
_PYDANTIC_WORDS = {
    "int_parsing": N_("a whole number is expected"),
    "int_type": N_("a whole number is expected"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than_equal": N_("must be at most {le}"),
    "greater_than": N_("must be more than {gt}"),
    "less_than": N_("must be less than {lt}"),
    "literal_error": N_("must be one of {expected}"),
    "bool_parsing": N_("yes or no is expected"),
    "bool_type": N_("yes or no is expected"),
    "string_too_long": N_("is longer than {max_length} characters"),
    "string_too_short": N_("is shorter than {min_length} characters"),
    "string_type": N_("a text is expected"),
}

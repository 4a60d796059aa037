"""`!lang en|es|fr|pt`: the language the platform answers this person in, from now on.

A person who never chose one is answered in the working group's language (`language:`).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.i18n import N_, Language, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = N_("choose the language the platform answers you in: en, es, fr or pt")


class Args(BaseArgs):
    positional = ("language",)
    language: Language = Field(description=N_("en, es, fr or pt"))


class Deps(Protocol):
    async def set_language(self, user_id: str, language: str) -> None: ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    await deps.set_language(invocation.sender, args.language)
    _ = translator(args.language)
    return Reply.plain(_("From now on, the platform answers you in English."))

"""`!ping`: answers `pong` with the delay between the command's sending and its handling."""

from __future__ import annotations

from typing import Protocol

from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Invocation, NoArgs

SUMMARY = N_("check that the platform answers, and how fast")


class Args(NoArgs):
    pass


class Deps(Protocol):
    pass


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    delay = max(0, invocation.now_ms - invocation.sent_ms)
    return Reply.plain(_("pong ({delay} ms)").format(delay=delay))

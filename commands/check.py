"""`!check` (a focal point's desk, on a file): the proposal checks, without submitting."""

from __future__ import annotations

from typing import Protocol

from commands.document_refusals import reason_of
from commands.documents_deps import ProposalChecked
from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Invocation, NoArgs, Refusal

SUMMARY = N_("check a proposal file (caption or reply) without submitting it")


class Args(NoArgs):
    pass


class Deps(Protocol):
    async def check(self, invocation: Invocation) -> ProposalChecked:
        """The checks of a proposal upload, filing nothing; a `Refusal` if it would be refused."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    try:
        checked = await deps.check(invocation)
    except Refusal as refusal:
        return Reply.plain(_("Would be refused: {reason}").format(reason=reason_of(refusal, _)))
    return Reply.titled(
        _("Would be accepted (nothing was submitted):"),
        [
            *checked.result.lines(),
            _("base: {document} version {version}").format(
                document=checked.base_file_name, version=checked.base_version
            ),
        ],
    )

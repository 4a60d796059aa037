"""The answer to a file uploaded on its own (SPEC §3): a receipt, a refusal, or a registration.

In the plenary, a focal point's upload is a proposal: filed, with a receipt in its thread, or
refused with the reason and "Nothing was filed". In a folder, the Chair's or the Secretariat's
upload is registered as the document's next version. `answer_upload` is what the router calls
for an upload, as it calls a command's handler for a command.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, assert_never

from commands.dates import when
from commands.document_refusals import reason_of
from commands.documents_deps import FolderUpload, ProposalInfo, ProposalRefused, UploadOutcome
from commands.i18n import Translate, translator
from commands.marked_text import (
    RECEIPT_CHARACTERS,
    RECEIPT_PARAGRAPHS,
    Text,
    changed_paragraphs,
    escaped,
)
from commands.reply import Reply
from commands.table import Invocation

__all__ = ["Deps", "answer_upload", "receipt"]


class Deps(Protocol):
    async def upload(self, invocation: Invocation) -> UploadOutcome | None:
        """What became of the upload; None when the platform leaves it alone."""
        ...


async def answer_upload(deps: Deps, invocation: Invocation) -> Reply | None:
    outcome = await deps.upload(invocation)
    if outcome is None:
        return None
    language, zone = invocation.language, invocation.timezone
    return receipt(
        outcome, translator(language), lambda moment: when(moment, language, zone, seconds=True)
    )


def _utc(moment: datetime) -> str:
    return when(moment, "en", "UTC", seconds=True)


def receipt(
    outcome: UploadOutcome, _: Translate = str, at: Callable[[datetime], str] = _utc
) -> Reply:
    """The answer to an upload, worded for the reader (`_`), its moment as they read it
    (`at`: in their language, in the working group's time zone)."""
    match outcome:
        case ProposalInfo():
            return _proposal_receipt(outcome, _, at)
        case ProposalRefused(reason, refusal):
            if refusal is not None:
                reason = reason_of(refusal, _)
            return Reply.plain(_("Refused: {reason} Nothing was filed.").format(reason=reason))
        case FolderUpload(published):
            return Reply.plain(
                _(
                    "Registered {file} as version {version} ({classification}); announced in the "
                    "plenary."
                ).format(
                    file=published.file_name,
                    version=published.version,
                    classification=published.classification,
                )
            )
        case _:
            assert_never(outcome)


def _proposal_receipt(proposal: ProposalInfo, _: Translate, at: Callable[[datetime], str]) -> Reply:
    touched = ", ".join(str(n) for n in proposal.paragraphs) or "—"
    out = Text()
    out.heading(
        _(
            "Receipt: {file}, the proposal of {delegation} on {document} (version {version}), is "
            "filed."
        ).format(
            file=proposal.file_name,
            delegation=proposal.delegation,
            document=proposal.base_file_name,
            version=proposal.base_version,
        )
    )
    lines = [
        _("changes: {changes}").format(changes=proposal.changes),
        _("paragraphs touched: {paragraphs}").format(paragraphs=touched),
        f"sha256: {proposal.sha256}",
        _("received: {received}").format(received=at(proposal.submitted_at)),
    ]
    out.items([escaped(line) for line in lines])
    out.items(
        changed_paragraphs(
            proposal.marked,
            _,
            show=f"!show {proposal.delegation} {proposal.base_file_name}",
            most=RECEIPT_PARAGRAPHS,
            characters=RECEIPT_CHARACTERS,
        )
    )
    return out.reply()

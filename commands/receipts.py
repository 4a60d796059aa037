"""The answer to a file uploaded on its own (SPEC §3): a receipt, a refusal, or a registration.

In the plenary, a focal point's upload is a proposal: filed, with a receipt in its thread, or
refused with the reason and "Nothing was filed". In a folder, the Chair's or the Secretariat's
upload is registered as the document's next version. `answer_upload` is what the router calls
for an upload, as it calls a command's handler for a command.
"""

from __future__ import annotations

from typing import Protocol, assert_never

from commands.documents_deps import FolderUpload, ProposalInfo, ProposalRefused, UploadOutcome
from commands.reply import Reply
from commands.table import Invocation

__all__ = ["Deps", "answer_upload", "receipt"]


class Deps(Protocol):
    async def upload(self, invocation: Invocation) -> UploadOutcome | None:
        """What became of the upload; None when the platform leaves it alone."""
        ...


async def answer_upload(deps: Deps, invocation: Invocation) -> Reply | None:
    outcome = await deps.upload(invocation)
    return None if outcome is None else receipt(outcome)


def receipt(outcome: UploadOutcome) -> Reply:
    match outcome:
        case ProposalInfo():
            return _proposal_receipt(outcome)
        case ProposalRefused(reason):
            return Reply.plain(f"Refused: {reason} Nothing was filed.")
        case FolderUpload(published):
            return Reply.plain(
                f"Registered {published.file_name} as version {published.version} "
                f"({published.classification}); announced in the plenary."
            )
        case _:
            assert_never(outcome)


def _proposal_receipt(proposal: ProposalInfo) -> Reply:
    touched = ", ".join(str(n) for n in proposal.paragraphs) or "—"
    return Reply.titled(
        f"Receipt: {proposal.file_name}, the proposal of {proposal.delegation} on "
        f"{proposal.base_file_name} (version {proposal.base_version}), is filed.",
        [
            f"changes: {proposal.changes}",
            f"paragraphs touched: {touched}",
            f"sha256: {proposal.sha256}",
            f"received: {proposal.submitted_at:%Y-%m-%d %H:%M:%S} UTC",
        ],
    )

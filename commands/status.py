"""`!status`: a focal point's proposals, in the plenary or their desk."""

from __future__ import annotations

from typing import Protocol

from commands.dates import when
from commands.documents_deps import ProposalInfo
from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Invocation, NoArgs

SUMMARY = N_("your delegation's proposals and their receipts")


class Args(NoArgs):
    pass


class Deps(Protocol):
    async def proposals_of(self, delegation: str) -> list[ProposalInfo]:
        """The delegation's proposals on record, oldest first (superseded ones too)."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    if not invocation.delegation:
        return Reply.plain(_("Refused: only a delegation's focal point has proposals."))
    proposals = await deps.proposals_of(invocation.delegation)
    if not proposals:
        return Reply.plain(_("Your delegation has submitted no proposal yet."))
    lines = []
    for p in proposals:
        touched = ", ".join(str(n) for n in p.paragraphs) or "—"
        state = _("superseded") if p.superseded else _("standing")
        lines.append(
            _(
                "{file} on {document} v{version}, {submitted}: {changes} change(s), "
                "paragraphs {paragraphs} — {state} (sha256 {sha256}…)"
            ).format(
                file=p.file_name,
                document=p.base_file_name,
                version=p.base_version,
                submitted=when(p.submitted_at, invocation.language, invocation.timezone),
                changes=p.changes,
                paragraphs=touched,
                state=state,
                sha256=p.sha256[:12],
            )
        )
    return Reply.titled(_("Your delegation's proposals, oldest first:"), lines)

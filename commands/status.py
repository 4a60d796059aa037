"""`!status`: a focal point's proposals, in the plenary or their desk."""

from __future__ import annotations

from typing import Protocol

from commands.documents_deps import ProposalInfo
from commands.i18n import N_
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
    if not invocation.delegation:
        return Reply.plain("Refused: only a delegation's focal point has proposals.")
    proposals = await deps.proposals_of(invocation.delegation)
    if not proposals:
        return Reply.plain("Your delegation has submitted no proposal yet.")
    lines = []
    for p in proposals:
        touched = ", ".join(str(n) for n in p.paragraphs) or "—"
        state = "superseded" if p.superseded else "standing"
        lines.append(
            f"{p.file_name} on {p.base_file_name} v{p.base_version}, "
            f"{p.submitted_at:%Y-%m-%d %H:%M} UTC: {p.changes} change(s), paragraphs {touched} "
            f"— {state} (sha256 {p.sha256[:12]}…)"
        )
    return Reply.titled("Your delegation's proposals, oldest first:", lines)

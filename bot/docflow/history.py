"""A paragraph's story and what awaits approval (issue #12, III.G), on a document of the plan
folder.

`!history DOCUMENT PARAGRAPH`: every published version of the document and, for each version,
the last proposal of each delegation made on it (what a compilation of that round took) go to
the engine (`documents.paragraph_history.history_job`, in its worker), which follows the
paragraph from version to version and marks each delegation's change to it; the statuses come
from the paragraph's history (`paragraph_status_history`), the rounds' dates and meetings from
`rounds` when a round was held on a version. `!pending DOCUMENT`: the paragraphs agreed ad
referendum and not approved since, for the Chair before the formal meeting. `!show CODE
DOCUMENT [PARAGRAPH]`: the delegation's standing proposal on the document and the version it was
made on go to the engine (`documents.paragraph_history.show_job`), which marks every change.
"""

from __future__ import annotations

from bot.docflow.tools import DocumentTools
from bot.storage.paragraph_history import ParagraphHistory, StatusChange
from bot.storage.registry import Proposal
from commands.document_refusals import NoStandingProposal, NoSuchParagraph, NotAParagraphOf
from commands.documents_deps import (
    AwaitingApproval,
    ParagraphStory,
    PendingApprovals,
    ProposedChange,
    ShownProposal,
    StatusStep,
    VersionText,
)
from documents.excerpts import MarkedParagraph, pieces_from
from documents.lifecycles import ParagraphStatus
from documents.wire import Json, field, objects, optional
from room_policies.roles import FolderKey

PLAN = FolderKey.PLAN.value


class Histories:
    def __init__(self, *, tools: DocumentTools, history: ParagraphHistory) -> None:
        self.tools = tools
        self.history = history

    async def story(self, document: str, paragraph: str) -> ParagraphStory:
        base = await self.tools.document_in_plan(document)
        versions = await self.history.versions(PLAN, base.file_name)
        files = self.tools.files
        result = await self.tools.engine.history(
            base.file_name,
            [(v.version, files.get(v.sha256)) for v in versions],
            [
                (p.base_version, p.file_name, files.get(p.sha256))
                for p in _last_per_round(
                    await self.tools.registry.proposals(base_file_name=base.file_name)
                )
            ],
            paragraph,
        )
        if not isinstance(result, dict) or not result.get("found"):
            raise NoSuchParagraph(base.file_name, paragraph.strip())
        rounds = await self.history.rounds(base.file_name)
        texts = []
        for v in objects(result, "versions"):
            version = field(v, "version", int)
            held = rounds.get(version)
            texts.append(
                VersionText(
                    version,
                    optional(v, "number", int),
                    optional(v, "text", str),
                    held.opens_at if held else None,
                    held.closes_at if held else None,
                    held.meeting if held else None,
                )
            )
        proposals = [
            ProposedChange(field(p, "version", int), field(p, "code", str), _pieces(p))
            for p in objects(result, "proposals")
        ]
        numbers = {t.version: t.number for t in texts}
        latest = texts[-1].number if texts else None
        statuses = [
            StatusStep(c.status, c.version, c.meeting, c.set_at)
            for c in await self.history.changes(base.file_name)
            if _concerns(c, numbers, latest)
        ]
        return ParagraphStory(base.file_name, paragraph.strip(), texts, proposals, statuses)

    async def show(self, delegation: str, document: str, paragraph: int | None) -> ShownProposal:
        base = await self.tools.document_in_plan(document)
        standing = [
            p
            for p in await self.tools.registry.latest_proposals(base.file_name)
            if p.delegation == delegation
        ]
        if not standing:
            raise NoStandingProposal(delegation, base.file_name)
        proposal = standing[-1]
        made_on = await self.tools.registry.version(base.file_name, proposal.base_version, PLAN)
        if made_on is None:  # its version is on record with it: not for want of it
            raise NoStandingProposal(delegation, base.file_name)
        files = self.tools.files
        result = await self.tools.engine.show(
            base.file_name,
            files.get(made_on.sha256),
            proposal.file_name,
            files.get(proposal.sha256),
            None if paragraph is None else str(paragraph),
        )
        if not isinstance(result, dict) or not result.get("found"):
            raise NotAParagraphOf(base.file_name, proposal.base_version, paragraph or 0)
        return ShownProposal(
            delegation,
            proposal.file_name,
            base.file_name,
            proposal.base_version,
            None if paragraph is None else str(paragraph),
            [MarkedParagraph.from_json(c) for c in objects(result, "paragraphs")],
        )

    async def pending(self, document: str | None) -> PendingApprovals:
        base = await self.tools.document_in_plan(document)
        last: dict[int, StatusChange] = {}
        for change in await self.history.changes(base.file_name):
            last[change.paragraph] = change
        awaiting = [
            AwaitingApproval(n, c.version, c.set_at)
            for n, c in sorted(last.items())
            if c.status is ParagraphStatus.AGREED_AD_REFERENDUM
        ]
        held = (await self.history.rounds(base.file_name)).get(base.version)
        meeting = held.meeting if held is not None else None
        return PendingApprovals(base.file_name, base.version, meeting, awaiting)


def _last_per_round(proposals: list[Proposal]) -> list[Proposal]:
    """Each delegation's last proposal on each version: what that round's compilation took."""
    last: dict[tuple[int, str], Proposal] = {}
    for proposal in proposals:  # oldest first
        last[(proposal.base_version, proposal.delegation)] = proposal
    return [last[key] for key in sorted(last)]


def _concerns(change: StatusChange, numbers: dict[int, int | None], latest: int | None) -> bool:
    """Whether a status change was made on this paragraph: its number on the version it was
    marked on (a change recorded before versions were kept: its number now)."""
    if change.version is None or change.version not in numbers:
        return change.paragraph == latest
    return change.paragraph == numbers[change.version]


def _pieces(change: Json) -> list[tuple[str, str]]:
    return pieces_from(field(change, "pieces", list))

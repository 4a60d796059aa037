"""Proposal intake (SPEC §3): a focal point's upload in the plenary, checked, filed, receipted.

The checks, in order: the sender is a focal point; the file names a published document of the
plan folder (`documents.proposals.proposed_base`); it downloads and decrypts under the size cap;
the engine's proposal check passes. A document that has had a round takes proposals only
while a round of it is open, checked against the round's version (`bot/docflow/rounds.py`).
An accepted proposal is stored in the file store and registered under its Matrix event
*before* the receipt is worded, then filed (re-posted, encrypted) in the plan folder with a
transaction id derived from that event — in the bot, right after the receipt is sent
(`bot/sync/after_reply.py`), so that a deadline's receipts do not wait for the filed copies.
`!check` in the desk runs the same checks and files nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.docflow.publishing import FolderNames
from bot.docflow.rounds import Rounds
from bot.docflow.tools import DocumentTools
from bot.docflow.transfer import DOCX, txn_id
from bot.governance.directory import RoomDirectory
from bot.governance.trust import RosterSource
from bot.storage.registry import Proposal, Published
from bot.sync.after_reply import AfterReply
from commands.document_refusals import (
    FileRefused,
    InFile,
    NoBaseToPropose,
    NoFileGiven,
    NotAProposalName,
    OnlyFocalPoints,
)
from commands.documents_deps import ProposalChecked, ProposalInfo, ProposalRefused
from commands.table import Attachment, Invocation, Refusal
from documents.errors import DocumentRefused
from documents.excerpts import MarkedParagraph
from documents.jobs import CheckedProposal, CheckResult
from documents.proposals import delegation_of, proposed_base, stands
from room_policies.roles import FolderKey, Role, RoomKind, UserId
from room_policies.rooms import RoomRef

PLAN = FolderKey.PLAN


@dataclass(frozen=True)
class _Checked:
    """A file that passed every check: its base, its delegation, its bytes, the engine's report."""

    base: Published
    delegation: str
    data: bytes
    report: CheckedProposal


class Intake:
    def __init__(
        self,
        *,
        rooms: RoomDirectory,
        tools: DocumentTools,
        folders: FolderNames,
        roster: RosterSource,
        window: Rounds | None = None,
        after_reply: AfterReply | None = None,
    ) -> None:
        self.rooms = rooms
        self.tools = tools
        self.folders = folders
        self.roster = roster
        self.window = window  # the rounds: when, and on which version, proposals are received
        self.after_reply = after_reply  # filing after the receipt (bot/sync/after_reply.py)
        # Two copies filed at a time: at a deadline the copies follow the receipts into the
        # folder instead of competing with them.
        self._filing = asyncio.Semaphore(2)

    async def check(self, invocation: Invocation) -> ProposalChecked:
        """`!check`: the checks of an upload, filing nothing; a `Refusal` says why it would be
        refused."""
        attachment = await self.tools.transfer.attachment(invocation)
        if attachment is None:
            raise NoFileGiven("check")
        checked = await self._checked(invocation, attachment)
        base = checked.base
        return ProposalChecked(CheckResult(checked.report), base.file_name, base.version)

    async def submit(
        self, invocation: Invocation, attachment: Attachment
    ) -> ProposalInfo | ProposalRefused:
        """A proposal uploaded in the plenary: filed, or refused (nothing filed)."""
        try:
            checked = await self._checked(invocation, attachment)
        except Refusal as refusal:
            return ProposalRefused(refusal.reason, refusal)
        base, report, data = checked.base, checked.report, checked.data
        proposal = await self.tools.registry.add_proposal(
            delegation=checked.delegation,
            base_file_name=base.file_name,
            base_version=base.version,
            file_name=attachment.file_name,
            sha256=self.tools.files.put(data),
            size=len(data),
            submitted_by=invocation.sender,
            source_event_id=invocation.event_id,
            changes=report.changes,
            paragraphs=list(report.paragraphs_touched),
        )
        plan = self.rooms.room_id(RoomRef(RoomKind.FOLDER, folder=PLAN))
        if plan is not None:
            txn = txn_id("file-proposal", invocation.event_id)

            async def file() -> object:
                async with self._filing:
                    return await self.tools.transfer.post_file(
                        plan, data, proposal.file_name, DOCX, txn
                    )

            if self.after_reply is None:
                await file()
            else:  # the receipt first: the focal point is waiting for it
                self.after_reply.defer(invocation.event_id, file)
        return _info(proposal, report.marked)

    async def proposals_of(self, delegation: str) -> list[ProposalInfo]:
        return [_info(p) for p in await self.tools.registry.proposals(delegation=delegation)]

    async def _checked(self, invocation: Invocation, attachment: Attachment) -> _Checked:
        """The engine's check of a proposal file (SPEC §3), or a `Refusal` naming the file."""
        name = attachment.file_name
        roster = await self.roster()
        delegation = roster.delegation_of(UserId(invocation.sender)) if roster else None
        if invocation.role is not Role.FOCAL_POINT or delegation is None:
            raise InFile(name, OnlyFocalPoints("submits proposals"))
        base_name = proposed_base(name)
        base = await self.tools.registry.latest(base_name, PLAN.value)
        if base is None and delegation_of(name) is not None:
            folder_name = (await self.folders.all())[PLAN.value]
            raise InFile(name, NoBaseToPropose(base_name, folder_name))
        if base is None:
            raise InFile(name, NotAProposalName(delegation))
        if self.window is not None:
            try:
                base = await self.window.proposal_base(base)
            except Refusal as refusal:
                raise InFile(name, refusal) from None
        try:
            data = await self.tools.transfer.download(attachment)
        except Refusal as refusal:
            raise InFile(name, refusal) from None
        try:
            base_data = self.tools.files.get(base.sha256)
            result = await self.tools.engine.check(
                base.file_name, base_data, name, data, delegation
            )
        except DocumentRefused as refused:
            raise FileRefused(name, refused) from None
        if result.report is None:
            raise FileRefused(name, result.refusal or result.refused or "")
        return _Checked(base, delegation, data, result.report)


def _info(p: Proposal, marked: tuple[MarkedParagraph, ...] = ()) -> ProposalInfo:
    return ProposalInfo(
        p.delegation,
        p.file_name,
        p.base_file_name,
        p.base_version,
        p.changes,
        p.paragraphs,
        p.sha256,
        p.submitted_at,
        not stands(p),
        marked,
    )

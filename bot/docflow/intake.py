"""Proposal intake (SPEC §3): a focal point's upload in the plenary, checked, filed, receipted.

The checks, in order: the sender is a focal point; the file names a published document of the
plan folder (`documents.proposals.proposed_base`); it downloads and decrypts under the size cap;
the engine's proposal check passes. An accepted proposal is stored in the file store and
registered under its Matrix event *before* the receipt is worded, then filed (re-posted,
encrypted) in the plan folder with a transaction id derived from that event. `!check` in the
desk runs the same checks and files nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.docflow.engine import Engine
from bot.docflow.publishing import FolderNames
from bot.docflow.transfer import DOCX, FileTransfer, txn_id
from bot.governance.directory import RoomDirectory
from bot.governance.trust import RosterSource
from bot.storage.files import FileStore
from bot.storage.registry import Proposal, Published, Registry
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
from documents.jobs import CheckedProposal
from documents.proposals import delegation_of, proposed_base, stands
from room_policies.roles import FolderKey, Role, RoomKind, UserId
from room_policies.rooms import RoomRef

PLAN = FolderKey.PLAN


@dataclass(frozen=True)
class _Checked:
    base: Published
    delegation: str
    data: bytes
    report: CheckedProposal
    checked: ProposalChecked


class Intake:
    def __init__(
        self,
        *,
        rooms: RoomDirectory,
        registry: Registry,
        files: FileStore,
        transfer: FileTransfer,
        engine: Engine,
        folders: FolderNames,
        roster: RosterSource,
    ) -> None:
        self.rooms = rooms
        self.registry = registry
        self.files = files
        self.transfer = transfer
        self.engine = engine
        self.folders = folders
        self.roster = roster

    async def check(self, invocation: Invocation) -> ProposalChecked:
        """`!check`: the checks of an upload, filing nothing; a `Refusal` says why it would be
        refused."""
        attachment = await self.transfer.attachment(invocation)
        if attachment is None:
            raise NoFileGiven("check")
        return (await self._checked(invocation, attachment)).checked

    async def submit(
        self, invocation: Invocation, attachment: Attachment
    ) -> ProposalInfo | ProposalRefused:
        """A proposal uploaded in the plenary: filed, or refused (nothing filed)."""
        try:
            checked = await self._checked(invocation, attachment)
        except Refusal as refusal:
            return ProposalRefused(refusal.reason)
        base, report = checked.base, checked.report
        digest = self.files.put(checked.data)
        proposal = await self.registry.add_proposal(
            delegation=checked.delegation,
            base_file_name=base.file_name,
            base_version=base.version,
            file_name=attachment.file_name,
            sha256=digest,
            size=len(checked.data),
            submitted_by=invocation.sender,
            source_event_id=invocation.event_id,
            changes=report.changes,
            paragraphs=list(report.paragraphs_touched),
        )
        plan = self.rooms.room_id(RoomRef(RoomKind.FOLDER, folder=PLAN))
        if plan is not None:
            await self.transfer.post_file(
                plan,
                checked.data,
                proposal.file_name,
                DOCX,
                txn_id("file-proposal", invocation.event_id),
            )
        return _info(proposal)

    async def proposals_of(self, delegation: str) -> list[ProposalInfo]:
        return [_info(p) for p in await self.registry.proposals(delegation=delegation)]

    async def _checked(self, invocation: Invocation, attachment: Attachment) -> _Checked:
        """The engine's check of a proposal file (SPEC §3), or a `Refusal` naming the file."""
        name = attachment.file_name
        roster = await self.roster()
        delegation = roster.delegation_of(UserId(invocation.sender)) if roster else None
        if invocation.role is not Role.FOCAL_POINT or delegation is None:
            raise InFile(name, OnlyFocalPoints("submits proposals"))
        base_name = proposed_base(name)
        base = await self.registry.latest(base_name, PLAN.value)
        if base is None and delegation_of(name) is not None:
            folder_name = (await self.folders.all())[PLAN.value]
            raise InFile(name, NoBaseToPropose(base_name, folder_name))
        if base is None:
            raise InFile(name, NotAProposalName(delegation))
        try:
            data = await self.transfer.download(attachment)
        except Refusal as refusal:
            raise InFile(name, refusal) from None
        try:
            result = await self.engine.check(
                base.file_name, self.files.get(base.sha256), name, data, delegation
            )
        except DocumentRefused as refused:
            raise FileRefused(name, refused.reason) from None
        if result.report is None:
            raise FileRefused(name, result.refused or "")
        checked = ProposalChecked(result, base.file_name, base.version)
        return _Checked(base, delegation, data, result.report, checked)


def _info(p: Proposal) -> ProposalInfo:
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
    )

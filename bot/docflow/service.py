"""Documents in the chat (SPEC §3): publishing into the folders, proposal intake with receipts,
and compilation — the shell around the pure engine (`documents/`).

Every file is downloaded and decrypted by the bot, refused above the size cap, stored in the
content-addressed file store *before* anything acknowledges it, registered under the Matrix
event that brought it (so a crash and a second handling register nothing twice), and re-posted
encrypted where it belongs with transaction ids derived from that event (so the homeserver drops
a second copy). The engine runs in a worker process with time and memory limits, off the event
loop.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePath
from typing import Any, TypeVar

from nio import MegolmEvent, RoomGetEventResponse

from bot.governance.service import Governance
from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from bot.runtime.settings import Settings
from bot.storage.database import Database
from bot.storage.files import FileStore
from bot.storage.registry import Draft, Proposal, Published, Registry, Suggestion
from commands.documents_deps import CompileOutcome, ProposalInfo, PublishedInfo
from commands.reply import Reply
from commands.table import Attachment, Invocation, Refusal
from documents.errors import DocumentRefused
from documents.jobs import (
    CheckResult,
    CompileResult,
    check_job,
    compile_job,
    gate_job,
    output_names,
)
from documents.lifecycles import ParagraphStatus, SuggestionStatus
from documents.limits import Limits
from documents.parsing_child import parse_with_limits
from documents.proposals import delegation_of, proposed_base
from room_policies.roles import DelegationCode, FolderKey, Role, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import Folders

log = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PLAN = FolderKey.PLAN.value
_R = TypeVar("_R")
_ENGINE_LIMITS = Limits(parse_seconds=300.0, parse_memory_bytes=1536 * 1024 * 1024)


def _txn(kind: str, event_id: str) -> str:
    return f"plenaria-{kind}-" + hashlib.sha256(event_id.encode()).hexdigest()[:32]


class DocumentsService:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        gateway: Gateway,
        governance: Governance,
        files: FileStore,
    ) -> None:
        self.settings = settings
        self.gateway = gateway
        self.governance = governance
        self.files = files
        self.db = db
        # The engine's workers get threads of their own: the default pool also serves nio's
        # encrypted uploads, which must not queue behind 35 proposal checks.
        self._engine = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine")
        self.registry = Registry(db)

    # -- what the commands see -----------------------------------------------------------------

    @property
    def classifications(self) -> tuple[str, ...]:
        return tuple(c.lower() for c in self.settings.documents.classifications)

    @property
    def folders(self) -> dict[str, str]:
        roster = self.governance._roster
        folders = roster.folders if roster is not None else Folders()
        return {key.value: str(getattr(folders, key.value)) for key in FolderKey}

    async def attachment(self, invocation: Invocation) -> Attachment | None:
        """The file sent with the command, or the file message it replies to."""
        if invocation.attachment is not None:
            return invocation.attachment
        if invocation.reply_to is None:
            return None
        client = self.gateway.client
        resp = await client.room_get_event(invocation.room_id, invocation.reply_to)
        if not isinstance(resp, RoomGetEventResponse):
            return None
        event = resp.event
        if isinstance(event, MegolmEvent):
            try:
                event = client.decrypt_event(event)
            except Exception:  # an undecryptable file is no attachment
                return None
        return Attachment.from_content(invocation.reply_to, event.source.get("content", {}))

    async def publish(
        self,
        invocation: Invocation,
        attachment: Attachment,
        folder: str,
        *,
        title: str | None,
        symbol: str | None,
        classification: str,
        language: str | None,
    ) -> PublishedInfo:
        data = await self._download(attachment)
        published = await self._register(
            invocation.sender,
            invocation.event_id,
            attachment,
            data,
            folder,
            title=title,
            symbol=symbol,
            classification=classification,
            language=language,
        )
        return self._info(published)

    async def publish_file(
        self,
        data: bytes,
        file_name: str,
        folder: str,
        *,
        title: str,
        symbol: str | None,
        publisher: str,
        key: str,
    ) -> Published:
        """Publish a file the platform holds (not one sent in the chat): `key` names this
        publication once and for all, so doing it again publishes nothing new."""
        attachment = Attachment(file_name, DOCX, len(data), key, {})
        return await self._register(
            publisher,
            key,
            attachment,
            data,
            folder,
            title=title,
            symbol=symbol,
            classification=self.classifications[0],
            language=None,
        )

    async def current_documents(self, folder: str | None) -> list[PublishedInfo]:
        return [self._info(d) for d in await self.registry.current(folder)]

    async def proposals_of(self, delegation: str) -> list[ProposalInfo]:
        return [
            self._proposal_info(p) for p in await self.registry.proposals(delegation=delegation)
        ]

    # -- uploads: proposals in the plenary, documents straight into a folder -------------------

    async def upload(self, invocation: Invocation) -> Reply | None:
        attachment = invocation.attachment
        if attachment is None:
            return None
        if invocation.place == RoomKind.PLENARY.value:
            return await self._intake(invocation, attachment)
        ref = self.governance.rooms.ref_of(invocation.room_id)
        if ref is not None and ref.kind is RoomKind.FOLDER and ref.folder is not None:
            if invocation.role not in (Role.CHAIR, Role.SECRETARIAT):
                return None  # only they can post there (power levels): nothing to do
            data = await self._download(attachment)
            published = await self._register(
                invocation.sender,
                invocation.event_id,
                attachment,
                data,
                ref.folder.value,
                title=None,
                symbol=None,
                classification=self.classifications[0],
                language=None,
                repost=False,
            )
            return Reply.plain(
                f"Registered {published.file_name} as version {published.version} "
                f"({published.classification}); announced in the plenary."
            )
        return None

    async def _checked(
        self, invocation: Invocation, attachment: Attachment
    ) -> tuple[Published, str, bytes, CheckResult] | str:
        """The engine's check of a proposal file (SPEC §3), or why it is refused."""
        name = attachment.file_name
        roster = await self.governance.roster()
        delegation = roster.delegation_of(UserId(invocation.sender)) if roster else None
        if invocation.role is not Role.FOCAL_POINT or delegation is None:
            return f"{name}: only a delegation's focal point submits proposals."
        code = delegation_of(name)
        base_name = proposed_base(name)
        base = await self.registry.latest(base_name, PLAN)
        if code is not None and base is None:
            return (
                f"{name}: there is no published document “{base_name}” in the "
                f"{self.folders[PLAN]} folder to propose changes to."
            )
        if base is None:
            return f"{name}: a proposal is named {delegation}_<document>.docx."
        try:
            data = await self._download(attachment)
        except Refusal as refusal:
            return f"{name}: {refusal.reason}"
        try:
            result: CheckResult = await self._run(
                check_job,
                base.file_name,
                self.files.get(base.sha256),
                name,
                data,
                delegation,
            )
        except DocumentRefused as refused:
            return _named(name, refused.reason)
        if result.report is None:
            return _named(name, result.refused or "")
        return base, delegation, data, result

    async def check(self, invocation: Invocation) -> tuple[bool, list[str]]:
        attachment = await self.attachment(invocation)
        if attachment is None:
            return False, ["send !check as the caption of a file, or as a reply to one."]
        checked = await self._checked(invocation, attachment)
        if isinstance(checked, str):
            return False, [checked]
        base, _, _, result = checked
        return True, [*result.lines(), f"base: {base.file_name} version {base.version}"]

    async def set_status(
        self,
        invocation: Invocation,
        document: str,
        paragraphs: list[int],
        status: str,
        meeting: str | None,
    ) -> str:
        base = await self._compile_base(document)
        await self.registry.set_status(
            base.file_name, paragraphs, ParagraphStatus(status), invocation.sender, meeting
        )
        return base.file_name

    async def _intake(self, invocation: Invocation, attachment: Attachment) -> Reply:
        """A proposal uploaded in the plenary: a receipt or a refusal, in its thread."""
        name = attachment.file_name
        checked = await self._checked(invocation, attachment)
        if isinstance(checked, str):
            return _refusal(f"{checked} Nothing was filed.")
        base, delegation, data, result = checked
        assert result.report is not None
        report = result.report
        digest = self.files.put(data)
        proposal = await self.registry.add_proposal(
            delegation=delegation,
            base_file_name=base.file_name,
            base_version=base.version,
            file_name=name,
            sha256=digest,
            size=len(data),
            submitted_by=invocation.sender,
            source_event_id=invocation.event_id,
            changes=report.changes,
            paragraphs=list(report.paragraphs_touched),
        )
        await self._file_proposal(invocation.event_id, proposal, data)
        touched = ", ".join(str(n) for n in proposal.paragraphs) or "—"
        return Reply.titled(
            f"Receipt: {name}, the proposal of {delegation} on {base.file_name} "
            f"(version {base.version}), is filed.",
            [
                f"changes: {proposal.changes}",
                f"paragraphs touched: {touched}",
                f"sha256: {proposal.sha256}",
                f"received: {proposal.submitted_at:%Y-%m-%d %H:%M:%S} UTC",
            ],
        )

    async def _file_proposal(self, source_event_id: str, proposal: Proposal, data: bytes) -> None:
        room_id = self._folder_room(PLAN)
        if room_id is None:
            return
        await self._post_file(
            room_id, data, proposal.file_name, DOCX, _txn("file-proposal", source_event_id)
        )

    # -- reference suggestions -------------------------------------------------------------------

    async def suggest(self, invocation: Invocation) -> str:
        attachment = await self.attachment(invocation)
        if attachment is None:
            raise Refusal("send !suggest as the caption of a file, or as a reply to one.")
        if not invocation.delegation:
            raise Refusal("only a delegation's focal point suggests reference documents.")
        data = await self._download(attachment)
        await self._gate(PurePath(attachment.file_name).name or "document", data)
        digest = self.files.put(data)
        suggestion = await self.registry.suggest(
            delegation=invocation.delegation,
            file_name=PurePath(attachment.file_name).name or "document",
            sha256=digest,
            size=len(data),
            mimetype=attachment.mimetype,
            suggested_by=invocation.sender,
            source_event_id=invocation.event_id,
        )
        moderation = self.governance.rooms.room_id(RoomRef(RoomKind.MODERATION))
        if moderation is not None:
            event_id, _ = await self._post_file(
                moderation,
                data,
                suggestion.file_name,
                suggestion.mimetype,
                _txn("suggestion", invocation.event_id),
            )
            await self.gateway.send_notice(
                moderation,
                Reply.plain(
                    f"Suggestion #{suggestion.id} from {suggestion.delegation}: "
                    f"{suggestion.file_name}, as a reference document. !accept "
                    f"{suggestion.id} or !decline {suggestion.id} <reason>."
                ),
                in_reply_to=event_id,
                txn_id=_txn("suggestion-notice", invocation.event_id),
            )
        return (
            f"Suggestion #{suggestion.id} ({suggestion.file_name}) is with the Chair; you will "
            "be told in your desk whether it is accepted."
        )

    async def references(self) -> list[str]:
        return [
            f"#{s.id} {s.delegation}: {s.file_name}, {s.suggested_at:%Y-%m-%d} — {s.status}"
            + (f" ({s.reason})" if s.reason else "")
            for s in await self.registry.suggestions()
        ]

    async def accept_suggestion(
        self, invocation: Invocation, number: int, title: str | None, symbol: str | None
    ) -> str:
        suggestion = await self._pending(number)
        data = self.files.get(suggestion.sha256)
        attachment = Attachment(
            suggestion.file_name, suggestion.mimetype, suggestion.size, invocation.event_id, {}
        )
        published = await self._register(
            invocation.sender,
            f"suggestion-{suggestion.id}",
            attachment,
            data,
            FolderKey.REFERENCE.value,
            title=title,
            symbol=symbol,
            classification=self.classifications[0],
            language=None,
        )
        await self.registry.decide(number, SuggestionStatus.ACCEPTED, invocation.sender, None)
        await self._tell_desk(
            suggestion.delegation,
            f"Your suggestion #{number} ({suggestion.file_name}) was accepted and published in "
            f"{self.folders[FolderKey.REFERENCE.value]} (version {published.version}).",
            invocation.event_id,
        )
        return (
            f"Suggestion #{number} accepted: {published.file_name} is published in "
            f"{self.folders[FolderKey.REFERENCE.value]}; {suggestion.delegation} is told."
        )

    async def decline_suggestion(self, invocation: Invocation, number: int, reason: str) -> str:
        suggestion = await self._pending(number)
        await self.registry.decide(number, SuggestionStatus.DECLINED, invocation.sender, reason)
        await self._tell_desk(
            suggestion.delegation,
            f"Your suggestion #{number} ({suggestion.file_name}) was declined: {reason}",
            invocation.event_id,
        )
        return f"Suggestion #{number} declined; {suggestion.delegation} is told why."

    async def _pending(self, number: int) -> Suggestion:
        suggestion = await self.registry.suggestion(number)
        if suggestion is None:
            raise Refusal(f"there is no suggestion #{number}; see !references.")
        if not suggestion.status.may_become(SuggestionStatus.ACCEPTED):
            raise Refusal(f"suggestion #{number} was already {suggestion.status}.")
        return suggestion

    async def _tell_desk(self, delegation: str, text: str, source_event_id: str) -> None:
        desk = self.governance.rooms.room_id(
            RoomRef(RoomKind.DESK, delegation=DelegationCode(delegation))
        )
        if desk is not None:
            await self.gateway.send_notice(
                desk, Reply.plain(text), txn_id=_txn("desk", source_event_id)
            )

    # -- late joiners ---------------------------------------------------------------------------

    async def member_joined(self, room_id: str, user_id: str, event_id: str) -> None:
        """A member who joins a folder room gets its current documents anew: Matrix gives a late
        joiner no keys to earlier messages (SPEC §3)."""
        ref = self.governance.rooms.ref_of(room_id)
        if ref is None or ref.kind is not RoomKind.FOLDER or ref.folder is None:
            return
        documents = [
            d for d in await self.registry.current(ref.folder.value) if d.file_info is not None
        ]
        if not documents:
            return
        await self.gateway.refresh_keys([user_id])
        await self.gateway.send_notice(
            room_id,
            Reply.plain(
                f"Welcome, {user_id}: the current documents of this folder follow (sent again, "
                "so that you can open them)."
            ),
            txn_id=_txn("welcome", event_id),
        )
        for document in documents:
            assert document.file_info is not None
            await self.gateway.send_file(
                room_id,
                document.file_name,
                document.file_info,
                document.size,
                document.mimetype,
                txn_id=_txn(f"resend-{document.id}", event_id),
            )

    # -- compilation ------------------------------------------------------------------------------

    async def compile(self, invocation: Invocation, document: str | None) -> CompileOutcome:
        base = await self._compile_base(document)
        standing = await self.registry.latest_proposals(base.file_name, base.version)
        if not standing:
            raise Refusal(f"there is no proposal on {base.file_name} to compile.")
        base_data = self.files.get(base.sha256)
        proposals = [(p.file_name, self.files.get(p.sha256)) for p in standing]
        roster = await self.governance.roster()
        names = {d.code: d.name for d in roster.delegations} if roster else None
        statuses = await self.registry.statuses(base.file_name)
        try:
            result: CompileResult = await self._run(
                compile_job,
                base.file_name,
                base_data,
                proposals,
                names=names,
                statuses=statuses,
            )
        except DocumentRefused as refused:
            raise Refusal(refused.reason) from None
        revision_name, matrix_name = output_names(base.file_name, base.version)
        # The draft !distribute publishes: what was compiled, not what would be compiled now.
        await self.registry.save_draft(
            base.file_name,
            Draft(
                base.version,
                self.files.put(result.revision),
                self.files.put(result.clean),
                revision_name,
                invocation.sender,
            ),
        )
        for file_name, data in ((revision_name, result.revision), (matrix_name, result.matrix)):
            self.files.put(data)
            await self._post_file(
                invocation.room_id,
                data,
                file_name,
                DOCX,
                _txn(f"compile-{file_name}", invocation.event_id),
                thread_root=invocation.event_id,
            )
        return CompileOutcome(base.file_name, revision_name, matrix_name, result.summary())

    async def distribute(self, invocation: Invocation, document: str | None) -> str:
        """Publish the last compiled draft in the plan folder: the revised text (every change
        accepted, conflicts in brackets) as the next version of the document, on which the
        next proposals are made, and the revision with its tracked changes beside it."""
        base = await self._compile_base(document)
        draft = await self.registry.draft(base.file_name)
        if draft is None:
            raise Refusal(f"{base.file_name} has not been compiled yet: !compile it first.")
        if draft.base_version != base.version:
            raise Refusal(
                f"the last compilation was made on version {draft.base_version} of "
                f"{base.file_name}, which is now at version {base.version}: !compile again."
            )
        revision = await self._register(
            invocation.sender,
            f"{invocation.event_id}:revision",
            Attachment(draft.revision_name, DOCX, None, invocation.event_id, {}),
            self.files.get(draft.revision),
            PLAN,
            title=f"{base.title} — revision with the delegations' changes",
            symbol=base.symbol,
            classification=base.classification,
            language=base.language,
        )
        clean = await self._register(
            invocation.sender,
            f"{invocation.event_id}:clean",
            Attachment(base.file_name, DOCX, None, invocation.event_id, {}),
            self.files.get(draft.clean),
            PLAN,
            title=base.title,
            symbol=base.symbol,
            classification=base.classification,
            language=base.language,
        )
        return (
            f"Distributed in {self.folders[PLAN]}: {clean.file_name} version {clean.version} "
            f"(the revised text: every change accepted, conflicts in brackets; proposals are now "
            f"made on it) and {revision.file_name} (the delegations' tracked changes). Both are "
            "announced in the plenary."
        )

    async def _compile_base(self, document: str | None) -> Published:
        plan = await self.registry.current(PLAN)
        if document is not None:
            wanted = document if document.lower().endswith(".docx") else f"{document}.docx"
            found = [d for d in plan if d.file_name.lower() == wanted.lower()]
            if not found:
                raise Refusal(f"there is no published document {wanted} in the plan folder.")
            return found[0]
        with_proposals = [d for d in plan if await self.registry.latest_proposals(d.file_name)]
        if len(with_proposals) == 1:
            return with_proposals[0]
        if not with_proposals:
            raise Refusal("no document has proposals to compile yet.")
        names = ", ".join(d.file_name for d in with_proposals)
        raise Refusal(f"say which document to compile: {names}.")

    async def _gate(self, file_name: str, data: bytes) -> None:
        """Every Office package the platform re-posts to the delegations passes the same gate as a
        proposal (links, fields, macros, embedded packages…), checked in a worker."""
        if not data.startswith(b"PK\x03\x04"):
            return  # not an Office Open XML package (a PDF, say): nothing of it is parsed
        try:
            reason = await self._run(gate_job, data)
        except DocumentRefused as refused:
            reason = refused.reason
        if reason:
            raise Refusal(_named(file_name, reason))

    async def _run(self, job: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
        """An engine job in a worker process with limits, off the event loop."""
        call = functools.partial(parse_with_limits, job, *args, limits=_ENGINE_LIMITS, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._engine, call)

    async def _post_file(
        self,
        room_id: str,
        data: bytes,
        file_name: str,
        mimetype: str,
        txn_id: str,
        *,
        thread_root: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """A copy of the file, freshly encrypted, posted in the room: its event and file data."""
        file_info = await self.gateway.upload_encrypted(data, file_name, mimetype)
        event_id = await self.gateway.send_file(
            room_id,
            file_name,
            file_info,
            len(data),
            mimetype,
            txn_id=txn_id,
            thread_root=thread_root,
        )
        return event_id, file_info

    # -- shared ---------------------------------------------------------------------------------

    async def _download(self, attachment: Attachment) -> bytes:
        cap = self.settings.documents.max_bytes
        if attachment.size is not None and attachment.size > cap:
            raise Refusal(f"the file is {_size(attachment.size)}; the limit is {_size(cap)}.")
        content = attachment.content
        try:
            if isinstance(content.get("file"), dict):
                return await self.gateway.download_encrypted(dict(content["file"]), cap)
        except MatrixError as exc:
            if exc.code == "too_large":
                raise Refusal(f"the file is larger than {_size(cap)}.") from None
            raise Refusal("the file could not be downloaded and decrypted.") from None
        raise Refusal("the file is not end-to-end encrypted; send it in an encrypted room.")

    async def _register(
        self,
        sender: str,
        source_event_id: str,
        attachment: Attachment,
        data: bytes,
        folder: str,
        *,
        title: str | None,
        symbol: str | None,
        classification: str,
        language: str | None,
        repost: bool = True,
    ) -> Published:
        file_name = PurePath(attachment.file_name).name or "document"
        await self._gate(file_name, data)
        digest = self.files.put(data)
        published = await self.registry.publish(
            folder=folder,
            title=title or PurePath(file_name).stem,
            file_name=file_name,
            symbol=symbol,
            classification=classification,
            language=language or self.settings.language,
            sha256=digest,
            size=len(data),
            mimetype=attachment.mimetype,
            publisher=sender,
            source_event_id=source_event_id,
        )
        if published.event_id is None:
            await self._post(
                published, data, source_event_id, repost, attachment.content.get("file")
            )
        return published

    async def _post(
        self,
        published: Published,
        data: bytes,
        source_event_id: str,
        repost: bool,
        attachment_file: Any = None,
    ) -> None:
        room_id = self._folder_room(published.folder)
        if room_id is None:
            raise Refusal("the folder rooms are not provisioned yet; try again in a moment.")
        folder_name = self.folders[published.folder]
        file_info: dict[str, Any] = dict(attachment_file or {})
        event_id = source_event_id
        if repost:
            event_id, file_info = await self._post_file(
                room_id,
                data,
                published.file_name,
                published.mimetype,
                _txn("publish", source_event_id),
            )
        notice = (
            f"{published.title} — {published.file_name}, version {published.version}"
            + (f", {published.symbol}" if published.symbol else "")
            + f", {published.classification}."
        )
        await self.gateway.send_notice(
            room_id,
            Reply.plain(notice),
            in_reply_to=event_id,
            txn_id=_txn("publish-notice", source_event_id),
        )
        await self.registry.posted(published.id, room_id, event_id, file_info)
        plenary = self.governance.rooms.room_id(RoomRef(RoomKind.PLENARY))
        if plenary is not None:
            link = f"https://matrix.to/#/{room_id}/{event_id}"
            await self.gateway.send_notice(
                plenary,
                Reply(
                    text=f"New in {folder_name}: {notice} {link}",
                    html=f'New in <b>{folder_name}</b>: <a href="{link}">{notice}</a>',
                ),
                txn_id=_txn("announce", source_event_id),
            )

    def _folder_room(self, folder: str) -> str | None:
        return self.governance.rooms.room_id(RoomRef(RoomKind.FOLDER, folder=FolderKey(folder)))

    def _info(self, d: Published) -> PublishedInfo:
        return PublishedInfo(
            d.folder,
            self.folders.get(d.folder, d.folder),
            d.title,
            d.file_name,
            d.version,
            d.symbol,
            d.classification,
            d.language,
            d.sha256,
            d.publisher,
            d.published_at,
        )

    @staticmethod
    def _proposal_info(p: Proposal) -> ProposalInfo:
        return ProposalInfo(
            p.delegation,
            p.file_name,
            p.base_file_name,
            p.base_version,
            p.changes,
            p.paragraphs,
            p.sha256,
            p.submitted_at,
            p.superseded_by is not None,
        )


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1e3:.0f} kB"


def _named(name: str, reason: str) -> str:
    """The engine's reason, with the file's name unless it says it already."""
    return reason if name in reason else f"{name}: {reason}"


def _refusal(text: str) -> Reply:
    return Reply.plain(f"Refused: {text}")

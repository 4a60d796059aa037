"""Compilation, distribution and paragraph statuses (SPEC §3), all on a document of the plan
folder chosen by `documents.proposals.select_base`.

`!compile` runs the engine on the standing proposals made on the document's current version,
keeps the result as the document's draft and posts the revision and the compilation matrix in
the moderation room; the close of a round does the same on its own (`compile_round`).
`!distribute` publishes that draft — what was compiled, not what would be
compiled now — as the document's next version. `!agree` and `!approve` mark paragraphs, as the
paragraph-status lifecycle allows (`documents.lifecycles.ParagraphStatus`); each mark is also
kept in the paragraph's history, with the version (and the round on it, if one was held) it was
made on, which the compilation matrix's last column shows.
"""

from __future__ import annotations

from bot.docflow.publishing import Publisher
from bot.docflow.tools import DocumentTools
from bot.docflow.transfer import DOCX, txn_id
from bot.governance.trust import RosterSource
from bot.storage.paragraph_history import ParagraphHistory
from bot.storage.registry import Draft, Published
from commands import announcements
from commands.document_refusals import (
    CompiledOnAnotherVersion,
    EngineRefusal,
    NotCompiledYet,
    NothingToCompile,
    StatusNotAllowed,
)
from commands.documents_deps import (
    CompileOutcome,
    Distributed,
    ParagraphMarking,
    Publication,
    PublishedInfo,
)
from commands.i18n import LANGUAGES, translator
from commands.rounds_deps import RoundClosed, RoundInfo
from commands.table import Attachment, Invocation
from documents.errors import DocumentRefused
from documents.jobs import CompileResult, output_names
from documents.lifecycles import ParagraphStatus
from room_policies.roles import FolderKey

PLAN = FolderKey.PLAN.value


class Compiler:
    def __init__(
        self,
        *,
        tools: DocumentTools,
        publisher: Publisher,
        roster: RosterSource,
        history: ParagraphHistory,
    ) -> None:
        self.tools = tools
        self.publisher = publisher
        self.roster = roster
        self.history = history

    async def compile(self, invocation: Invocation, document: str | None) -> CompileOutcome:
        base = await self.tools.document_in_plan(document)
        outcome, _ = await self._compile(
            base, invocation.sender, invocation.room_id, invocation.event_id, invocation.event_id
        )
        if outcome is None:
            raise NothingToCompile(base.file_name)
        return outcome

    async def compile_round(
        self, info: RoundInfo, room_id: str, seed: str, compiled_by: str
    ) -> RoundClosed:
        """The compilation at a round's close (the same as `!compile`), posted in `room_id`
        under transaction ids derived from `seed`; who submitted and who did not."""
        registry = self.tools.registry
        base = await registry.version(info.document, info.version, PLAN)
        roster = await self.roster()
        codes = tuple(sorted(d.code for d in roster.delegations)) if roster else ()
        if base is None:  # the document was never published in the plan folder: nothing to do
            return RoundClosed(info, (), codes, (), None, None)
        outcome, result = await self._compile(base, compiled_by, room_id, seed, None)
        standing = await registry.latest_proposals(base.file_name, base.version)
        submitted = tuple(sorted({p.delegation for p in standing}))
        missing = tuple(c for c in codes if c not in submitted)
        if outcome is None or result is None:
            return RoundClosed(info, submitted, missing, (), None, None)
        conflicts = tuple(p.number for p in result.compilation.paragraphs if p.conflicts)
        return RoundClosed(
            info,
            submitted,
            missing,
            conflicts,
            outcome.revision_name,
            outcome.matrix_name,
            outcome,
        )

    async def _compile(
        self, base: Published, compiled_by: str, room_id: str, seed: str, thread_root: str | None
    ) -> tuple[CompileOutcome | None, CompileResult | None]:
        """Compile the standing proposals on `base`, keep the draft, post the revision and the
        matrix in `room_id` (transaction ids derived from `seed`); None if there are none."""
        registry, files = self.tools.registry, self.tools.files
        standing = await registry.latest_proposals(base.file_name, base.version)
        if not standing:
            return None, None
        roster = await self.roster()
        try:
            result = await self.tools.engine.compile(
                base.file_name,
                files.get(base.sha256),
                [(p.file_name, files.get(p.sha256)) for p in standing],
                names={d.code: d.name for d in roster.delegations} if roster else None,
                statuses=await registry.statuses(base.file_name),
                history=await self.history.by_paragraph(base.file_name),
            )
        except DocumentRefused as refused:
            raise EngineRefusal(refused) from None
        revision_name, matrix_name = output_names(base.file_name, base.version)
        # The draft !distribute publishes: what was compiled, not what would be compiled now.
        draft = Draft(
            base.version,
            files.put(result.revision),
            files.put(result.clean),
            revision_name,
            compiled_by,
        )
        await registry.save_draft(base.file_name, draft)
        for file_name, data in ((revision_name, result.revision), (matrix_name, result.matrix)):
            files.put(data)
            await self.tools.transfer.post_file(
                room_id,
                data,
                file_name,
                DOCX,
                txn_id(f"compile-{file_name}", seed),
                thread_root=thread_root,
            )
        outcome = CompileOutcome(
            base.file_name, revision_name, matrix_name, result.compilation, result.left_out
        )
        return outcome, result

    async def distribute(self, invocation: Invocation, document: str | None) -> Distributed:
        """Publish the last compiled draft in the plan folder: the revised text (every change
        accepted, conflicts in brackets) as the next version of the document, on which the
        next proposals are made, and the revision with its tracked changes beside it."""
        base = await self.tools.document_in_plan(document)
        draft = await self.tools.registry.draft(base.file_name)
        if draft is None:
            raise NotCompiledYet(base.file_name)
        if draft.base_version != base.version:
            raise CompiledOnAnotherVersion(base.file_name, draft.base_version, base.version)

        async def publish(part: str, file_name: str, digest: str, title: str) -> PublishedInfo:
            return await self.publisher.register(
                invocation.sender,
                f"{invocation.event_id}:{part}",
                Attachment(file_name, DOCX, None, invocation.event_id, {}),
                self.tools.files.get(digest),
                Publication(PLAN, title, base.symbol, base.classification, base.language),
            )

        # The revision's title is worded once, in the document's language.
        language = base.language if base.language in LANGUAGES else self.publisher.language
        revision_title = announcements.revision_title(base.title, translator(language))
        revision = await publish("revision", draft.revision_name, draft.revision, revision_title)
        clean = await publish("clean", base.file_name, draft.clean, base.title)
        return Distributed(clean.folder_name, clean.file_name, clean.version, revision.file_name)

    async def mark_paragraphs(self, invocation: Invocation, marking: ParagraphMarking) -> str:
        """Mark the paragraphs (their lifecycle allowing it); the document's file name."""
        base = await self.tools.document_in_plan(marking.document)
        marked = await self.tools.registry.statuses(base.file_name)
        refused = [
            n
            for n in marking.paragraphs
            if not marked.get(n, ParagraphStatus.OPEN).may_become(marking.status)
        ]
        if refused:
            raise StatusNotAllowed(refused, marking.status)
        held = (await self.history.rounds(base.file_name)).get(base.version)
        await self.tools.registry.set_status(
            base.file_name,
            marking.paragraphs,
            marking.status,
            invocation.sender,
            marking.meeting,
            version=base.version,
            round_id=held.id if held is not None else None,
        )
        return base.file_name

"""`!agree DOC PARAGRAPHS` and `!approve DOC PARAGRAPHS --meeting DATE` (moderation room).

A paragraph agreed in the virtual discussion is only "agreed ad referendum" until approved at a
formal meeting (SPEC §3); the next compilation matrix shows the status.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.document_refusals import paragraph_status_word
from commands.documents_deps import ParagraphMarking
from commands.i18n import N_, translator
from commands.paragraphs import parse_paragraphs
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation
from documents.lifecycles import ParagraphStatus

AGREE_SUMMARY = N_("mark paragraphs of a document agreed ad referendum")
APPROVE_SUMMARY = N_("mark paragraphs of a document approved at a formal meeting")


class AgreeArgs(BaseArgs):
    positional = ("document", "paragraphs")
    document: str = Field(description=N_("the document, e.g. Matriz.docx"))
    paragraphs: str = Field(description=N_("paragraph numbers, e.g. 3,5-7"))


class ApproveArgs(AgreeArgs):
    meeting: str = Field(description=N_("the formal meeting, e.g. 2026-12-12"))


class Deps(Protocol):
    async def mark_paragraphs(self, invocation: Invocation, marking: ParagraphMarking) -> str:
        """The document's file name as published; a `Refusal` if there is no such document or
        a paragraph's status may not become the one asked (documents.lifecycles)."""
        ...


async def _set(
    deps: Deps,
    invocation: Invocation,
    args: AgreeArgs,
    status: ParagraphStatus,
    meeting: str | None,
) -> Reply:
    _ = translator(invocation.language)
    try:
        numbers = parse_paragraphs(args.paragraphs, _=_)
    except ValueError as exc:
        return Reply.plain(_("Refused: {reason}.").format(reason=exc))
    marking = ParagraphMarking(args.document, numbers, status, meeting)
    document = await deps.mark_paragraphs(invocation, marking)
    listed = ", ".join(str(n) for n in numbers)
    if meeting:
        sentence = _(
            "{document}: paragraph(s) {paragraphs} {status} at the meeting of {meeting}. The next "
            "compilation matrix shows it."
        )
    else:
        sentence = _(
            "{document}: paragraph(s) {paragraphs} {status}. The next compilation matrix shows it."
        )
    return Reply.plain(
        sentence.format(
            document=document,
            paragraphs=listed,
            status=paragraph_status_word(status, _),
            meeting=meeting,
        )
    )


async def agree(deps: Deps, invocation: Invocation, args: AgreeArgs) -> Reply:
    return await _set(deps, invocation, args, ParagraphStatus.AGREED_AD_REFERENDUM, None)


async def approve(deps: Deps, invocation: Invocation, args: ApproveArgs) -> Reply:
    return await _set(deps, invocation, args, ParagraphStatus.APPROVED, args.meeting)

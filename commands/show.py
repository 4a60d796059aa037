"""`!show CODE DOCUMENT [PARAGRAPH]`: a delegation's standing proposal in the chat (issue #14).

`!show AG Matriz.docx` lists every change of AG's standing proposal on Matriz.docx, paragraph by
paragraph, with the words around each change (insertions `{+…+}` and deletions `[-…-]` in the
plain body, underlined and struck in HTML, as in the receipt); `!show AG Matriz.docx 12` only
those on paragraph 12. Nothing is cut: a long proposal comes in several messages. Plenary and
desk (focal points), moderation room (Chair, Secretariat): a proposal is filed in the plan
folder, which every delegation reads.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.documents_deps import ShownProposal
from commands.i18n import N_, translator
from commands.marked_text import Text, changed_paragraphs
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = N_("every change of a delegation's standing proposal on a document, or on one paragraph")


class Args(BaseArgs):
    positional = ("code", "document", "paragraph")
    code: str = Field(min_length=2, max_length=2, description=N_("the delegation's code, e.g. AG"))
    document: str = Field(description=N_("the document, e.g. Matriz.docx"))
    paragraph: int | None = Field(
        default=None, ge=1, description=N_("only this paragraph, e.g. 12 (default: every one)")
    )


class Deps(Protocol):
    async def show(self, delegation: str, document: str, paragraph: int | None) -> ShownProposal:
        """The delegation's standing proposal on the document and its changes (on `paragraph`
        only, if given); a `Refusal` if there is no such document, proposal or paragraph."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    shown = await deps.show(args.code.upper(), args.document, args.paragraph)
    facts = {
        "file": shown.file_name,
        "delegation": shown.delegation,
        "document": shown.base_file_name,
        "version": shown.base_version,
        "paragraph": shown.paragraph,
    }
    if shown.paragraph is not None and not shown.changes:
        return Reply.plain(
            _(
                "{file}, the proposal of {delegation} on {document} (version {version}), does "
                "not change paragraph {paragraph}."
            ).format(**facts)
        )
    out = Text()
    if shown.paragraph is not None:
        title = _(
            "{file}, the proposal of {delegation} on {document} (version {version}), on "
            "paragraph {paragraph}:"
        )
    else:
        title = _(
            "{file}, the proposal of {delegation} on {document} (version {version}): "
            "{count} paragraph(s) changed."
        )
    out.heading(title.format(count=len(shown.changes), **facts))
    out.items(changed_paragraphs(shown.changes, _, show=""))
    return out.reply()

"""Reference suggestions (SPEC §3): a delegation sends a document to the Chair, who accepts or
declines it.

`!suggest` (plenary or desk, on a file) → queued and shown in the moderation room;
`!references`, `!accept N`, `!decline N reason` (moderation room) → the focal point is told in
their desk; an accepted document is published in the Reference documents folder.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.dates import day
from commands.document_refusals import suggestion_status_word
from commands.documents_deps import SuggestionAccepted, SuggestionInfo
from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation, NoArgs

SUGGEST_SUMMARY = N_("suggest a reference document (caption or reply) to the Chair")
REFERENCES_SUMMARY = N_("list the reference documents delegations suggested")
ACCEPT_SUMMARY = N_("accept suggestion N: it is published in the reference folder")
DECLINE_SUMMARY = N_("decline suggestion N, with the reason the delegation is told")


class SuggestArgs(NoArgs):
    pass


class ReferencesArgs(NoArgs):
    pass


class AcceptArgs(BaseArgs):
    positional = ("number",)
    number: int = Field(ge=1, description=N_("the suggestion's number (see !references)"))
    title: str | None = Field(default=None, description=N_("the title (default: the file name)"))
    symbol: str | None = Field(default=None, description=N_("the document symbol, if any"))


class DeclineArgs(BaseArgs):
    positional = ("number", "reason")
    rest_of_line = True
    number: int = Field(ge=1, description=N_("the suggestion's number (see !references)"))
    reason: str = Field(min_length=3, description=N_("why, in a sentence the delegation reads"))


class Deps(Protocol):
    async def suggest(self, invocation: Invocation) -> SuggestionInfo:
        """Queue the file for the Chair (shown in the moderation room)."""
        ...

    async def references(self) -> list[SuggestionInfo]: ...

    async def accept_suggestion(
        self, invocation: Invocation, number: int, title: str | None, symbol: str | None
    ) -> SuggestionAccepted:
        """Publish it in the reference folder and tell the delegation's desk."""
        ...

    async def decline_suggestion(
        self, invocation: Invocation, number: int, reason: str
    ) -> SuggestionInfo:
        """Tell the delegation's desk why; the suggestion as declined."""
        ...


async def suggest(deps: Deps, invocation: Invocation, args: SuggestArgs) -> Reply:
    _ = translator(invocation.language)
    queued = await deps.suggest(invocation)
    return Reply.plain(
        _(
            "Suggestion #{number} ({file}) is with the Chair; you will be told in your desk "
            "whether it is accepted."
        ).format(number=queued.number, file=queued.file_name)
    )


async def references(deps: Deps, invocation: Invocation, args: ReferencesArgs) -> Reply:
    _ = translator(invocation.language)
    suggestions = await deps.references()
    if not suggestions:
        return Reply.plain(_("No reference document has been suggested."))
    lines = [
        f"#{s.number} {s.delegation}: {s.file_name}, "
        + day(s.suggested_at, invocation.language, invocation.timezone)
        + " — "
        + suggestion_status_word(s.status, _)
        + (f" ({s.reason})" if s.reason else "")
        for s in suggestions
    ]
    return Reply.titled(_("Suggested reference documents:"), lines)


async def accept(deps: Deps, invocation: Invocation, args: AcceptArgs) -> Reply:
    _ = translator(invocation.language)
    accepted = await deps.accept_suggestion(invocation, args.number, args.title, args.symbol)
    suggestion, published = accepted.suggestion, accepted.published
    return Reply.plain(
        _(
            "Suggestion #{number} accepted: {file} is published in {folder}; {delegation} is told."
        ).format(
            number=suggestion.number,
            file=published.file_name,
            folder=published.folder_name,
            delegation=suggestion.delegation,
        )
    )


async def decline(deps: Deps, invocation: Invocation, args: DeclineArgs) -> Reply:
    _ = translator(invocation.language)
    declined = await deps.decline_suggestion(invocation, args.number, args.reason)
    return Reply.plain(
        _("Suggestion #{number} declined; {delegation} is told why.").format(
            number=declined.number, delegation=declined.delegation
        )
    )

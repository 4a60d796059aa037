"""`!history DOCUMENT PARAGRAPH` and `!pending [DOCUMENT]` (issue #12, III.G).

`!history Matriz 12` (or `12 bis`) tells a paragraph's story: its text at each version of the
document, each delegation's proposal on it in the round on that version (insertions `{+…+}`
and deletions `[-…-]` in the plain body, underlined and struck in HTML, cut when long), and each
status it took — agreed ad referendum in round N, approved at the meeting of DATE — or that it
is pending. "Round N" is the discussion on version N; its dates and formal meeting are given
when a round was held on that version (`!round`). Plenary and desk (focal points), moderation
room (Chair, Secretariat).

`!pending` lists, for the Chair before a formal meeting, the paragraphs agreed ad referendum and
not approved since, which that meeting must approve (`!approve … --meeting`). Moderation room.
"""

from __future__ import annotations

import html
from typing import Protocol

from pydantic import Field

from commands.dates import calendar_day, when
from commands.documents_deps import (
    ParagraphStory,
    PendingApprovals,
    ProposedChange,
    StatusStep,
    VersionText,
)
from commands.i18n import N_, Translate, translator
from commands.marked_text import Line, Text, escaped, marked
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation
from documents.lifecycles import ParagraphStatus

HISTORY_SUMMARY = N_("a paragraph's text at each version, the proposals on it and its statuses")
PENDING_SUMMARY = N_("paragraphs agreed ad referendum that a formal meeting has yet to approve")


class HistoryArgs(BaseArgs):
    positional = ("document", "paragraph")
    rest_of_line = True
    document: str = Field(description=N_("the document, e.g. Matriz.docx"))
    paragraph: str = Field(description=N_("the paragraph, e.g. 12 or 12 bis"))


class PendingArgs(BaseArgs):
    positional = ("document",)
    document: str | None = Field(
        default=None, description=N_("the base file name, e.g. Matriz.docx (default: the only one)")
    )


class Deps(Protocol):
    async def story(self, document: str, paragraph: str) -> ParagraphStory:
        """The paragraph's story; a `Refusal` if there is no such document or paragraph."""
        ...

    async def pending(self, document: str | None) -> PendingApprovals:
        """What awaits approval on the document; a `Refusal` if there is no such document."""
        ...


def _proposed(change: ProposedChange) -> Line:
    plain, rich = marked(change.pieces)
    label = f"{change.delegation}: "
    return label + plain, f"<strong>{html.escape(label)}</strong>" + rich


def _version_heading(v: VersionText, _: Translate) -> str:
    if v.text is None:
        return _("Version {version}: the paragraph was not in this version.").format(
            version=v.version
        )
    return _("Version {version}, paragraph {number}: “{text}”").format(
        version=v.version, number=v.number, text=v.text
    )


def _round_line(v: VersionText, invocation: Invocation, _: Translate) -> str | None:
    if v.opens_at is None or v.closes_at is None:
        return None
    language, zone = invocation.language, invocation.timezone
    times = {
        "round": v.version,
        "opens": when(v.opens_at, language, zone),
        "closes": when(v.closes_at, language, zone),
    }
    if v.meeting:
        return _(
            "Round {round}: open from {opens} to {closes}, for the formal meeting of {meeting}."
        ).format(meeting=calendar_day(v.meeting, language), **times)
    return _("Round {round}: open from {opens} to {closes}.").format(**times)


def _status_line(step: StatusStep, invocation: Invocation, _: Translate) -> str:
    moment = when(step.set_at, invocation.language, invocation.timezone)
    if step.status is ParagraphStatus.APPROVED and step.meeting:
        sentence = _("{when}: approved at the meeting of {meeting}.")
    elif step.status is ParagraphStatus.APPROVED:
        sentence = _("{when}: approved.")
    elif step.version is not None:
        sentence = _("{when}: agreed ad referendum in round {round}.")
    else:
        sentence = _("{when}: agreed ad referendum.")
    meeting = calendar_day(step.meeting or "", invocation.language)
    return sentence.format(when=moment, meeting=meeting, round=step.version)


async def history(deps: Deps, invocation: Invocation, args: HistoryArgs) -> Reply:
    _ = translator(invocation.language)
    story = await deps.story(args.document, args.paragraph)
    out = Text()
    out.heading(
        _("History of paragraph {paragraph} of {document}").format(
            paragraph=story.paragraph, document=story.document
        )
    )
    for v in story.versions:
        out.heading(_version_heading(v, _))
        lines = []
        round_line = _round_line(v, invocation, _)
        if round_line:
            lines.append(escaped(round_line))
        changes = [_proposed(p) for p in story.proposals if p.version == v.version]
        if not changes:
            lines.append(
                escaped(
                    _("No delegation proposed a change to it on version {version}.").format(
                        version=v.version
                    )
                )
            )
        out.items(lines + changes)
    out.heading(_("Status"))
    if story.statuses:
        out.items([escaped(_status_line(s, invocation, _)) for s in story.statuses])
    else:
        out.items([escaped(_("Pending: no status has been set yet."))])
    return out.reply()


async def pending(deps: Deps, invocation: Invocation, args: PendingArgs) -> Reply:
    awaiting = await deps.pending(args.document)
    return pending_reply(awaiting, invocation.language, invocation.timezone)


def pending_reply(awaiting: PendingApprovals, language: str, zone: str) -> Reply:
    """What the formal meeting must approve, in `language` (`!pending`; also for a summary the
    platform sends on its own before the meeting, e.g. at a round's close)."""
    _ = translator(language)
    if not awaiting.paragraphs:
        return Reply.plain(
            _("{document}: no paragraph agreed ad referendum is awaiting approval.").format(
                document=awaiting.document
            )
        )
    if awaiting.meeting:
        title = _(
            "{document}: paragraphs agreed ad referendum, to be approved at the formal meeting "
            "of {meeting}:"
        ).format(document=awaiting.document, meeting=calendar_day(awaiting.meeting, language))
    else:
        title = _(
            "{document}: paragraphs agreed ad referendum, to be approved at a formal meeting:"
        ).format(document=awaiting.document)
    lines = []
    for p in awaiting.paragraphs:
        moment = when(p.agreed_at, language, zone)
        if p.version is not None:
            line = _("paragraph {paragraph}: agreed ad referendum in round {round} ({when})")
        else:
            line = _("paragraph {paragraph}: agreed ad referendum ({when})")
        lines.append(line.format(paragraph=p.paragraph, round=p.version, when=moment))
    numbers = ",".join(str(p.paragraph) for p in awaiting.paragraphs)
    lines.append(
        _("At the meeting: !approve {document} {paragraphs} --meeting YYYY-MM-DD").format(
            document=awaiting.document, paragraphs=numbers
        )
    )
    return Reply.titled(title, lines)

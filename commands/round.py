"""`!round` (moderation room, the Chair and the Technical Secretariat): the rounds of the
virtual discussion (issue #12, seed III.D).

`!round open DOCUMENT --closes WHEN [--opens WHEN] [--meeting YYYY-MM-DD] [--reminders LIST]`
schedules a round on the document's current version in the plan folder; WHEN is ISO 8601 in
the working group's time zone unless it names another; LIST is durations before the close
(`72h,24h,2h` by default). `!round status` lists the rounds; `!round extend --closes WHEN`,
`!round close` (now) and `!round cancel` change the one under way (name the document when
several are). One round at a time per document. The opening is announced in the plenary and the
plan folder; reminders and the compilation at the close follow on their own
(`bot/docflow/round_steps.py`).
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import Field

from commands.i18n import N_, translator
from commands.reply import Reply
from commands.round_refusals import ClosesMissing, moment
from commands.round_words import describe
from commands.rounds_deps import RoundInfo, RoundRequest
from commands.table import Args as BaseArgs
from commands.table import Invocation, Refusal

SUMMARY = N_("open, extend, close or cancel a round of proposals on a document; its status")


class Args(BaseArgs):
    positional = ("action", "document")
    action: Literal["open", "status", "extend", "close", "cancel"] = Field(
        description=N_("open, status, extend, close or cancel")
    )
    document: str | None = Field(default=None, description=N_("the document, e.g. Matriz.docx"))
    closes: str | None = Field(
        default=None, description=N_("when the round closes, e.g. 2026-12-10T18:00")
    )
    opens: str | None = Field(
        default=None, description=N_("when the round opens (default: now), e.g. 2026-12-01T09:00")
    )
    meeting: str | None = Field(
        default=None, description=N_("the formal meeting after the round, e.g. 2026-12-12")
    )
    reminders: str | None = Field(
        default=None, description=N_("reminders before the close (default: 72h,24h,2h)")
    )


class Deps(Protocol):
    async def open_round(self, invocation: Invocation, request: RoundRequest) -> RoundInfo:
        """Schedule a round; a `Refusal` says why not (one under way, a bad WHEN…)."""
        ...

    async def rounds(self) -> list[RoundInfo]:
        """The rounds under way and coming, then the last ones that ended."""
        ...

    async def extend_round(
        self, invocation: Invocation, document: str | None, closes: str
    ) -> RoundInfo: ...

    async def close_round(self, invocation: Invocation, document: str | None) -> RoundInfo: ...

    async def cancel_round(self, invocation: Invocation, document: str | None) -> RoundInfo: ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    zone = invocation.timezone
    match args.action:
        case "open":
            if args.document is None:
                raise Refusal(_("name the document: !round open Matriz.docx --closes WHEN."))
            if args.closes is None:
                raise ClosesMissing("open")
            request = RoundRequest(
                args.document, args.closes, args.opens, args.meeting, args.reminders
            )
            info = await deps.open_round(invocation, request)
            return Reply.titled(
                _(
                    "Round {number} is scheduled; its opening is announced in the plenary and "
                    "the plan folder."
                ).format(number=info.number),
                [describe(info, _, zone)],
            )
        case "status":
            rounds = await deps.rounds()
            if not rounds:
                return Reply.plain(_("No round has been scheduled."))
            return Reply.titled(_("Rounds:"), [describe(r, _, zone) for r in rounds])
        case "extend":
            if args.closes is None:
                raise ClosesMissing("extend")
            info = await deps.extend_round(invocation, args.document, args.closes)
            return Reply.plain(
                _("Round {number} on {document} now closes at {closes}.").format(
                    number=info.number,
                    document=info.document,
                    closes=moment(info.closes_at, _, zone),
                )
            )
        case "close":
            info = await deps.close_round(invocation, args.document)
            return Reply.plain(
                _("Round {number} on {document} is closed; the compilation follows here.").format(
                    number=info.number, document=info.document
                )
            )
        case "cancel":
            info = await deps.cancel_round(invocation, args.document)
            return Reply.plain(
                _("Round {number} on {document} is cancelled.").format(
                    number=info.number, document=info.document
                )
            )

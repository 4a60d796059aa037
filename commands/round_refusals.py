"""Why a round command or a proposal is refused for a round's sake (issue #12), worded for the
asker. Each refusal keeps its facts and words itself (`commands/document_refusals.py`): in
English as `reason` (the audit log's), in the asker's language by `worded(_)`; its instants in
the working group's time zone (`zone`) and in UTC."""

from __future__ import annotations

from datetime import datetime

from commands.dates import when
from commands.i18n import N_, Translate, language_of
from commands.rounds_deps import RoundInfo
from commands.table import WordedRefusal
from documents.rounds import MAX_REMINDERS, OffsetError, OffsetProblem, WhenError, WhenProblem

__all__ = [
    "BadMeeting",
    "BadReminders",
    "BadWhen",
    "CloseNotAfter",
    "ClosesMissing",
    "NoRoundOf",
    "NotOpenedYet",
    "OutsideRound",
    "RoundUnderWay",
    "WhichRound",
    "moment",
]


def moment(at: datetime, _: Translate, zone: str) -> str:
    """An instant as every round notice gives it: in the group's zone, and in UTC."""
    language = language_of(_)
    return _("{local} ({zone}; {utc} UTC)").format(
        local=when(at, language, zone), zone=zone, utc=when(at, language, "UTC")
    )


_WHEN_PROBLEMS = {
    WhenProblem.NOT_ISO: N_(
        "“{text}” is not a date and time in ISO 8601 (for example 2026-12-10T18:00)"
    ),
    WhenProblem.NO_TIME: N_("“{text}” has no time of day (for example 2026-12-10T18:00)"),
}
_OFFSET_PROBLEMS = {
    OffsetProblem.NOT_A_DURATION: N_(
        "“{text}” is not a duration (a number and s, m, h or d, for example 24h)"
    ),
    OffsetProblem.ZERO: N_("“{text}” is the close itself; a reminder comes before it"),
    OffsetProblem.TOO_MANY: N_("at most {limit} reminders"),
}


class BadWhen(WordedRefusal):
    def __init__(self, option: str, error: WhenError) -> None:
        self.option, self.error = option, error
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        problem = _(_WHEN_PROBLEMS[self.error.problem]).format(text=self.error.text)
        return _("--{option}: {problem}.").format(option=self.option, problem=problem)


class BadReminders(WordedRefusal):
    def __init__(self, error: OffsetError) -> None:
        self.error = error
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        problem = _(_OFFSET_PROBLEMS[self.error.problem]).format(
            text=self.error.text, limit=MAX_REMINDERS
        )
        return _("--reminders: {problem}.").format(problem=problem)


class BadMeeting(WordedRefusal):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("--meeting: “{text}” is not a date (YYYY-MM-DD, for example 2026-12-12).").format(
            text=self.text
        )


class ClosesMissing(WordedRefusal):
    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("!round {action} needs --closes WHEN (for example 2026-12-10T18:00).").format(
            action=self.action
        )


class CloseNotAfter(WordedRefusal):
    """The close must come after the opening, and after now."""

    def __init__(self, closes_at: datetime, after: datetime, zone: str) -> None:
        self.closes_at, self.after, self.zone = closes_at, after, zone
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("the close, {closes}, must come after {after}.").format(
            closes=moment(self.closes_at, _, self.zone), after=moment(self.after, _, self.zone)
        )


class RoundUnderWay(WordedRefusal):
    """One round at a time per document."""

    def __init__(self, existing: RoundInfo, zone: str) -> None:
        self.existing, self.zone = existing, zone
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        r = self.existing
        return _(
            "round {number} of {document} (version {version}) is already scheduled, from "
            "{opens} to {closes}; one round at a time per document (!round extend, !round "
            "close or !round cancel)."
        ).format(
            number=r.number,
            document=r.document,
            version=r.version,
            opens=moment(r.opens_at, _, self.zone),
            closes=moment(r.closes_at, _, self.zone),
        )


class NoRoundOf(WordedRefusal):
    def __init__(self, document: str | None) -> None:
        self.document = document
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        if self.document is None:
            return _("no round is open or scheduled.")
        return _("no round of {document} is open or scheduled.").format(document=self.document)


class WhichRound(WordedRefusal):
    def __init__(self, documents: list[str]) -> None:
        self.documents = documents
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("rounds of several documents are under way ({documents}); name one.").format(
            documents=", ".join(self.documents)
        )


class NotOpenedYet(WordedRefusal):
    def __init__(self, info: RoundInfo, zone: str) -> None:
        self.info, self.zone = info, zone
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "round {number} of {document} opens only at {opens}; to call it off, !round cancel."
        ).format(
            number=self.info.number,
            document=self.info.document,
            opens=moment(self.info.opens_at, _, self.zone),
        )


class OutsideRound(WordedRefusal):
    """A proposal outside the rounds of its document (RD5): the next window, else the last."""

    def __init__(
        self, document: str, coming: RoundInfo | None, last: RoundInfo | None, zone: str
    ) -> None:
        self.document, self.coming, self.last, self.zone = document, coming, last, zone
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        if self.coming is not None:
            return _(
                "proposals on {document} are received only during a round; the next one opens "
                "at {opens} and closes at {closes}."
            ).format(
                document=self.document,
                opens=moment(self.coming.opens_at, _, self.zone),
                closes=moment(self.coming.closes_at, _, self.zone),
            )
        if self.last is not None:
            return _(
                "proposals on {document} are received only during a round; the last one closed "
                "at {closes}, and no other is scheduled."
            ).format(document=self.document, closes=moment(self.last.closes_at, _, self.zone))
        return _("proposals on {document} are received only during a round.").format(
            document=self.document
        )

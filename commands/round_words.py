"""What the platform says about rounds (issue #12), worded from the rounds service's data.

The opening announced in the plenary and the plan folder, the reminder in a desk that has not
submitted and the short one in the plenary, the compilation at the close for the moderation
room, and the lines of `!round status` and `!schedule`. Instants are given in the working
group's time zone and in UTC (`commands.round_refusals.moment`); durations in the reader's
language.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_timedelta

from commands.compile_summary import compile_summary, conflict_lines
from commands.dates import day
from commands.document_refusals import reason_of
from commands.i18n import N_, Translate, language_of
from commands.marked_text import Text, escaped
from commands.reply import Reply
from commands.round_refusals import moment
from commands.rounds_deps import RoundClosed, RoundInfo, RoundState
from documents.rounds import format_offset

__all__ = [
    "announcement",
    "calendar_file_name",
    "closed_summary",
    "describe",
    "duration",
    "plenary_reminder",
    "reminder",
]

_STATES = {
    RoundState.COMING: N_("coming"),
    RoundState.OPEN: N_("open"),
    RoundState.CLOSING: N_("closing (the compilation is under way)"),
    RoundState.CLOSED: N_("closed"),
    RoundState.CANCELLED: N_("cancelled"),
}


def duration(delta: timedelta, _: Translate) -> str:
    """How long, as the reader says it ("3 days", "2 horas")."""
    return format_timedelta(
        max(delta, timedelta(seconds=1)), threshold=1.5, locale=language_of(_)
    ).replace("\xa0", " ")


def _meeting(meeting: date, _: Translate) -> str:
    return day(datetime(meeting.year, meeting.month, meeting.day), language_of(_), "UTC")


def calendar_file_name(info: RoundInfo) -> str:
    stem = info.document.removesuffix(".docx")
    return f"{stem}_round{info.number}.ics"


def describe(info: RoundInfo, _: Translate, zone: str) -> str:
    """One line of `!round status` and `!schedule`."""
    line = _(
        "Round {number}: {document} version {version}, {state}; opens {opens}, closes {closes}"
    ).format(
        number=info.number,
        document=info.document,
        version=info.version,
        state=_(_STATES[info.state]),
        opens=moment(info.opens_at, _, zone),
        closes=moment(info.closes_at, _, zone),
    )
    if info.meeting is not None:
        line = _("{round}; meeting {meeting}").format(round=line, meeting=_meeting(info.meeting, _))
    reminders = ", ".join(format_offset(r) for r in info.reminders)
    if reminders and info.state in (RoundState.COMING, RoundState.OPEN):
        line = _("{round}; reminders {reminders} before the close").format(
            round=line, reminders=reminders
        )
    return line


def announcement(info: RoundInfo, zone: str, _: Translate = str) -> Reply:
    """In the plenary and in the plan folder, with the .ics of the close and the meeting."""
    text = _(
        "Round {number} is open: proposals on {document} version {version} are received until "
        "{closes}."
    ).format(
        number=info.number,
        document=info.document,
        version=info.version,
        closes=moment(info.closes_at, _, zone),
    )
    if info.meeting is not None:
        text += " " + _("The formal meeting is on {meeting}.").format(
            meeting=_meeting(info.meeting, _)
        )
    text += " " + _(
        "Focal points upload their delegation's proposal in the plenary, named "
        "CODE_{document}, with Track Changes. The attached calendar file holds the close and "
        "the meeting."
    ).format(document=info.document)
    return Reply.plain(text)


def reminder(info: RoundInfo, left: timedelta, code: str, zone: str, _: Translate = str) -> Reply:
    """In the desk of a delegation that has not submitted on the round's version."""
    return Reply.plain(
        _(
            "Reminder: your delegation has not submitted a proposal on {document} version "
            "{version}. Round {number} closes in {left}, at {closes}. To submit, upload "
            "{file}, with Track Changes, in the plenary; !check it here first if you wish."
        ).format(
            document=info.document,
            version=info.version,
            number=info.number,
            left=duration(left, _),
            closes=moment(info.closes_at, _, zone),
            file=f"{code}_{info.document}",
        )
    )


def plenary_reminder(info: RoundInfo, left: timedelta, zone: str, _: Translate = str) -> Reply:
    return Reply.plain(
        _("Reminder: round {number} on {document} closes in {left}, at {closes}.").format(
            number=info.number,
            document=info.document,
            left=duration(left, _),
            closes=moment(info.closes_at, _, zone),
        )
    )


def closed_summary(closed: RoundClosed, zone: str, _: Translate = str) -> Reply:
    """In the moderation room at the close: the compilation, who submitted, conflicts."""
    info = closed.round
    title = _("Round {number} on {document} version {version} closed at {closes}.").format(
        number=info.number,
        document=info.document,
        version=info.version,
        closes=moment(info.closes_at, _, zone),
    )
    none = "—"
    lines = [
        _("submitted: {delegations}").format(delegations=", ".join(closed.submitted) or none),
        _("not submitted: {delegations}").format(delegations=", ".join(closed.missing) or none),
        _("paragraphs in conflict: {paragraphs}").format(
            paragraphs=", ".join(closed.conflicts) or none
        ),
    ]
    if closed.refused is not None:
        lines.append(
            _("The compilation was refused: {reason} Run !compile once it is fixed.").format(
                reason=reason_of(closed.refused, _)
            )
        )
    elif closed.revision_name is None:
        lines.append(_("No proposal was submitted: there is nothing to compile."))
    else:
        lines.append(
            _(
                "Compiled: {revision} and {matrix} are posted here (drafts); !distribute "
                "publishes the revision as the next version."
            ).format(revision=closed.revision_name, matrix=closed.matrix_name)
        )
    out = Text()
    out.heading(title)
    out.items([escaped(line) for line in lines])
    if closed.compiled is not None:
        compiled = closed.compiled
        summary = compile_summary(compiled.compilation, compiled.left_out, _)
        out.items([escaped(line) for line in summary])
        out.items(conflict_lines(compiled.compilation, _))
    return out.reply()

"""The calendar file of a round (issue #12): its close and its formal meeting, as an iCalendar
(RFC 5545) file delegates add to their calendars. Written with the `icalendar` library; the
events' titles in the reader's language (`_`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from commands.i18n import Translate
from commands.rounds_deps import RoundInfo

__all__ = ["calendar"]


def calendar(info: RoundInfo, stamp: datetime, domain: str, _: Translate = str) -> bytes:
    """The .ics of `info`: the close (an instant, in UTC) and the meeting (a whole day).
    `stamp` is when the round was scheduled, so the same round gives the same file."""
    cal = Calendar()
    cal.add("prodid", "-//plenaria//rounds//EN")
    cal.add("version", "2.0")
    close = Event()
    close.add("uid", f"round-{info.number}-close@{domain}")
    close.add("dtstamp", stamp.astimezone(UTC))
    close.add("dtstart", info.closes_at.astimezone(UTC))
    close.add("dtend", info.closes_at.astimezone(UTC))
    close.add(
        "summary",
        _("Round {number} on {document} closes").format(number=info.number, document=info.document),
    )
    cal.add_component(close)
    if info.meeting is not None:
        meeting = Event()
        meeting.add("uid", f"round-{info.number}-meeting@{domain}")
        meeting.add("dtstamp", stamp.astimezone(UTC))
        meeting.add("dtstart", info.meeting)
        meeting.add("dtend", info.meeting + timedelta(days=1))
        meeting.add(
            "summary",
            _("Formal meeting on {document} (after round {number})").format(
                number=info.number, document=info.document
            ),
        )
        cal.add_component(meeting)
    return bytes(cal.to_ical())

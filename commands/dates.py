"""Dates and times as a reader reads them: in their language's conventions (Babel's CLDR data)
and in the working group's time zone (`timezone:` in the configuration, carried to the commands
by the `Invocation`). The platform records every moment in UTC; only what is shown is local.

`when` is a moment ("10 dic 2026, 13:00" in Spanish, "10 déc. 2026, 13:00" in French), `day` a
date ("10 dic 2026"), `number` a count with the language's separators ("12 345" in French),
`size` a file's size ("1,5 MB" in Spanish).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

__all__ = ["calendar_day", "day", "number", "size", "when"]


@functools.cache
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def _local(moment: datetime, zone: str) -> datetime:
    # A moment read back without its zone (SQLite) is UTC, as every moment the platform writes.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(_zone(zone))


def when(moment: datetime, language: str, zone: str, *, seconds: bool = False) -> str:
    """The date and time of `moment` in `zone`, as `language` writes them: to the minute, or
    to the second (a receipt's)."""
    locale = Locale.parse(language)
    local = _local(moment, zone)
    date = format_date(local, "medium", locale=locale)
    time = format_time(local, "medium" if seconds else "short", tzinfo=local.tzinfo, locale=locale)
    pattern = str(locale.datetime_formats["medium"])
    return pattern.replace("{1}", date).replace("{0}", time)


def day(moment: datetime, language: str, zone: str) -> str:
    """The date of `moment` in `zone`, as `language` writes it."""
    return format_date(_local(moment, zone), "medium", locale=Locale.parse(language))


def calendar_day(text: str, language: str) -> str:
    """A day written YYYY-MM-DD (a formal meeting's), as `language` writes it; any other text
    as it is."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return text
    return format_date(value, "medium", locale=Locale.parse(language))


def number(value: float, language: str, pattern: str | None = None) -> str:
    """A number with `language`'s digit grouping and decimal sign (`pattern`: Babel's, e.g.
    "#,##0.0" for one decimal)."""
    return format_decimal(value, format=pattern, locale=Locale.parse(language))


def size(n: int, language: str) -> str:
    """A file's size: "1.5 MB" in English, "1,5 MB" in Spanish, "200 kB" in either."""
    if n >= 1_000_000:
        return f"{number(n / 1e6, language, '#,##0.0')} MB"
    return f"{number(round(n / 1e3), language)} kB"

"""Unit tests for commands/dates.py: the same instant as each language reads it, in the working
group's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commands.dates import day, number, size, when
from commands.document_refusals import FileTooLarge
from commands.i18n import language_of, translator

# 18:00 UTC on 10 December 2026 is 13:00 in Washington, D.C. (UTC−5 in winter).
INSTANT = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)
ZONE = "America/New_York"


@pytest.mark.parametrize(
    ("language", "moment", "date"),
    [
        ("en", "Dec 10, 2026, 1:00\u202fPM", "Dec 10, 2026"),
        ("es", "10 dic 2026, 13:00", "10 dic 2026"),
        ("fr", "10 déc. 2026, 13:00", "10 déc. 2026"),
        ("pt", "10 de dez. de 2026 13:00", "10 de dez. de 2026"),
    ],
)
def test_the_same_instant_in_each_language_in_the_groups_zone(
    language: str, moment: str, date: str
) -> None:
    assert when(INSTANT, language, ZONE) == moment
    assert day(INSTANT, language, ZONE) == date


def test_the_zone_moves_the_hour_and_the_day() -> None:
    assert when(INSTANT, "es", "UTC") == "10 dic 2026, 18:00"
    assert when(INSTANT, "es", "America/Santiago") == "10 dic 2026, 15:00"  # summer: UTC−3
    assert day(datetime(2026, 12, 11, 2, 30, tzinfo=UTC), "fr", ZONE) == "10 déc. 2026"
    assert when(datetime(2026, 7, 1, 18, 0, tzinfo=UTC), "fr", ZONE) == "1 juil. 2026, 14:00"


def test_a_receipt_reads_to_the_second() -> None:
    assert when(INSTANT, "fr", ZONE, seconds=True) == "10 déc. 2026, 13:00:00"
    assert when(INSTANT, "en", "UTC", seconds=True) == "Dec 10, 2026, 6:00:00\u202fPM"


def test_a_moment_read_back_without_its_zone_is_utc() -> None:
    assert when(datetime(2026, 12, 10, 18, 0), "es", ZONE) == "10 dic 2026, 13:00"


def test_numbers_are_grouped_as_each_language_groups_them() -> None:
    assert [number(1234567, language) for language in ("en", "es", "fr", "pt")] == [
        "1,234,567",
        "1.234.567",
        "1\u202f234\u202f567",
        "1.234.567",
    ]


def test_a_files_size_in_a_refusal_is_written_as_the_askers_language_writes_it() -> None:
    too_large = FileTooLarge(25_000_000, 1_500_000_000)
    assert too_large.worded() == "the file is 1,500.0 MB; the limit is 25.0 MB."
    assert too_large.worded(translator("es")).endswith("1.500,0 MB; el límite es de 25,0 MB."), (
        too_large.worded(translator("es"))
    )
    assert FileTooLarge(200_000).worded(translator("fr")).endswith("200 kB.")
    assert size(1_500_000, "pt") == "1,5 MB"


def test_a_translator_knows_its_language() -> None:
    assert [language_of(translator(lang)) for lang in ("en", "es", "fr", "pt")] == [
        "en",
        "es",
        "fr",
        "pt",
    ]
    assert language_of(str) == "en"

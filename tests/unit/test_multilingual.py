"""Unit tests for commands/multilingual.py: a room notice in the working languages, one block
each, and the notices that go through it, read in each language."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from commands import announcements, platform_alarms
from commands.corrections import breach_notice
from commands.documents_deps import PublishedInfo, SuggestionInfo
from commands.i18n import translator
from commands.multilingual import SEPARATOR, in_languages
from documents.lifecycles import SuggestionStatus
from tests.unit.test_breaches import BR_FP, CHAIR, PLENARY, ROSTER, breach, member

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
PUBLISHED = PublishedInfo(
    "plan", "Plan", "Matriz", "Matriz.docx", 2, "OEA/1", "public", "en", "f" * 64, "@c:x", WHEN
)
SUGGESTION = SuggestionInfo(4, "AG", "Study.docx", WHEN, SuggestionStatus.PENDING, None)

ENGLISH = "Matriz — Matriz.docx, version 2, OEA/1, public."
SPANISH = "Matriz — Matriz.docx, versión 2, OEA/1, public."
FRENCH = "Matriz — Matriz.docx, version 2, OEA/1, public."
PORTUGUESE = "Matriz — Matriz.docx, versão 2, OEA/1, public."


def test_in_one_language_a_notice_is_exactly_that_languages_notice() -> None:
    notice = functools.partial(announcements.publication_notice, PUBLISHED)
    assert in_languages(notice, ["en"]) == announcements.publication_notice(PUBLISHED)
    assert in_languages(notice, ["en"]).text == ENGLISH
    spanish = in_languages(notice, ["es"])
    assert spanish == announcements.publication_notice(PUBLISHED, translator("es"))
    assert spanish.text == SPANISH
    assert in_languages(notice, []).text == ENGLISH  # no language given: English


def test_in_three_languages_a_notice_is_three_blocks_in_the_configured_order() -> None:
    announced = functools.partial(announcements.new_in_folder, PUBLISHED, "!f:x", "$e")
    reply = in_languages(announced, ["fr", "en", "es"])
    link = "https://matrix.to/#/!f:x/$e"
    assert reply.text.split(SEPARATOR) == [
        f"Nouveau dans Plan : {FRENCH} {link}",
        f"New in Plan: {ENGLISH} {link}",
        f"Novedad en Plan: {SPANISH} {link}",
    ]
    assert reply.text.count("\n———\n") == 2
    blocks = reply.html.split("<hr>")
    assert blocks == [
        f'Nouveau dans <b>Plan</b> : <a href="{link}">{FRENCH}</a>',
        f'New in <b>Plan</b>: <a href="{link}">{ENGLISH}</a>',
        f'Novedad en <b>Plan</b>: <a href="{link}">{SPANISH}</a>',
    ]
    # A language named twice is worded once.
    assert in_languages(announced, ["fr", "fr"]).text == reply.text.split(SEPARATOR)[0]


def test_the_chair_reads_a_suggestion_in_each_working_language() -> None:
    notice = functools.partial(announcements.suggestion_for_the_chair, SUGGESTION)
    assert in_languages(notice, ["en", "pt"]).text.split(SEPARATOR) == [
        "Suggestion #4 from AG: Study.docx, as a reference document. !accept 4 or !decline 4 "
        "<reason>.",
        "Sugestão n.º 4 de AG: Study.docx, como documento de referência. !accept 4 ou "
        "!decline 4 <motivo>.",
    ]


def test_a_key_alarm_is_worded_for_each_reader_and_stays_english_for_the_audit() -> None:
    finding = functools.partial(platform_alarms.extra_device, "bot", "@plenaria:x", "EVIL")
    assert finding(str) == (
        "The platform's bot account (@plenaria:x) has a session the platform did not make (EVIL)."
    )
    report = in_languages(functools.partial(platform_alarms.report, finding), ["en", "es", "fr"])
    english, spanish, french = report.text.split(SEPARATOR)
    assert english.startswith("Security alert: The platform's bot account (@plenaria:x) has a")
    assert spanish.startswith(
        "Alerta de seguridad: La cuenta del bot de la plataforma (@plenaria:x) tiene una sesión "
        "que la plataforma no creó (EVIL)."
    )
    assert french.startswith(
        "Alerte de sécurité : Le compte du bot de la plateforme (@plenaria:x) a une session"
    )
    warden = platform_alarms.warden_keys("@w:x", "KEYS", translator("pt"))
    assert warden.endswith(
        "não escreva nada numa sala de especialistas até que a Presidência confirme que o "
        "problema foi resolvido."
    )


def test_a_breach_report_reads_in_the_working_languages() -> None:
    removal = breach(PLENARY, member(CHAIR, BR_FP, "leave"))
    notice = functools.partial(breach_notice, ROSTER, PLENARY, removal, [], "")
    english, spanish = in_languages(notice, ["en", "es"]).text.split(SEPARATOR)
    assert english.startswith("⚠ In ") and english.endswith("Undone: nothing left to change.")
    assert spanish.startswith("⚠ En ") and spanish.endswith("Deshecho: no queda nada por cambiar.")


def test_a_revision_title_is_worded_in_the_documents_language() -> None:
    assert announcements.revision_title("Matriz") == (
        "Matriz — revision with the delegations' changes"
    )
    assert announcements.revision_title("Matriz", translator("fr")) == (
        "Matriz — révision avec les modifications des délégations"
    )

"""The platform's four languages: English, Spanish, French and Portuguese (SPEC, languages).

Every sentence a person reads is an English message id here in `commands/`, translated through
gettext catalogs: `commands/locale/<language>/LC_MESSAGES/plenaria.po`, written by the
Organization's translators' standards (formal register, the Organization's own terms), extracted
and updated with Babel (`make messages`) and compiled in the build (`make catalogs`), never by
hand. English is the source language and needs no catalog.

`N_` marks a message defined apart from where it is shown (a command's summary, an argument's
description): it is extracted as it stands and translated when shown, in the reader's language.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

Language = Literal["en", "es", "fr", "pt"]
LANGUAGES: tuple[str, ...] = get_args(Language)
SOURCE_LANGUAGE = "en"
DOMAIN = "plenaria"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# Each language's name, in that language (what `!lang` answers with).
LANGUAGE_NAMES = {"en": "English", "es": "español", "fr": "français", "pt": "português"}

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated where it is shown."""
    return message


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language` (English: the messages as they are). A missing catalog
    of another language is a build fault (`make catalogs`), raised, never hidden."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def translator(language: str) -> Translate:
    """`_` for one reader: the message in their language."""
    return translations(language).gettext


def language_of(_: Translate) -> str:
    """The language a translator (`translator(language)`) words in; English for any other (the
    default `str`). For what Babel formats beside a sentence: a number, a date."""
    for language in LANGUAGES:
        if language != SOURCE_LANGUAGE and _ == translations(language).gettext:
            return language
    return SOURCE_LANGUAGE

"""The four languages stay complete (issue #11): every message of commands/ is in the template
and translated in each catalog, with the same placeholders, and the catalogs compile."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from commands.i18n import LANGUAGES, SOURCE_LANGUAGE, translator

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "commands" / "locale"
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _extracted() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "commands"), method_map=[("**.py", "python")], strip_comment_tags=True
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def _catalog(language: str) -> Catalog:
    with open(LOCALE / language / "LC_MESSAGES" / "plenaria.po", "rb") as po:
        return read_po(po, locale=language)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.id and isinstance(m.id, str)}


def test_the_template_holds_every_message_of_commands() -> None:
    """`make messages` was run: what commands/ says is what the translators were given."""
    with open(LOCALE / "plenaria.pot", "rb") as pot:
        template = _ids(read_po(pot))
    assert _extracted() == template


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    catalog = _catalog(language)
    assert _ids(catalog) == _extracted()
    for message in catalog:
        if not message.id:
            continue
        assert isinstance(message.string, str) and message.string.strip(), message.id
        assert not message.fuzzy, message.id
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(str(message.id))
        ), message.id
        # Command names and options stay as they are in every language.
        assert re.findall(r"!\w+|--[\w-]+", message.string) == re.findall(
            r"!\w+|--[\w-]+", str(message.id)
        ) or "{command}" in str(message.id), message.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogs_compile_and_are_the_ones_in_use(language: str) -> None:
    catalog = _catalog(language)
    write_mo(io.BytesIO(), catalog)
    _ = translator(language)
    for message in catalog:
        if message.id:
            assert _(str(message.id)) == message.string, message.id

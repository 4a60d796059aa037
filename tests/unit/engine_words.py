"""Checks that an engine's refusal reaches a reader in their language (`commands.engine_refusals`):
worded in English exactly as the engine's `reason` (the audit log's record), and in Spanish,
French and Portuguese without a run of the English sentence left in."""

from __future__ import annotations

import re

from commands.engine_refusals import engine_reason
from commands.i18n import translator
from documents.errors import DocumentRefused

TRANSLATED = ("es", "fr", "pt")
_WORD = re.compile(r"[a-z]+")


def english_runs(english: str, worded: str, length: int = 4) -> set[str]:
    """Runs of `length` plain English words of `english` that `worded` still holds."""
    words = english.split()
    runs = {
        " ".join(words[i : i + length])
        for i in range(len(words) - length + 1)
        if all(_WORD.fullmatch(w) for w in words[i : i + length])
    }
    return {run for run in runs if run in worded}


def assert_worded(refusal: DocumentRefused) -> None:
    assert refusal.why is not None, f"no typed reason: {refusal.reason}"
    assert engine_reason(refusal) == refusal.reason
    for language in TRANSLATED:
        worded = engine_reason(refusal, translator(language))
        assert worded != refusal.reason, (language, worded)
        # The facts (a file's name, an excerpt of the document) are quoted as they are.
        for fact in refusal.params.values():
            worded = worded.replace(str(fact), "…") if str(fact) else worded
        assert not english_runs(refusal.reason, worded), (language, worded)

"""!trust's refusals in the reader's language (issue #11); English as before."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from commands import trust
from commands.i18n import translator
from commands.table import Invocation
from tests.unit.engine_words import TRANSLATED, english_runs

USER = "@fp:ag.example"


class Refusing:
    def __init__(self, refusal: trust.RetrustRefused) -> None:
        self.refusal = refusal

    async def changed_identities(self) -> Sequence[trust.ChangedIdentity]:
        return []

    async def retrust(self, chair: str, user_id: str, fingerprint_given: str) -> object:
        raise self.refusal


def answer(refusal: trust.RetrustRefused, language: str) -> str:
    asker = Invocation("@chair:x", "!mod:x", "$e", "!trust", 0, 0, language=language)
    args = trust.Args(user=USER, fingerprint="ABCD EFGH")
    return asyncio.run(trust.handle(Refusing(refusal), asker, args)).text


REFUSALS: list[Callable[[], trust.RetrustRefused]] = [
    lambda: trust.nothing_to_retrust(USER),
    trust.not_yourself,
    lambda: trust.identity_moved(USER),
    lambda: trust.fingerprint_mismatch(USER),
]


@pytest.mark.parametrize("make", REFUSALS)
def test_a_retrust_refusal_reads_in_the_readers_language(
    make: Callable[[], trust.RetrustRefused],
) -> None:
    refusal = make()
    assert answer(refusal, "en") == f"Refused: {refusal.reason}"
    for language in TRANSLATED:
        worded = answer(refusal, language).replace(USER, "…")
        assert refusal.worded(translator(language)) in answer(refusal, language)
        assert not english_runs(refusal.reason, worded, length=3), (language, worded)


def test_the_english_sentences_are_unchanged() -> None:
    assert trust.nothing_to_retrust(USER).reason == (
        "@fp:ag.example has no identity change awaiting re-trust."
    )
    assert trust.fingerprint_mismatch(USER).reason == (
        "that fingerprint is not the one @fp:ag.example's keys show now; confirm it again with "
        "the delegation (!trust lists the fingerprint the platform sees)."
    )

"""The suggestion and paragraph-status lifecycles (`documents.lifecycles`): the transitions each
table allows and those it refuses, and the values the registry stores (unchanged)."""

from __future__ import annotations

import pytest

from documents.lifecycles import ParagraphStatus, SuggestionStatus

S = SuggestionStatus
P = ParagraphStatus


def test_the_stored_values_are_the_strings_of_old() -> None:
    assert [s.value for s in S] == ["pending", "accepted", "declined"]
    assert [s.value for s in P] == ["open", "agreed ad referendum", "approved"]


@pytest.mark.parametrize("decision", [S.ACCEPTED, S.DECLINED])
def test_a_pending_suggestion_is_accepted_or_declined(decision: SuggestionStatus) -> None:
    assert S.PENDING.may_become(decision)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.ACCEPTED, S.DECLINED),
        (S.DECLINED, S.ACCEPTED),
        (S.ACCEPTED, S.ACCEPTED),
        (S.DECLINED, S.DECLINED),
        (S.ACCEPTED, S.PENDING),
        (S.DECLINED, S.PENDING),
        (S.PENDING, S.PENDING),
    ],
)
def test_a_decided_suggestion_stays_decided(
    current: SuggestionStatus, wanted: SuggestionStatus
) -> None:
    assert not current.may_become(wanted)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (P.OPEN, P.AGREED_AD_REFERENDUM),
        (P.OPEN, P.APPROVED),
        (P.AGREED_AD_REFERENDUM, P.APPROVED),
        (P.AGREED_AD_REFERENDUM, P.AGREED_AD_REFERENDUM),
        (P.APPROVED, P.APPROVED),
        (P.APPROVED, P.AGREED_AD_REFERENDUM),
    ],
)
def test_a_paragraph_is_agreed_and_approved(
    current: ParagraphStatus, wanted: ParagraphStatus
) -> None:
    assert current.may_become(wanted)


@pytest.mark.parametrize("current", list(P))
def test_nothing_goes_back_to_open(current: ParagraphStatus) -> None:
    assert not current.may_become(P.OPEN)

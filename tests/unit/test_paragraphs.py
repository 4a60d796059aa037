from __future__ import annotations

import pytest

from commands.paragraphs import parse_paragraphs


def test_lists_and_ranges() -> None:
    assert parse_paragraphs("3") == [3]
    assert parse_paragraphs("3, 5-7,12") == [3, 5, 6, 7, 12]
    assert parse_paragraphs("5-5,5") == [5]


@pytest.mark.parametrize("text", ["", "a", "0", "7-5", "1-99999", "3;4", "-2"])
def test_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_paragraphs(text)

"""The engine's word diff is cydifflib's SequenceMatcher (compiled) in place of difflib's: the
edits a proposal yields, and so whether two delegations' edits meet or conflict, rest on its
giving difflib's opcodes exactly. Stated here over token lists like a paragraph's."""

from __future__ import annotations

import difflib

import cydifflib
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.tokens import PARA, tokenize

# Few distinct tokens, many repeats (spaces, "the", commas): where matchers choose between ties.
_TOKENS = st.sampled_from([" ", "the", "States", "shall", ",", ".", PARA, "  ", "of", "Parties"])


def _both(a: list[str], b: list[str]) -> None:
    ours = cydifflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    theirs = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert [tuple(o) for o in ours] == [tuple(o) for o in theirs]


@settings(max_examples=400)
@given(st.lists(_TOKENS, max_size=60), st.lists(_TOKENS, max_size=60))
def test_the_same_opcodes_as_difflib(a: list[str], b: list[str]) -> None:
    _both(a, b)


@settings(max_examples=200)
@given(st.lists(_TOKENS, min_size=1, max_size=80), st.data())
def test_the_same_opcodes_for_an_edited_paragraph(a: list[str], data: st.DataObject) -> None:
    """A paragraph and an edit of it (a span replaced), as a proposal makes them."""
    start = data.draw(st.integers(0, len(a)))
    end = data.draw(st.integers(start, len(a)))
    b = a[:start] + data.draw(st.lists(_TOKENS, max_size=10)) + a[end:]
    _both(a, b)


def test_the_same_opcodes_on_a_real_sentence() -> None:
    a = tokenize("The States Parties shall, in accordance with their law, cooperate fully.")
    b = tokenize("The Member States should, in accordance with the law, cooperate.")
    _both([*a, PARA], [*b, PARA])

"""The word-level tokens the engine compares texts in, and the paragraph break as a token."""

from __future__ import annotations

import functools
import re

__all__ = ["PARA", "tokenize"]

PARA = "\u2029"  # the paragraph break, as a token of its own
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Words, runs of white space and single punctuation marks; they join back to `text`."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    # A compilation tokenizes each base paragraph once for the base and again for every
    # proposal that leaves it as it is: the same texts, over and over.
    return tuple(_TOKEN.findall(text))

"""The word-level tokens the engine compares texts in, and the paragraph break as a token."""

from __future__ import annotations

import re

__all__ = ["PARA", "tokenize"]

PARA = "\u2029"  # the paragraph break, as a token of its own
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Words, runs of white space and single punctuation marks; they join back to `text`."""
    return _TOKEN.findall(text)

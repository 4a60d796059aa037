"""Paragraph lists as the Chair types them: `3`, `3,5`, `5-7`, `3, 5-7, 12`."""

from __future__ import annotations

import re

from commands.i18n import Translate

__all__ = ["parse_paragraphs"]

_PART = re.compile(r"^(\d+)(?:\s*-\s*(\d+))?$")


def parse_paragraphs(text: str, limit: int = 10_000, _: Translate = str) -> list[int]:
    """The paragraph numbers, sorted and distinct; ValueError with a plain reason otherwise, in
    the reader's language (`_`)."""
    numbers: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _PART.match(part)
        if match is None:
            raise ValueError(
                _("“{part}” is not a paragraph number or a range like 5-7").format(part=part)
            )
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last < first:
            raise ValueError(_("“{part}” is not a valid range").format(part=part))
        if last - first > limit:
            raise ValueError(_("“{part}” is too long a range").format(part=part))
        numbers.update(range(first, last + 1))
    if not numbers:
        raise ValueError(_("name at least one paragraph, e.g. 3 or 5-7"))
    return sorted(numbers)

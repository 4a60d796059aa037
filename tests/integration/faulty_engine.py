"""A documents engine job with a bug of its own, for the tests of how the bot answers an
`EngineFault` (issue #10): it raises a `TypeError` whose text quotes its input, as a real bug's
message might. The parsing child imports it by name, so it lives in a module of its own."""

from __future__ import annotations

from typing import NoReturn

CONTENT_MARKER = "QUOTED-FROM-THE-FILE"


def faulty_job(*args: object, **kwargs: object) -> NoReturn:
    raise TypeError(f"{CONTENT_MARKER} {args!r:.200}")

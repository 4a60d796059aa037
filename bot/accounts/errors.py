"""The one error of `plenaria accounts`: the homeserver refused, could not be reached, or the
request itself cannot be met. The CLI prints each reason on a line of its own (exit code 1)."""

from __future__ import annotations

from collections.abc import Iterable


class AccountError(Exception):
    """The homeserver refused, or could not be reached; `reasons` holds one line per problem."""

    def __init__(self, reasons: str | Iterable[str]) -> None:
        self.reasons: tuple[str, ...] = (reasons,) if isinstance(reasons, str) else tuple(reasons)
        super().__init__("\n".join(self.reasons))

"""The lifecycles of a reference suggestion and of a paragraph's status (SPEC §3).

Each is a `StrEnum` with its transition table: which status may follow which. The registry
stores the values (these strings, as ever); the shell asks `may_become` before it writes, and a
refused transition is answered, never written. Pure: no clock, no storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ParagraphStatus", "StatusEntry", "SuggestionStatus"]


class SuggestionStatus(StrEnum):
    """A reference document a delegation suggested to the Chair (`!suggest`)."""

    PENDING = "pending"  # with the Chair
    ACCEPTED = "accepted"  # published in the Reference documents folder
    DECLINED = "declined"  # the delegation is told why

    def may_become(self, status: SuggestionStatus) -> bool:
        return status in _SUGGESTION_NEXT[self]


# S1. The Chair decides once: a pending suggestion is accepted or declined, and that is final
# (SPEC §3: "the Chair accepts or declines it").
_SUGGESTION_NEXT: Mapping[SuggestionStatus, frozenset[SuggestionStatus]] = {
    SuggestionStatus.PENDING: frozenset({SuggestionStatus.ACCEPTED, SuggestionStatus.DECLINED}),
    SuggestionStatus.ACCEPTED: frozenset(),
    SuggestionStatus.DECLINED: frozenset(),
}


class ParagraphStatus(StrEnum):
    """A paragraph of a document under negotiation, as the compilation matrix shows it."""

    OPEN = "open"  # every paragraph no one has marked
    AGREED_AD_REFERENDUM = "agreed ad referendum"  # agreed in the virtual discussion (`!agree`)
    APPROVED = "approved"  # approved at a formal meeting (`!approve --meeting`)

    def may_become(self, status: ParagraphStatus) -> bool:
        return status in _PARAGRAPH_NEXT[self]


# P1. A paragraph agreed in the virtual discussion is only agreed ad referendum until approved
# at a formal meeting (SPEC §3): `!agree` and `!approve` both apply to an open paragraph.
# P2. Marking again is allowed: agreed again, approved at a later meeting (the meeting is
# updated), or agreed ad referendum again in a later round after an approval.
# P3. Nothing goes back to open: no command reopens a paragraph.
_MARKED = frozenset({ParagraphStatus.AGREED_AD_REFERENDUM, ParagraphStatus.APPROVED})
_PARAGRAPH_NEXT: Mapping[ParagraphStatus, frozenset[ParagraphStatus]] = {
    ParagraphStatus.OPEN: _MARKED,
    ParagraphStatus.AGREED_AD_REFERENDUM: _MARKED,
    ParagraphStatus.APPROVED: _MARKED,
}


@dataclass(frozen=True)
class StatusEntry:
    """One status a paragraph took, as its history tells it: in the round on `version` (None:
    set before versions were recorded), at `meeting` (an approval's), on `day` (YYYY-MM-DD)."""

    status: ParagraphStatus
    version: int | None
    meeting: str | None
    day: str

    def describe(self) -> str:
        """One line of the compilation matrix's status history (in English, as its headings)."""
        line = f"{self.day}: {self.status.value}"
        if self.meeting:
            return f"{line} at the meeting of {self.meeting}"
        if self.version is not None:
            return f"{line} in round {self.version}"
        return line

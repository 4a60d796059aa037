"""What the reader makes of a `.docx`: paragraphs in document order, each a list of segments that
are unchanged, inserted or deleted (with author and date), and the two views Word offers —
accept all changes, reject all changes.

Plain frozen dataclasses: the reader (`tracked_changes`) builds them from the XML, the proposal
check and the compiler read them. No XML here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Change",
    "Document",
    "Location",
    "Paragraph",
    "Segment",
    "SegmentState",
]


class SegmentState(StrEnum):
    UNCHANGED = "unchanged"
    INSERTED = "inserted"  # w:ins, w:moveTo
    DELETED = "deleted"  # w:del, w:moveFrom


class Location(StrEnum):
    """Where a paragraph stands: the body, a table cell, or a content control (w:sdt)."""

    BODY = "body"
    TABLE = "table"
    CONTENT_CONTROL = "content_control"


@dataclass(frozen=True)
class Change:
    """Who made a tracked change, and when (`w:author`, `w:date`; either may be missing)."""

    author: str | None = None
    date: datetime | None = None
    moved: bool = False  # a move (w:moveFrom / w:moveTo), read as a deletion plus an insertion


@dataclass(frozen=True)
class Segment:
    """A run of text in one state. Field results are text; field codes are not."""

    text: str
    state: SegmentState = SegmentState.UNCHANGED
    change: Change | None = None  # set for inserted and deleted segments


@dataclass(frozen=True)
class Paragraph:
    """One `w:p`, in document order.

    `mark` is the state of the paragraph mark: INSERTED when the paragraph's end was inserted
    (a new paragraph split off, or added), DELETED when it was deleted (this paragraph merges
    with the next when the change is accepted). `formatting_changes` counts `w:rPrChange` and
    `w:pPrChange` (formatting-only changes, reported, not applied).
    """

    segments: tuple[Segment, ...]
    mark: SegmentState = SegmentState.UNCHANGED
    mark_change: Change | None = None
    location: Location = Location.BODY
    style: str | None = None
    formatting_changes: int = 0

    @property
    def accepted_text(self) -> str:
        return "".join(s.text for s in self.segments if s.state is not SegmentState.DELETED)

    @property
    def rejected_text(self) -> str:
        return "".join(s.text for s in self.segments if s.state is not SegmentState.INSERTED)

    @property
    def has_changes(self) -> bool:
        return self.mark is not SegmentState.UNCHANGED or any(
            s.state is not SegmentState.UNCHANGED for s in self.segments
        )


@dataclass(frozen=True)
class Document:
    paragraphs: tuple[Paragraph, ...]
    comments: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)  # what the reader noticed, for reports

    def accept_view(self) -> list[str]:
        """Paragraph texts with every change accepted (Word's "Accept All Changes").

        A deleted paragraph mark joins the paragraph with the next; a paragraph whose mark was
        inserted stays a paragraph of its own.
        """
        return _view(self.paragraphs, accept=True)

    def reject_view(self) -> list[str]:
        """Paragraph texts with every change rejected (Word's "Reject All Changes")."""
        return _view(self.paragraphs, accept=False)

    @property
    def has_changes(self) -> bool:
        return any(p.has_changes for p in self.paragraphs)


def _view(paragraphs: tuple[Paragraph, ...], *, accept: bool) -> list[str]:
    gone = SegmentState.DELETED if accept else SegmentState.INSERTED
    out: list[str] = []
    pending = ""
    for p in paragraphs:
        text = pending + (p.accepted_text if accept else p.rejected_text)
        if p.mark is gone:
            # The mark disappears in this view: the paragraph runs on into the next one.
            pending = text
            continue
        pending = ""
        out.append(text)
    if pending:
        out.append(pending)
    return out

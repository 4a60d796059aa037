"""What the reader makes of a `.docx`: paragraphs in document order, each a list of segments that
are unchanged, inserted or deleted (with author and date), and the two views Word offers —
accept all changes, reject all changes — or any view between them (`view_accepting`: accept
some changes, e.g. one author's, and reject the others).

Plain frozen dataclasses: the reader (`tracked_changes`) builds them from the XML, the proposal
check and the compiler read them. No XML here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Accept",
    "Document",
    "Location",
    "Paragraph",
    "Segment",
    "SegmentState",
    "TrackedChange",
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
class TrackedChange:
    """Who made a tracked change, and when (`w:author`, `w:date`; either may be missing)."""

    author: str | None = None
    date: datetime | None = None
    moved: bool = False  # a move (w:moveFrom / w:moveTo), read as a deletion plus an insertion


@dataclass(frozen=True)
class Segment:
    """A run of text in one state. Field results are text; field codes are not."""

    text: str
    state: SegmentState = SegmentState.UNCHANGED
    change: TrackedChange | None = None  # set for inserted and deleted segments


@dataclass(frozen=True)
class Paragraph:
    """One `w:p`, in document order.

    `mark` is the state of the paragraph mark: INSERTED when the paragraph's end was inserted
    (a new paragraph split off, or added), DELETED when it was deleted (this paragraph merges
    with the next when the change is accepted). `formatting_changes` counts `w:rPrChange` and
    `w:pPrChange` (formatting-only changes, reported, not applied).

    A mark inserted by one author and deleted by another is DELETED, with `mark_insertion` the
    insertion: it is in neither view.

    `container` numbers the block-level container the paragraph stands in: 0 the body, then
    each table cell in document order. A paragraph whose mark goes away joins only the next
    paragraph of its own container, never across a cell or a table (as in Word). `row` is the
    state of the table row (or cell) that holds it: INSERTED (`w:trPr/w:ins`, `w:cellIns`) and
    the paragraph is not in the reject view at all, DELETED (`w:trPr/w:del`, `w:cellDel`) and it
    is not in the accept view. `tables`, `rows` and `row_level` say which tables and rows hold
    it, outermost first, and which of those rows was inserted or deleted
    (`paragraph_order.Place`): what the compiler needs to insert or delete a whole row.
    """

    segments: tuple[Segment, ...]
    mark: SegmentState = SegmentState.UNCHANGED
    mark_change: TrackedChange | None = None
    mark_insertion: TrackedChange | None = None
    location: Location = Location.BODY
    style: str | None = None
    formatting_changes: int = 0
    container: int = 0
    row: SegmentState = SegmentState.UNCHANGED
    row_change: TrackedChange | None = None
    tables: tuple[int, ...] = ()
    rows: tuple[int, ...] = ()
    row_level: int | None = None

    @property
    def accepted_text(self) -> str:
        return "".join(s.text for s in self.segments if s.state is not SegmentState.DELETED)

    @property
    def rejected_text(self) -> str:
        return "".join(s.text for s in self.segments if s.state is not SegmentState.INSERTED)

    @property
    def has_changes(self) -> bool:
        return (
            self.mark is not SegmentState.UNCHANGED
            or self.row is not SegmentState.UNCHANGED
            or any(s.state is not SegmentState.UNCHANGED for s in self.segments)
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
        return self.view_accepting(_accept_all)

    def reject_view(self) -> list[str]:
        """Paragraph texts with every change rejected (Word's "Reject All Changes")."""
        return self.view_accepting(_reject_all)

    def view_accepting(self, accept: Accept) -> list[str]:
        """Paragraph texts with the changes whose `TrackedChange` satisfies `accept` accepted and
        all others rejected: segments by their `change`, paragraph marks by `mark_change` (a mark
        inserted by one change and deleted by another stands only when the insertion is
        accepted and the deletion is not), rows by `row_change`. `accept_view` accepts every
        change, `reject_view` none; accepting the changes of one author shows that author's
        text."""
        return [text for _, text in view_groups(self.paragraphs, accept=accept) if text is not None]

    @property
    def has_changes(self) -> bool:
        return any(p.has_changes for p in self.paragraphs)


Accept = Callable[[TrackedChange | None], bool]
"""Which changes a view accepts (the others it rejects)."""


def _accept_all(change: TrackedChange | None) -> bool:
    return True


def _reject_all(change: TrackedChange | None) -> bool:
    return False


def in_view(segment: Segment, accept: Accept) -> bool:
    """Whether the segment's text is in the view that accepts the changes `accept` says."""
    if segment.state is SegmentState.INSERTED:
        return accept(segment.change)
    if segment.state is SegmentState.DELETED:
        return not accept(segment.change)
    return True


def mark_stands(paragraph: Paragraph, accept: Accept) -> bool:
    """Whether the paragraph's mark is in the view (else it joins the next paragraph)."""
    if paragraph.mark is SegmentState.INSERTED:
        return accept(paragraph.mark_change)
    if paragraph.mark is SegmentState.DELETED:
        inserted = paragraph.mark_insertion is None or accept(paragraph.mark_insertion)
        return inserted and not accept(paragraph.mark_change)
    return True


def row_stands(paragraph: Paragraph, accept: Accept) -> bool:
    """Whether the table row (or cell) holding the paragraph is in the view."""
    if paragraph.row is SegmentState.INSERTED:
        return accept(paragraph.row_change)
    if paragraph.row is SegmentState.DELETED:
        return not accept(paragraph.row_change)
    return True


def text_in_view(paragraph: Paragraph, accept: Accept) -> str:
    return "".join(s.text for s in paragraph.segments if in_view(s, accept))


def view_groups(
    paragraphs: tuple[Paragraph, ...], *, accept: bool | Accept
) -> list[tuple[list[Paragraph], str | None]]:
    """The paragraphs grouped as one view joins them, each group with its text in that view, or
    None when the group is not in it. `accept`: True for the accept view, False for the reject
    view, or which changes the view accepts (`Document.view_accepting`).

    Open-XML-PowerTools' `RevisionProcessor` order: marks first, then rows.

    Within one container, a run of paragraphs whose marks go away in this view joins the paragraph
    that follows it. A run with nothing after it in its container (the container ends, or a table
    follows) stays a paragraph of its own, unless nothing is left of it: then it goes (a table
    cell keeps one empty paragraph). Then the paragraphs of rows that go away in this view go.
    A moved mark goes like a deleted one (PowerTools strips `w:moveFrom` marks before it joins
    paragraphs and so leaves an empty paragraph behind; Word does not).
    """
    every: Accept = _accept_all if accept is True else _reject_all
    accepts = every if isinstance(accept, bool) else accept

    def mark_goes(p: Paragraph) -> bool:
        return not mark_stands(p, accepts)

    groups: list[list[Paragraph]] = []
    for p in paragraphs:
        last = groups[-1][-1] if groups else None
        if last is not None and mark_goes(last) and last.container == p.container:
            groups[-1].append(p)
        else:
            groups.append([p])
    texts: list[str | None] = []  # None: the group is not in this view
    emitted: set[int] = set()  # containers with a paragraph in this view
    last_group: dict[int, int] = {}  # container -> index of its last group still standing
    for i, group in enumerate(groups):
        first, last = group[0], group[-1]
        if not row_stands(first, accepts):
            texts.append(None)
            continue
        last_group[first.container] = i
        text = "".join(text_in_view(p, accepts) for p in group)
        if not text and mark_goes(last):
            texts.append(None)
            continue
        texts.append(text)
        emitted.add(first.container)
    out: list[tuple[list[Paragraph], str | None]] = []
    for i, (group, kept) in enumerate(zip(groups, texts, strict=True)):
        container = group[0].container
        if (
            kept is None
            and container != 0
            and container not in emitted
            and last_group.get(container) == i
        ):
            kept = ""  # an emptied table cell keeps one empty paragraph
        out.append((group, kept))
    return out

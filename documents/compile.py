"""Compile the latest proposal of each delegation into one revised text (SPEC §3, Compilation).

The base and N proposals in; out: the revised `.docx` — a copy of the base package (styles,
numbering, headers, sections kept) carrying every delegation's changes as real Word tracked
changes, author `Antigua and Barbuda (AG)`, with a visible `(AG)` tag, identical changes merged
as `(AG, BR)`, overlapping ones as bracketed alternatives `[shall / should (AG) / will (BR)]`,
new paragraphs labelled `5 bis` — and a report per paragraph and per delegation.

Rejecting every change of the revision gives the base back exactly; accepting one delegation's
changes gives that delegation's text wherever it had no conflict.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import docx
import pycountry

from documents.edits import (
    AttributedEdit,
    Conflict,
    Edit,
    Stream,
    base_stream,
    combine,
    edits_of,
    home_paragraph,
)
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.excerpts import ConflictView, conflict_views
from documents.model import Document
from documents.paragraph_order import paragraph_elements
from documents.proposals import numbering
from documents.revision import COMPILER, render_paragraphs
from documents.revision_pieces import pieces_of
from documents.wordml import W

__all__ = [
    "Compilation",
    "DelegationSummary",
    "ParagraphReport",
    "Submission",
    "author_label",
    "compile_revision",
]


@dataclass(frozen=True)
class Submission:
    """A delegation's checked proposal: its code, the document as read, and when it was made."""

    code: str
    # None once its edits are known: 193 documents as read would be kept for nothing.
    document: Document | None
    submitted: datetime | None = None
    edits: tuple[Edit, ...] | None = None  # in base coordinates, when already known

    @classmethod
    def lean(cls, code: str, document: Document, edits: Sequence[Edit]) -> Submission:
        """The proposal's edits and the moment of its latest change, without the document."""
        return cls(code, None, latest_change(document), tuple(edits))

    def edits_in(self, stream: Stream) -> list[Edit]:
        if self.edits is not None:
            return list(self.edits)
        assert self.document is not None, "a submission holds its edits or its document"
        return edits_of(stream, self.document)


@dataclass(frozen=True)
class ParagraphReport:
    number: str  # "5", or "before 1" for text before the first numbered paragraph
    changes: int
    delegations: tuple[str, ...]
    conflicts: int
    in_conflict: tuple[str, ...] = ()  # the delegations party to its conflicts


@dataclass(frozen=True)
class DelegationSummary:
    code: str
    name: str
    changes: int
    paragraphs: int
    in_conflict: int


@dataclass(frozen=True)
class Compilation:
    revision: bytes
    paragraphs: list[ParagraphReport]
    delegations: list[DelegationSummary]
    conflicts: int
    new_paragraphs: list[str]
    revisions: int
    notes: list[str] = field(default_factory=list)
    # Each conflict with its alternatives, for the summary the Chair reads in the chat.
    conflict_views: list[ConflictView] = field(default_factory=list)

    def summary(self) -> list[str]:
        """The summary for the moderation room and the CLI: one line per fact."""
        touched = [p for p in self.paragraphs if p.changes]
        lines = [
            f"{len(self.delegations)} proposal(s); {len(touched)} paragraph(s) touched; "
            f"{self.conflicts} conflict(s); {len(self.new_paragraphs)} new paragraph(s)"
            + (f" ({', '.join(self.new_paragraphs)})" if self.new_paragraphs else "")
        ]
        for d in self.delegations:
            lines.append(
                f"{d.code} {d.name}: {d.changes} change(s) in {d.paragraphs} paragraph(s)"
                + (f", {d.in_conflict} in conflict" if d.in_conflict else "")
            )
        for p in self.paragraphs:
            if p.conflicts:
                lines.append(f"paragraph {p.number}: conflict between {', '.join(p.in_conflict)}")
        return lines + self.notes


def author_label(code: str, names: Mapping[str, str] | None = None) -> str:
    """`Antigua and Barbuda (AG)`: the roster's name if given, else ISO 3166's."""
    name = (names or {}).get(code)
    if not name:
        country = pycountry.countries.get(alpha_2=code)
        name = str(getattr(country, "name", code)) if country else code
    return f"{name} ({code})"


def compile_revision(
    base_data: bytes,
    base: Document,
    submissions: Sequence[Submission],
    *,
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Compilation:
    """The revised document and its report. `base` is `base_data` as read (no tracked
    changes); each submission's reject view must be the base (`proposals.check_proposal`)."""
    now = now or datetime.now(UTC)
    texts = base.accept_view()
    stream = base_stream(texts)
    numbers = numbering(texts)
    order = [s.code for s in submissions]
    per_code = {s.code: s.edits_in(stream) for s in submissions}
    items = combine(stream, [(code, per_code[code]) for code in order])

    package = docx.Document(io.BytesIO(base_data))
    body = package.element.body
    elements = paragraph_elements(body)
    if len(elements) != len(texts):
        raise DocumentRefused(
            RefusalCode.CORRUPT,
            "The base document's paragraphs could not be read consistently.",
            why=Reason.BASE_INCONSISTENT,
        )
    dates = {s.code: s.submitted or latest_change(s.document) or now for s in submissions}

    def author(codes: tuple[str, ...]) -> str:
        return ", ".join(author_label(c, names) for c in codes) if codes else COMPILER

    def date(codes: tuple[str, ...]) -> datetime:
        return max((dates[c] for c in codes), default=now)

    rendered = render_paragraphs(
        body,
        elements,
        texts,
        pieces_of(stream, items),
        numbers=numbers,
        author=author,
        date=date,
        first_id=_max_revision_id(package.element),
    )
    out = io.BytesIO()
    package.save(out)
    return Compilation(
        revision=out.getvalue(),
        paragraphs=_paragraph_reports(stream, numbers, items),
        delegations=_delegation_summaries(stream, numbers, items, order, names),
        conflicts=sum(isinstance(i, Conflict) for i in items),
        new_paragraphs=rendered.new_paragraph_labels,
        revisions=rendered.revisions,
        conflict_views=conflict_views(
            stream, numbers, [i for i in items if isinstance(i, Conflict)]
        ),
    )


def latest_change(document: Document | None) -> datetime | None:
    """When the document's latest tracked change was made, if its changes say."""
    if document is None:
        return None
    dates = [
        s.change.date
        for p in document.paragraphs
        for s in p.segments
        if s.change is not None and s.change.date is not None
    ]
    return max(dates, default=None)


def _max_revision_id(root: object) -> int:
    highest = 0
    for element in root.iter():  # type: ignore[attr-defined]
        value = element.get(f"{{{W}}}id")
        if value is not None and re.fullmatch(r"-?\d+", value):
            highest = max(highest, int(value))
    return highest


def _home_paragraph_of(stream: Stream, item: AttributedEdit | Conflict) -> int:
    if isinstance(item, AttributedEdit):
        return home_paragraph(stream, item.edit)
    return stream.paragraph_of(min(item.start, len(stream.tokens) - 1))


def _paragraph_label(numbers: Sequence[int | None], index: int) -> str:
    while index >= 0:
        if numbers[index] is not None:
            return str(numbers[index])
        index -= 1
    return "before 1"


def _paragraph_reports(
    stream: Stream, numbers: Sequence[int | None], items: Sequence[AttributedEdit | Conflict]
) -> list[ParagraphReport]:
    rows: dict[str, tuple[int, list[str], int]] = {}
    in_conflict: dict[str, list[str]] = {}
    for n in numbers:
        if n is not None:
            rows[str(n)] = (0, [], 0)
    for item in items:
        label = _paragraph_label(numbers, _home_paragraph_of(stream, item))
        changes, codes, conflicts = rows.get(label, (0, [], 0))
        if isinstance(item, AttributedEdit):
            changes += 1
            new = list(item.codes)
        else:
            conflicts += 1
            changes += len(item.alternatives)
            new = [c for _, cs in item.alternatives for c in cs]
            party = in_conflict.setdefault(label, [])
            party += [c for c in new if c not in party]
        codes += [c for c in new if c not in codes]
        rows[label] = (changes, codes, conflicts)
    return [
        ParagraphReport(k, c, tuple(d), x, tuple(in_conflict.get(k, ())))
        for k, (c, d, x) in rows.items()
    ]


def _delegation_summaries(
    stream: Stream,
    numbers: Sequence[int | None],
    items: Sequence[AttributedEdit | Conflict],
    order: Sequence[str],
    names: Mapping[str, str] | None,
) -> list[DelegationSummary]:
    out = []
    for code in order:
        changes = 0
        conflicts = 0
        paragraphs: set[str] = set()
        for item in items:
            codes = (
                item.codes
                if isinstance(item, AttributedEdit)
                else tuple(c for _, cs in item.alternatives for c in cs)
            )
            if code not in codes:
                continue
            changes += 1
            conflicts += isinstance(item, Conflict)
            paragraphs.add(_paragraph_label(numbers, _home_paragraph_of(stream, item)))
        name = author_label(code, names).rsplit(" (", 1)[0]
        out.append(DelegationSummary(code, name, changes, len(paragraphs), conflicts))
    return out

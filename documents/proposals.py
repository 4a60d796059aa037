"""The proposal check of SPEC §3: is this file a delegation's proposal on this base?

A proposal is named `<ISO code>_<base file name>`, carries tracked changes, and rejecting all of
them gives the base back. When it does not, the answer names the first paragraph that differs
and says whether it looks like an edit made without Track Changes or another version of the base.
Bytes in, a `ProposalReport` (or a `DocumentRefused` with a sentence for the delegate) out.

The rules about proposals on record live here too: which document a file proposes changes to
(`proposed_base`), which document `!compile` works on (`select_base`), and which proposals
still stand (`supersedes`, `standing`).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import pycountry

from documents.edits import Edit, base_stream, edits_of, home_paragraph
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.limits import Limits
from documents.model import Document
from documents.package_gate import check_package
from documents.tracked_changes import read_document

__all__ = [
    "BaseChoice",
    "NoBase",
    "NoProposalsYet",
    "NotPublished",
    "ProposalOnRecord",
    "ProposalReport",
    "WhichBase",
    "check_proposal",
    "delegation_of",
    "document_file_name",
    "expected_name",
    "numbering",
    "proposed_base",
    "read_base",
    "select_base",
    "standing",
    "stands",
    "supersedes",
]


@dataclass(frozen=True)
class ProposalReport:
    """An accepted proposal: its delegation, how many changes, which base paragraphs."""

    delegation: str
    file_name: str
    changes: int
    paragraphs_touched: tuple[int, ...]  # base paragraph numbers (see `numbering`)
    formatting_changes: int
    document: Document
    edits: tuple[Edit, ...] = ()  # in base coordinates (computed once, reused by the compiler)


def numbering(paragraphs: Sequence[str]) -> list[int | None]:
    """Paragraph numbers as delegates cite them: the non-empty paragraphs, from 1."""
    numbers: list[int | None] = []
    n = 0
    for text in paragraphs:
        if text.strip():
            n += 1
            numbers.append(n)
        else:
            numbers.append(None)
    return numbers


def expected_name(code: str, base_name: str) -> str:
    return f"{code.upper()}_{base_name}"


def delegation_of(file_name: str) -> str | None:
    """The ISO 3166 code a proposal's file name starts with (`AG_Matriz.docx` → AG)."""
    code, sep, rest = file_name.partition("_")
    if not sep or not rest or len(code) != 2 or not code.isalpha():
        return None
    return code.upper() if pycountry.countries.get(alpha_2=code.upper()) else None


def proposed_base(file_name: str) -> str:
    """The document a file proposes changes to: its name without the delegation's code
    (`AG_Matriz.docx` → `Matriz.docx`). A name without a code names the document itself, so that
    a focal point who sends `Matriz.docx` is told how to name a proposal on it."""
    return file_name[3:] if delegation_of(file_name) is not None else file_name


def document_file_name(document: str) -> str:
    """The file name a Chair means by `Matriz` or `Matriz.docx`."""
    return document if document.lower().endswith(".docx") else f"{document}.docx"


@dataclass(frozen=True)
class NotPublished:
    """The document named is not among the published ones."""

    wanted: str


@dataclass(frozen=True)
class NoProposalsYet:
    """No document was named, and none has proposals."""


@dataclass(frozen=True)
class WhichBase:
    """No document was named, and several have proposals: the Chair must say which."""

    candidates: tuple[str, ...]


NoBase = NotPublished | NoProposalsYet | WhichBase
BaseChoice = str | NoBase  # the file name as published, or why there is none


def select_base(
    published: Sequence[str], named: str | None, with_proposals: Collection[str]
) -> BaseChoice:
    """The document `!compile`, `!distribute`, `!agree` and `!approve` work on, among the
    `published` file names of the plan folder: the one `named` (in any case, with or without
    `.docx`), else the only one with proposals. The file name as published, or why there is
    none."""
    if named is not None:
        wanted = document_file_name(named)
        found = [name for name in published if name.lower() == wanted.lower()]
        return found[0] if found else NotPublished(wanted)
    candidates = tuple(name for name in published if name in with_proposals)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return NoProposalsYet()
    return WhichBase(candidates)


class ProposalOnRecord(Protocol):
    """What the rules below read of a proposal the platform filed."""

    @property
    def delegation(self) -> str: ...

    @property
    def base_file_name(self) -> str: ...

    @property
    def base_version(self) -> int: ...

    @property
    def superseded_by(self) -> int | None: ...


_P = TypeVar("_P", bound=ProposalOnRecord)


def supersedes(later: ProposalOnRecord, earlier: ProposalOnRecord) -> bool:
    """A later proposal of the same delegation on the same document supersedes the earlier one;
    both stay on record (SPEC §3)."""
    return (
        stands(earlier)
        and later.delegation == earlier.delegation
        and later.base_file_name == earlier.base_file_name
    )


def stands(proposal: ProposalOnRecord, base_version: int | None = None) -> bool:
    """Whether no later proposal superseded it (and, with `base_version`, it was made on that
    version of its document: what is compiled)."""
    return proposal.superseded_by is None and (
        base_version is None or proposal.base_version == base_version
    )


def standing(proposals: Iterable[_P], base_version: int | None = None) -> list[_P]:
    """The proposals that still stand (see `stands`), by delegation code."""
    return sorted((p for p in proposals if stands(p, base_version)), key=lambda p: p.delegation)


def read_base(data: bytes, limits: Limits | None = None) -> Document:
    """The base document: safe, and without tracked changes of its own."""
    check_package(data, limits or Limits())
    base = read_document(data)
    if base.has_changes:
        raise DocumentRefused(
            RefusalCode.BASE_HAS_CHANGES,
            "The base document itself contains tracked changes; accept or reject them before it "
            "is used as the base of proposals.",
            why=Reason.BASE_HAS_CHANGES,
        )
    return base


def check_proposal(
    base: Document | Sequence[str],
    base_name: str,
    data: bytes,
    file_name: str,
    delegation: str | None = None,
    limits: Limits | None = None,
) -> ProposalReport:
    """Check one proposal against its base (SPEC §3), the base as read or its text (each
    paragraph's, `Document.accept_view()`); raises `DocumentRefused` with the reason."""
    code = delegation_of(file_name)
    if not file_name.lower().endswith(".docx"):
        expected = expected_name(delegation or "AG", base_name)
        raise DocumentRefused(
            RefusalCode.WRONG_NAME,
            f"“{file_name}” is not a Word document: send a .docx named {expected}.",
            why=Reason.NOT_DOCX_NAME,
            params={"file": file_name, "expected": expected},
        )
    if code is None:
        expected = expected_name(delegation or "AG", base_name)
        raise DocumentRefused(
            RefusalCode.WRONG_NAME,
            f"“{file_name}” does not start with an ISO 3166 country code: name it {expected}.",
            why=Reason.NO_COUNTRY_CODE,
            params={"file": file_name, "expected": expected},
        )
    if delegation is not None and code != delegation.upper():
        expected = expected_name(delegation, base_name)
        raise DocumentRefused(
            RefusalCode.WRONG_DELEGATION,
            f"“{file_name}” is named for {code}, but you speak for {delegation.upper()}: name "
            f"it {expected}.",
            why=Reason.WRONG_DELEGATION,
            params={
                "file": file_name,
                "code": code,
                "delegation": delegation.upper(),
                "expected": expected,
            },
        )
    if proposed_base(file_name) != base_name:
        expected = expected_name(code, base_name)
        raise DocumentRefused(
            RefusalCode.WRONG_NAME,
            f"“{file_name}” does not name the document “{base_name}”: name it {expected}.",
            why=Reason.WRONG_DOCUMENT,
            params={"file": file_name, "document": base_name, "expected": expected},
        )
    check_package(data, limits or Limits())
    proposal = read_document(data)
    if not proposal.has_changes:
        raise DocumentRefused(
            RefusalCode.NO_TRACKED_CHANGES,
            f"“{file_name}” contains no tracked changes. Turn on Track Changes (Review → Track "
            "Changes) in the base document, make your changes, and send it again.",
            why=Reason.NO_TRACKED_CHANGES,
            params={"file": file_name},
        )
    base_texts = base.accept_view() if isinstance(base, Document) else list(base)
    rejected = proposal.reject_view()
    if rejected != base_texts:
        raise _difference(base_texts, rejected, file_name)
    stream = base_stream(base_texts)
    edits = edits_of(stream, proposal)
    numbers = numbering(base_texts)
    touched = sorted(
        {n for e in edits if (n := _number_at(numbers, home_paragraph(stream, e))) is not None}
    )
    return ProposalReport(
        delegation=code,
        file_name=file_name,
        changes=len(edits),
        paragraphs_touched=tuple(touched),
        formatting_changes=sum(p.formatting_changes for p in proposal.paragraphs),
        document=proposal,
        edits=tuple(edits),
    )


def _number_at(numbers: Sequence[int | None], index: int) -> int | None:
    """The paragraph's number, or (an empty paragraph) the number of the one before it."""
    while index >= 0:
        if numbers[index] is not None:
            return numbers[index]
        index -= 1
    return numbers[0] if numbers else None


def _difference(base: list[str], rejected: list[str], file_name: str) -> DocumentRefused:
    """Why the proposal's text without its changes is not the base, in a delegate's words."""
    similarity = difflib.SequenceMatcher(None, base, rejected, autojunk=False).ratio()
    numbers = numbering(base)
    index = next(
        (i for i, (a, b) in enumerate(zip(base, rejected, strict=False)) if a != b),
        min(len(base), len(rejected)),
    )
    number = _number_at(numbers, min(index, len(base) - 1)) if base else None
    where = f"paragraph {number}" if number else "the first paragraph"
    paragraph = str(number) if number else ""
    if similarity < 0.5 or abs(len(base) - len(rejected)) > max(3, len(base) // 10):
        return DocumentRefused(
            RefusalCode.NOT_THE_BASE,
            f"“{file_name}” does not seem to be made on the current version of the base: with "
            f"all its changes rejected it differs from it from {where} on. Download the current "
            "version and make your changes on it with Track Changes on.",
            why=Reason.NOT_THE_CURRENT_BASE,
            params={"file": file_name, "paragraph": paragraph},
        )
    line = rejected[index] if index < len(rejected) else ""
    excerpt = line if len(line) <= 80 else line[:77] + "…"
    return DocumentRefused(
        RefusalCode.NOT_THE_BASE,
        f"“{file_name}” contains changes made without Track Changes in {where}"
        + (f" (“{excerpt}”)" if excerpt else "")
        + ". Make every change with Track Changes on, so that the Chair can compile it.",
        why=Reason.UNTRACKED_CHANGES,
        params={"file": file_name, "paragraph": paragraph, "excerpt": excerpt},
    )

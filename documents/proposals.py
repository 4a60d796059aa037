"""The proposal check of SPEC §3: is this file a delegation's proposal on this base?

A proposal is named `<ISO code>_<base file name>`, carries tracked changes, and rejecting all of
them gives the base back. When it does not, the answer names the first paragraph that differs
and says whether it looks like an edit made without Track Changes or another version of the base.
Bytes in, a `ProposalReport` (or a `DocumentRefused` with a sentence for the delegate) out.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import pycountry

from documents.edits import Edit, base_stream, edits_of, home_paragraph
from documents.errors import DocumentRefused, RefusalCode
from documents.limits import Limits
from documents.model import Document
from documents.package_gate import check_package
from documents.tracked_changes import read_document

__all__ = [
    "ProposalReport",
    "check_proposal",
    "delegation_of",
    "expected_name",
    "numbering",
    "read_base",
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


def read_base(data: bytes, limits: Limits | None = None) -> Document:
    """The base document: safe, and without tracked changes of its own."""
    check_package(data, limits or Limits())
    base = read_document(data)
    if base.has_changes:
        raise DocumentRefused(
            RefusalCode.BASE_HAS_CHANGES,
            "The base document itself contains tracked changes; accept or reject them before it "
            "is used as the base of proposals.",
        )
    return base


def check_proposal(
    base: Document,
    base_name: str,
    data: bytes,
    file_name: str,
    delegation: str | None = None,
    limits: Limits | None = None,
) -> ProposalReport:
    """Check one proposal against its base (SPEC §3); raises `DocumentRefused` with the reason."""
    code = delegation_of(file_name)
    if not file_name.lower().endswith(".docx"):
        raise DocumentRefused(
            RefusalCode.WRONG_NAME,
            f"“{file_name}” is not a Word document: send a .docx named "
            f"{expected_name(delegation or 'AG', base_name)}.",
        )
    if code is None:
        raise DocumentRefused(
            RefusalCode.WRONG_NAME,
            f"“{file_name}” does not start with an ISO 3166 country code: name it "
            f"{expected_name(delegation or 'AG', base_name)}.",
        )
    if delegation is not None and code != delegation.upper():
        raise DocumentRefused(
            RefusalCode.WRONG_DELEGATION,
            f"“{file_name}” is named for {code}, but you speak for {delegation.upper()}: name "
            f"it {expected_name(delegation, base_name)}.",
        )
    if file_name[3:] != base_name:
        raise DocumentRefused(
            RefusalCode.WRONG_NAME,
            f"“{file_name}” does not name the document “{base_name}”: name it "
            f"{expected_name(code, base_name)}.",
        )
    check_package(data, limits or Limits())
    proposal = read_document(data)
    if not proposal.has_changes:
        raise DocumentRefused(
            RefusalCode.NO_TRACKED_CHANGES,
            f"“{file_name}” contains no tracked changes. Turn on Track Changes (Review → Track "
            "Changes) in the base document, make your changes, and send it again.",
        )
    base_texts = base.accept_view()
    rejected = proposal.reject_view()
    if rejected != base_texts:
        raise DocumentRefused(
            RefusalCode.NOT_THE_BASE, _difference(base_texts, rejected, file_name)
        )
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


def _difference(base: list[str], rejected: list[str], file_name: str) -> str:
    """Why the proposal's text without its changes is not the base, in a delegate's words."""
    similarity = difflib.SequenceMatcher(None, base, rejected, autojunk=False).ratio()
    numbers = numbering(base)
    index = next(
        (i for i, (a, b) in enumerate(zip(base, rejected, strict=False)) if a != b),
        min(len(base), len(rejected)),
    )
    number = _number_at(numbers, min(index, len(base) - 1)) if base else None
    where = f"paragraph {number}" if number else "the first paragraph"
    if similarity < 0.5 or abs(len(base) - len(rejected)) > max(3, len(base) // 10):
        return (
            f"“{file_name}” does not seem to be made on the current version of the base: with "
            f"all its changes rejected it differs from it from {where} on. Download the current "
            "version and make your changes on it with Track Changes on."
        )
    line = rejected[index] if index < len(rejected) else ""
    excerpt = line if len(line) <= 80 else line[:77] + "…"
    return (
        f"“{file_name}” contains changes made without Track Changes in {where}"
        + (f" (“{excerpt}”)" if excerpt else "")
        + ". Make every change with Track Changes on, so that the Chair can compile it."
    )

"""The engine's two jobs, whole, files in and files out: check one proposal, compile a document.

Each is one module-level function of bytes, so that the shell runs it in the parsing child with
time and memory limits (`parsing_child.parse_with_limits`) — the CLI does, and the bot does for
`!check`, proposals and `!compile`. Its result comes back as JSON (`documents.wire`): each
result type writes itself with `to_json()` and is read back, strictly, with `from_json()`.
A proposal that fails its check is left out of a compilation and named in the summary with its
reason; the others are compiled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from documents import wire
from documents.accept import accept_all
from documents.compilation_matrix import Status, StatusEntry, compilation_matrix
from documents.compile import (
    Compilation,
    DelegationSummary,
    ParagraphReport,
    Submission,
    compile_revision,
)
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.excerpts import ConflictView, MarkedParagraph, proposal_changes
from documents.limits import DEFAULT_LIMITS, Limits
from documents.package_gate import check_package
from documents.proposals import ProposalReport, check_proposal, read_base
from documents.wire import Json

__all__ = [
    "BaseText",
    "CheckResult",
    "CheckedProposal",
    "CompileResult",
    "base_text_job",
    "check_job",
    "check_text_job",
    "compile_job",
    "output_names",
]


@dataclass(frozen=True)
class CheckedProposal:
    """What the shell needs of an accepted proposal (`ProposalReport` without the document as
    read, which stays in the child)."""

    delegation: str
    file_name: str
    changes: int
    paragraphs_touched: tuple[int, ...]
    formatting_changes: int
    # Each paragraph it changes, with the words around each change (what its receipt shows).
    marked: tuple[MarkedParagraph, ...] = ()

    @classmethod
    def of(cls, report: ProposalReport, base_texts: Sequence[str] = ()) -> CheckedProposal:
        return cls(
            report.delegation,
            report.file_name,
            report.changes,
            report.paragraphs_touched,
            report.formatting_changes,
            tuple(proposal_changes(base_texts, report.edits)) if base_texts else (),
        )

    def to_json(self) -> Json:
        return {
            "delegation": self.delegation,
            "file_name": self.file_name,
            "changes": self.changes,
            "paragraphs_touched": list(self.paragraphs_touched),
            "formatting_changes": self.formatting_changes,
            "marked": [m.to_json() for m in self.marked],
        }

    @classmethod
    def from_json(cls, data: Json) -> CheckedProposal:
        return cls(
            wire.field(data, "delegation", str),
            wire.field(data, "file_name", str),
            wire.field(data, "changes", int),
            tuple(wire.integers(data, "paragraphs_touched")),
            wire.field(data, "formatting_changes", int),
            tuple(MarkedParagraph.from_json(m) for m in wire.objects(data, "marked")),
        )


@dataclass(frozen=True)
class CheckResult:
    report: CheckedProposal | None
    refused: str | None = None
    code: str | None = None
    # The refusal itself, with its facts, for `commands/` to word (`refused` is its English).
    refusal: DocumentRefused | None = field(default=None, compare=False)

    def to_json(self) -> Json:
        return {
            "report": None if self.report is None else self.report.to_json(),
            "refused": self.refused,
            "code": self.code,
            "refusal": None if self.refusal is None else self.refusal.to_json(),
        }

    @classmethod
    def from_json(cls, data: Json) -> CheckResult:
        report = wire.optional(data, "report", dict)
        refusal = wire.optional(data, "refusal", dict)
        return cls(
            None if report is None else CheckedProposal.from_json(report),
            wire.optional(data, "refused", str),
            wire.optional(data, "code", str),
            None if refusal is None else _refusal(refusal),
        )

    def lines(self) -> list[str]:
        if self.report is None:
            return [f"refused: {self.refused}"]
        r = self.report
        touched = ", ".join(str(n) for n in r.paragraphs_touched) or "none"
        lines = [
            f"{r.file_name}: a proposal of {r.delegation}",
            f"{r.changes} change(s); paragraphs touched: {touched}",
        ]
        if r.formatting_changes:
            lines.append(f"{r.formatting_changes} formatting-only change(s) (not compiled)")
        return lines


@dataclass(frozen=True)
class CompileResult:
    revision: bytes
    matrix: bytes
    compilation: Compilation
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    clean: bytes = b""  # the revised text, every change accepted (what `!distribute` publishes)
    # The proposals left out, with their refusals' facts, for `commands/` to word.
    left_out: list[tuple[str, DocumentRefused]] = field(default_factory=list, compare=False)

    def summary(self) -> list[str]:
        return self.compilation.summary() + [
            f"left out {name}: {reason}" for name, reason in self.refused
        ]

    def to_json(self) -> Json:
        c = self.compilation
        return {
            "revision": wire.b64(self.revision),
            "matrix": wire.b64(self.matrix),
            "clean": wire.b64(self.clean),
            "refused": [{"file_name": name, "reason": reason} for name, reason in self.refused],
            "left_out": [{"file_name": name, "refusal": r.to_json()} for name, r in self.left_out],
            # The compilation's own revision is `revision`: written once.
            "compilation": {
                "paragraphs": [
                    {
                        "number": p.number,
                        "changes": p.changes,
                        "delegations": list(p.delegations),
                        "conflicts": p.conflicts,
                        "in_conflict": list(p.in_conflict),
                    }
                    for p in c.paragraphs
                ],
                "delegations": [
                    {
                        "code": d.code,
                        "name": d.name,
                        "changes": d.changes,
                        "paragraphs": d.paragraphs,
                        "in_conflict": d.in_conflict,
                    }
                    for d in c.delegations
                ],
                "conflicts": c.conflicts,
                "new_paragraphs": list(c.new_paragraphs),
                "revisions": c.revisions,
                "notes": list(c.notes),
                "conflict_views": [v.to_json() for v in c.conflict_views],
            },
        }

    @classmethod
    def from_json(cls, data: Json) -> CompileResult:
        revision = wire.from_b64(data, "revision")
        c = wire.field(data, "compilation", dict)
        compilation = Compilation(
            revision=revision,
            paragraphs=[
                ParagraphReport(
                    wire.field(p, "number", str),
                    wire.field(p, "changes", int),
                    tuple(wire.strings(p, "delegations")),
                    wire.field(p, "conflicts", int),
                    tuple(wire.strings(p, "in_conflict")),
                )
                for p in wire.objects(c, "paragraphs")
            ],
            delegations=[
                DelegationSummary(
                    wire.field(d, "code", str),
                    wire.field(d, "name", str),
                    wire.field(d, "changes", int),
                    wire.field(d, "paragraphs", int),
                    wire.field(d, "in_conflict", int),
                )
                for d in wire.objects(c, "delegations")
            ],
            conflicts=wire.field(c, "conflicts", int),
            new_paragraphs=wire.strings(c, "new_paragraphs"),
            revisions=wire.field(c, "revisions", int),
            notes=wire.strings(c, "notes"),
            conflict_views=[ConflictView.from_json(v) for v in wire.objects(c, "conflict_views")],
        )
        return cls(
            revision,
            wire.from_b64(data, "matrix"),
            compilation,
            [
                (wire.field(r, "file_name", str), wire.field(r, "reason", str))
                for r in wire.objects(data, "refused")
            ],
            wire.from_b64(data, "clean"),
            [
                (wire.field(r, "file_name", str), _refusal(wire.field(r, "refusal", dict)))
                for r in wire.objects(data, "left_out")
            ],
        )


def _refusal(data: Json) -> DocumentRefused:
    try:
        return DocumentRefused.from_json(data)
    except (KeyError, TypeError, ValueError) as error:
        raise wire.WireError(f"not a refusal: {str(error)[:100]}") from None


def output_names(base_name: str, revision: int) -> tuple[str, str]:
    """`Matriz.docx`, 2 → (`Matriz_rev2.docx`, `Matriz_compilation.docx`)."""
    stem = PurePath(base_name).stem
    return f"{stem}_rev{revision}.docx", f"{stem}_compilation.docx"


@wire.returns(CheckResult)
def check_job(
    base_name: str,
    base_data: bytes,
    file_name: str,
    data: bytes,
    delegation: str | None = None,
    limits: Limits | None = None,
) -> CheckResult:
    """Check a proposal against its base (SPEC §3). A base that cannot be used raises
    `DocumentRefused`; a proposal refused is a `CheckResult` without a report."""
    base_text = base_text_job(base_data, limits).paragraphs
    return check_text_job(base_name, base_text, file_name, data, delegation, limits)


@dataclass(frozen=True)
class BaseText:
    """A base's text, each paragraph's (`Document.accept_view()`): all a proposal's check needs
    of its base."""

    paragraphs: tuple[str, ...]

    def to_json(self) -> Json:
        return {"paragraphs": list(self.paragraphs)}

    @classmethod
    def from_json(cls, data: Json) -> BaseText:
        return cls(tuple(wire.strings(data, "paragraphs")))


@wire.returns(BaseText)
def base_text_job(base_data: bytes, limits: Limits | None = None) -> BaseText:
    """The base's text, once it is known safe and without tracked changes of its own
    (`read_base`). The bot asks once per version and checks every proposal on it with
    `check_text_job`."""
    return BaseText(tuple(read_base(base_data, limits).accept_view()))


@wire.returns(CheckResult)
def check_text_job(
    base_name: str,
    base_text: Sequence[str],
    file_name: str,
    data: bytes,
    delegation: str | None = None,
    limits: Limits | None = None,
) -> CheckResult:
    """`check_job` on a base already read (`base_text_job`)."""
    try:
        report = check_proposal(base_text, base_name, data, file_name, delegation, limits)
    except DocumentRefused as refused:
        return CheckResult(None, refused.reason, refused.code.value, refused)
    return CheckResult(CheckedProposal.of(report, list(base_text)))


def gate_job(data: bytes, limits: Limits | None = None) -> Json | None:
    """The safety gate alone, for a file the platform re-posts to every delegation (a published
    document, a suggested reference): None if it passes, else the refusal as JSON
    (`DocumentRefused.from_json` reads it back)."""
    try:
        check_package(data, limits or DEFAULT_LIMITS)
    except DocumentRefused as refused:
        return refused.to_json()
    return None


@wire.returns(CompileResult)
def compile_job(
    base_name: str,
    base_data: bytes,
    proposals: Sequence[tuple[str, bytes]],
    *,
    names: Mapping[str, str] | None = None,
    statuses: Mapping[int, str] | None = None,
    history: Mapping[int, Sequence[StatusEntry]] | None = None,
    now: datetime | None = None,
    limits: Limits | None = None,
) -> CompileResult:
    """Check each proposal (file name, bytes) and compile those that pass, in code order; the
    last proposal of a delegation wins."""
    base = read_base(base_data, limits)
    base_text = base.accept_view()  # once, for every proposal's check
    accepted: dict[str, Submission] = {}
    refused: list[tuple[str, str]] = []
    left_out: list[tuple[str, DocumentRefused]] = []
    for file_name, data in proposals:
        try:
            report = check_proposal(base_text, base_name, data, file_name, None, limits)
        except DocumentRefused as exc:
            refused.append((file_name, exc.reason))
            left_out.append((file_name, exc))
            continue
        # Only its edits are kept: the document as read goes with the report.
        accepted[report.delegation] = Submission.lean(
            report.delegation, report.document, report.edits
        )
    if not accepted:
        raise DocumentRefused(
            RefusalCode.NO_PROPOSALS,
            "No proposal could be compiled:\n"
            + "\n".join(f"{name}: {reason}" for name, reason in refused),
            why=Reason.NO_PROPOSALS,
            left_out=left_out,
        )
    submissions = [accepted[code] for code in sorted(accepted)]
    compilation = compile_revision(base_data, base, submissions, names=names, now=now)
    matrix = compilation_matrix(
        base,
        submissions,
        title=f"Compilation matrix — {base_name}",
        names=names,
        statuses={n: Status(s) for n, s in (statuses or {}).items()},
        history=history,
    )
    return CompileResult(
        compilation.revision,
        matrix,
        compilation,
        refused,
        accept_all(compilation.revision),
        left_out,
    )

"""The engine's two jobs, whole, files in and files out: check one proposal, compile a document.

Each is one picklable function of bytes, so that the shell runs it in a worker process with time
and memory limits (`safety.parse_with_limits`) — the CLI does, and the bot does for `!compile`.
A proposal that fails its check is left out of a compilation and named in the summary with its
reason; the others are compiled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from documents.accept import accept_all
from documents.compile import Compilation, Submission, compile_revision
from documents.errors import DocumentRefused, RefusalCode
from documents.matrix import Status, compilation_matrix
from documents.proposals import ProposalReport, check_proposal, read_base
from documents.safety import Limits

__all__ = ["CheckResult", "CompileResult", "check_job", "compile_job", "output_names"]


@dataclass(frozen=True)
class CheckResult:
    report: ProposalReport | None
    refused: str | None = None
    code: str | None = None

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

    def summary(self) -> list[str]:
        return self.compilation.summary() + [
            f"left out {name}: {reason}" for name, reason in self.refused
        ]


def output_names(base_name: str, revision: int) -> tuple[str, str]:
    """`Matriz.docx`, 2 → (`Matriz_rev2.docx`, `Matriz_compilation.docx`)."""
    stem = PurePath(base_name).stem
    return f"{stem}_rev{revision}.docx", f"{stem}_compilation.docx"


def check_job(
    base_name: str,
    base_data: bytes,
    file_name: str,
    data: bytes,
    delegation: str | None = None,
    limits: Limits | None = None,
) -> CheckResult:
    base = read_base(base_data, limits)
    try:
        report = check_proposal(base, base_name, data, file_name, delegation, limits)
    except DocumentRefused as refused:
        return CheckResult(None, refused.reason, refused.code.value)
    return CheckResult(report)


def compile_job(
    base_name: str,
    base_data: bytes,
    proposals: Sequence[tuple[str, bytes]],
    *,
    names: Mapping[str, str] | None = None,
    statuses: Mapping[int, str] | None = None,
    now: datetime | None = None,
    limits: Limits | None = None,
) -> CompileResult:
    """Check each proposal (file name, bytes) and compile those that pass, in code order; the
    last proposal of a delegation wins."""
    base = read_base(base_data, limits)
    accepted: dict[str, Submission] = {}
    refused: list[tuple[str, str]] = []
    for file_name, data in proposals:
        try:
            report = check_proposal(base, base_name, data, file_name, None, limits)
        except DocumentRefused as exc:
            refused.append((file_name, exc.reason))
            continue
        accepted[report.delegation] = Submission(
            report.delegation, report.document, edits=report.edits
        )
    if not accepted:
        raise DocumentRefused(
            RefusalCode.NO_PROPOSALS,
            "No proposal could be compiled:\n"
            + "\n".join(f"{name}: {reason}" for name, reason in refused),
        )
    submissions = [accepted[code] for code in sorted(accepted)]
    compilation = compile_revision(base_data, base, submissions, names=names, now=now)
    matrix = compilation_matrix(
        base,
        submissions,
        title=f"Compilation matrix — {base_name}",
        names=names,
        statuses={n: Status(s) for n, s in (statuses or {}).items()},
    )
    return CompileResult(
        compilation.revision, matrix, compilation, refused, accept_all(compilation.revision)
    )

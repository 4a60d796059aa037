"""`plenaria compile` and `plenaria check-proposal`: the documents engine offline (SPEC §7).

Files are read here; the engine runs in a sandboxed worker process with time and memory limits,
so a hostile file costs a refusal, never the command. Exit codes: 0 done, 1 refused (one line per
reason on standard error), 2 usage (a file that cannot be read), 3 a fault of the engine itself
(a bug, not the files': said on standard error and logged where it happened).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.cli.exit_codes import EXIT_FAULT, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from documents.errors import DocumentRefused, EngineFault
from documents.jobs import CheckResult, CompileResult, check_job, compile_job, output_names
from documents.limits import Limits
from documents.parsing_child import parse_with_limits

# The whole job (every proposal read, compiled, rendered) within one worker's limits.
_JOB_LIMITS = Limits(parse_seconds=300.0, parse_memory_bytes=1536 * 1024 * 1024)


def _read_input(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"plenaria: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None


def _delegation_names(roster: Path | None) -> dict[str, str] | None:
    """The delegations' names from a roster file (only `delegations: [{code, name}]` is read).

    A roster that cannot be read is said in one line, and the ISO names are used instead."""
    if roster is None:
        return None
    try:
        data = yaml.safe_load(roster.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        problem = f"cannot read the roster {roster}: {exc.strerror}"
    except (UnicodeDecodeError, yaml.YAMLError):
        problem = f"cannot read the roster {roster}: it is not YAML text"
    else:
        delegations = (data.get("delegations") or []) if isinstance(data, dict) else None
        if isinstance(delegations, list):
            return {
                str(delegation["code"]).upper(): str(delegation["name"])
                for delegation in delegations
                if isinstance(delegation, dict)
                and delegation.get("code")
                and delegation.get("name")
            }
        problem = f"cannot read the roster {roster}: it has no list of delegations"
    print(f"plenaria: {problem}", file=sys.stderr)
    return None


def _report_engine_fault(fault: EngineFault) -> int:
    print(f"plenaria: internal error of the documents engine, not of the files: {fault}",
          file=sys.stderr)  # fmt: skip
    return EXIT_FAULT


def compile_files(
    base: Path, proposals: list[Path], output: Path, revision: int, roster: Path | None
) -> int:
    base_data = _read_input(base)
    files = [(p.name, _read_input(p)) for p in proposals]
    if base_data is None or any(data is None for _, data in files):
        return EXIT_USAGE
    try:
        result: CompileResult = parse_with_limits(
            compile_job,
            base.name,
            base_data,
            [(name, data) for name, data in files if data is not None],
            names=_delegation_names(roster),
            limits=_JOB_LIMITS,
        )
    except DocumentRefused as refused:
        for line in refused.reason.splitlines():  # one line per reason (SPEC §7)
            print(f"plenaria: {line}", file=sys.stderr)
        return EXIT_REFUSED
    except EngineFault as fault:
        return _report_engine_fault(fault)
    revision_name, matrix_name = output_names(base.name, revision)
    try:
        output.mkdir(parents=True, exist_ok=True)
        (output / revision_name).write_bytes(result.revision)
        (output / matrix_name).write_bytes(result.matrix)
    except OSError as exc:
        print(f"plenaria: cannot write into {output}: {exc.strerror}", file=sys.stderr)
        return EXIT_REFUSED
    for line in result.compilation.summary():
        print(line)
    for name, reason in result.refused:
        print(f"plenaria: left out {name}: {reason}", file=sys.stderr)
    print(f"written: {output / revision_name}, {output / matrix_name}")
    return EXIT_OK


def check_file(proposal: Path, base: Path, delegation: str | None) -> int:
    base_data, data = _read_input(base), _read_input(proposal)
    if base_data is None or data is None:
        return EXIT_USAGE
    try:
        result: CheckResult = parse_with_limits(
            check_job, base.name, base_data, proposal.name, data, delegation, limits=_JOB_LIMITS
        )
    except DocumentRefused as refused:
        print(f"plenaria: {refused.reason}", file=sys.stderr)
        return EXIT_REFUSED
    except EngineFault as fault:
        return _report_engine_fault(fault)
    if result.report is None:
        print(f"plenaria: {result.refused}", file=sys.stderr)
        return EXIT_REFUSED
    for line in result.lines():
        print(line)
    return EXIT_OK

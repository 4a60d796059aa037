"""mypy checks the command table against the services: a handler registered with the wrong
arguments model, or given a capability it does not ask for, or a service that does not provide
the capability it is given as, is a type error — not a fault found by a delegate at run time."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = """
from __future__ import annotations

from commands import agree, ping, publish
from commands.services import Services
from commands.table import Command, command
"""

CASES = {
    "the right registration": (
        """
        def _documents(s: Services) -> publish.Deps:
            return s.documents

        ok: Command[Services] = command(
            "publish", publish.SUMMARY, publish.Args, publish.handle, needs=_documents
        )
        """,
        None,
    ),
    "a handler registered with another command's arguments": (
        """
        def _documents(s: Services) -> publish.Deps:
            return s.documents

        wrong: Command[Services] = command(
            "publish", publish.SUMMARY, ping.Args, publish.handle, needs=_documents
        )
        """,
        'Argument 4 to "command"',
    ),
    "a handler given a capability it does not ask for": (
        """
        def _paragraphs(s: Services) -> agree.Deps:
            return s.paragraphs

        wrong: Command[Services] = command(
            "publish", publish.SUMMARY, publish.Args, publish.handle, needs=_paragraphs
        )
        """,
        'Cannot infer value of type parameter "D" of "command"',
    ),
    "a table entry whose lambda picks the wrong capability": (
        """
        table: list[Command[Services]] = [
            command(
                "publish",
                publish.SUMMARY,
                publish.Args,
                publish.handle,
                needs=lambda s: s.paragraphs,
            )
        ]
        """,
        'Cannot infer value of type parameter "D" of "command"',
    ),
    "the table as written": (
        """
        from commands.builtin import builtin_commands

        table: list[Command[Services]] = builtin_commands()
        """,
        None,
    ),
    "a service that does not provide the capability": (
        """
        class Stranger:
            async def set_status(self) -> str:
                return ""

        def _wrong(s: Services) -> agree.Deps:
            return Stranger()
        """,
        "Incompatible return value type",
    ),
}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("typed")
    results = {}
    for name, (code, _) in CASES.items():
        path = folder / (name.replace(" ", "_").replace("'", "") + ".py")
        path.write_text(PRELUDE + textwrap.dedent(code), encoding="utf-8")
        out, err, status = api.run(
            [
                "--strict",
                "--no-error-summary",
                "--cache-dir",
                str(ROOT / ".mypy_cache"),
                "--config-file",
                str(ROOT / "pyproject.toml"),
                str(path),
            ]
        )
        results[name] = out + err + f"\nexit {status}"
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_mypy_judges_the_registration(checked: dict[str, str], case: str) -> None:
    expected = CASES[case][1]
    if expected is None:
        assert checked[case].strip().endswith("exit 0"), checked[case]
    else:
        assert expected in checked[case], checked[case]

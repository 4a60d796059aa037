"""The dependency rule (STYLE.md): the pure packages import no Matrix, database or network code.

Each package is imported, module by module, in a fresh interpreter whose `sys.modules` is then
checked, so no earlier import in the test session can hide or cause a violation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {"nio", "aiohttp", "sqlalchemy", "alembic", "bot", "synapse"}

# Synapse loads this one module from its own environment; it alone may import Synapse's API.
SKIPPED = {"room_policies.synapse_module"}

_SCRIPT = """
import importlib, json, pkgutil, sys
package = importlib.import_module({package!r})
skipped = {skipped!r}
imported = [package.__name__]
for info in pkgutil.walk_packages(getattr(package, "__path__", []), package.__name__ + "."):
    if info.name in skipped or any(info.name.startswith(s + ".") for s in skipped):
        continue
    importlib.import_module(info.name)
    imported.append(info.name)
print(json.dumps({{"imported": imported, "modules": sorted(sys.modules)}}))
"""


def _import_in_fresh_interpreter(package: str) -> tuple[list[str], list[str]]:
    script = _SCRIPT.format(package=package, skipped=sorted(SKIPPED))
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["imported"], report["modules"]


@pytest.mark.parametrize("package", ["room_policies", "documents", "commands"])
def test_pure_package_imports_no_shell_library(package: str) -> None:
    imported, modules = _import_in_fresh_interpreter(package)
    assert package in imported
    top_level = {name.partition(".")[0] for name in modules}
    assert top_level & FORBIDDEN == set(), f"{package} pulls in {sorted(top_level & FORBIDDEN)}"


def test_commands_walk_reaches_every_module() -> None:
    imported, _ = _import_in_fresh_interpreter("commands")
    expected = {
        "commands." + path.stem
        for path in (ROOT / "commands").glob("*.py")
        if path.stem != "__init__"
    }
    assert expected <= set(imported)


def test_the_account_plan_imports_no_network_matrix_or_database_library() -> None:
    # bot/accounts/plan.py is the pure core of `plenaria accounts`: the shell around it talks to
    # the homeserver (homeserver.py) and the disk (passwords.py), the plan never does.
    imported, modules = _import_in_fresh_interpreter("bot.accounts.plan")
    assert imported == ["bot.accounts.plan"]
    top_level = {name.partition(".")[0] for name in modules}
    assert top_level & (FORBIDDEN - {"bot"}) == set()


def test_the_check_would_catch_a_shell_import() -> None:
    # The same machinery, pointed at a shell module that uses them, sees the shell's libraries:
    # the forbidden set is reachable, so the check above can fail.
    _, modules = _import_in_fresh_interpreter("bot.matrix.gateway")
    top_level = {name.partition(".")[0] for name in modules}
    assert {"nio", "aiohttp"} <= top_level & FORBIDDEN

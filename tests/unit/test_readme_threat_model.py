"""The README's threat model names, for every line, tests that exist (issue #9: "the README's
threat model names a test for every line")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(test_\w+)::(test_\w+)`")


def _threat_model_rows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Threat model", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return rows[1:]  # the header; the separator starts with "|---"


def _test_defined(module: str, name: str) -> bool:
    for folder in ("integration", "unit"):
        path = ROOT / "tests" / folder / f"{module}.py"
        if path.exists() and re.search(
            rf"^(async )?def {name}\(", path.read_text(encoding="utf-8"), re.M
        ):
            return True
    return False


def test_every_line_names_tests_that_exist() -> None:
    rows = _threat_model_rows()
    assert len(rows) >= 10
    for row in rows:
        proven_by = row.rstrip(" |").rsplit("|", 1)[-1]
        references = REFERENCE.findall(proven_by)
        assert references, f"no test named for: {row[:80]}"
        assert not re.search(r"\b[A-Z]{2,}_[A-Z_]+\b", proven_by), f"a placeholder in: {row[:80]}"
        for module, name in references:
            assert _test_defined(module, name), f"{module}::{name} does not exist"


def test_the_out_of_reach_notes_name_their_tests_too() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Threat model", 1)[1].split("\n## ", 1)[0]
    for module, name in REFERENCE.findall(section):
        assert _test_defined(module, name), f"{module}::{name} does not exist"

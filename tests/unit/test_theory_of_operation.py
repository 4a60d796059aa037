"""`bot/__init__.py` tells a newcomer the path of a command, of a breach and of a crash recovery;
every module it names must exist, or the page sends them to a room that is not there."""

from __future__ import annotations

import re
from pathlib import Path

import bot

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"`((?:bot|commands|room_policies|documents)/[\w/]+\.py)`")


def test_the_theory_of_operation_tells_the_three_paths() -> None:
    text = bot.__doc__ or ""
    for path in (
        "The path of a command.",
        "The path of a breach.",
        "The path of a crash recovery.",
    ):
        assert path in text


def test_every_module_it_names_exists() -> None:
    named = set(NAMED.findall(bot.__doc__ or ""))
    assert len(named) >= 15
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, f"bot/__init__.py names modules that do not exist: {missing}"


def test_every_sub_package_says_what_lives_there() -> None:
    for package in sorted((ROOT / "bot").iterdir()):
        init = package / "__init__.py"
        if init.is_file():
            doc = init.read_text(encoding="utf-8").strip()
            assert doc.startswith('"""') and len(doc) > 80, package.name

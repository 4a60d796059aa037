"""A services record for unit tests: the capabilities a test gives, and for every other one a
stand-in that fails loudly if a command reaches it (so a test proves which capability it used)."""

from __future__ import annotations

from typing import Any

from commands.builtin import default_table
from commands.services import Services
from commands.table import Catalog


class Absent:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"the command reached services.{self._name}.{attribute}")


def services(commands: Catalog | None = None, **given: Any) -> Services:
    fields = {name: given.pop(name, Absent(name)) for name in Services.__dataclass_fields__}
    assert not given, f"Services has no field {sorted(given)}"
    fields["commands"] = commands if commands is not None else default_table()
    return Services(**fields)

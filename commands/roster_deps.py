"""What the roster commands need from the shell: the current roster, and a way to change it.

A change is validated like an imported roster (`RosterError` with every reason), stored as a
new roster version and reconciled at once; the answer lists what the platform changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from room_policies.roster import Roster, RosterError

__all__ = ["RosterChanged", "RosterDeps", "RosterError", "refusal_lines"]


@dataclass(frozen=True)
class RosterChanged:
    version: int
    changes: list[str] = field(default_factory=list)


class RosterDeps(Protocol):
    async def current_roster(self) -> Roster: ...

    async def change_roster(self, roster: Roster, actor: str, action: str) -> RosterChanged: ...


def refusal_lines(error: RosterError) -> list[str]:
    return list(error.reasons)


def changed_lines(changed: RosterChanged) -> list[str]:
    return [*changed.changes] or ["nothing needed changing in the rooms"]

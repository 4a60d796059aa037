"""The vocabulary of the rules: who someone is (`Role`), what a room is for (`RoomKind`,
`FolderKey`), the typed ids, the platform's own two accounts (`Platform`), and the shape of
every answer (`Decision`).

SPEC §1 (People) and §2 (Rooms). Nothing here decides anything; `access_table`, `membership`,
`conduct` and `power_levels` do, from their tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import NewType, TypeVar

from room_policies.reasons import Facts, Why

UserId = NewType("UserId", str)
RoomId = NewType("RoomId", str)
DelegationCode = NewType("DelegationCode", str)


class Role(StrEnum):
    """A person's or account's role (SPEC §1), plus `OUTSIDER` for anyone else."""

    CHAIR = "chair"
    SECRETARIAT = "secretariat"
    FOCAL_POINT = "focal_point"
    EXPERT = "expert"
    BOT = "bot"
    WARDEN = "warden"
    OUTSIDER = "outsider"


class RoomKind(StrEnum):
    """The kinds of room the platform governs (SPEC §2), as written in the room marker (§7)."""

    SPACE = "space"
    PLENARY = "plenary"
    MODERATION = "moderation"
    FOLDER = "folder"
    EXPERTS = "experts"
    DESK = "desk"
    SUPPORT = "support"


# The rooms that belong to one delegation (an experts room, a desk), and the roles that speak
# for a delegation.
PER_DELEGATION: frozenset[RoomKind] = frozenset({RoomKind.EXPERTS, RoomKind.DESK})
DELEGATES: frozenset[Role] = frozenset({Role.FOCAL_POINT, Role.EXPERT})


class FolderKey(StrEnum):
    """The three folder rooms (SPEC §3), as written in the room marker (§7)."""

    REFERENCE = "reference"
    SUPPORTING = "supporting"
    PLAN = "plan"


@dataclass(frozen=True)
class Platform:
    """The platform's two accounts: the encrypted bot, and the warden that holds no keys."""

    bot_id: UserId
    warden_id: UserId

    def __post_init__(self) -> None:
        if self.bot_id == self.warden_id:
            # The warden exists so that one account never holds an experts room's keys (R15).
            raise ValueError("the bot and the warden must be two different accounts")

    def role_of(self, user: UserId) -> Role | None:
        """`BOT` or `WARDEN` for the platform's accounts, None for anyone else."""
        if user == self.bot_id:
            return Role.BOT
        if user == self.warden_id:
            return Role.WARDEN
        return None


@dataclass(frozen=True)
class Decision:
    """The answer to a "may …?" question: allowed or not, why (for a delegate), and the rule."""

    allowed: bool
    reason: str
    rule: str
    # Which sentence `reason` is, and its facts (`reasons`): how `commands/` words a refusal in
    # the reader's language. None for an answer nobody reads (an allowance, the module's own).
    why: Why | None = None
    facts: Facts = ()

    @property
    def params(self) -> dict[str, str]:
        return dict(self.facts)


_T = TypeVar("_T")

# The column order of the policy tables (access_table.ACCESS, power_levels.POWER_LEVELS).
ROLE_COLUMNS: tuple[Role, ...] = (
    Role.CHAIR,
    Role.SECRETARIAT,
    Role.FOCAL_POINT,
    Role.EXPERT,
    Role.BOT,
    Role.WARDEN,
    Role.OUTSIDER,
)


def role_table(rows: Mapping[RoomKind, tuple[_T, ...]]) -> Mapping[RoomKind, Mapping[Role, _T]]:
    """A read-only (room kind → role → cell) table from rows in `ROLE_COLUMNS` order."""
    return MappingProxyType(
        {
            kind: MappingProxyType(dict(zip(ROLE_COLUMNS, row, strict=True)))
            for kind, row in rows.items()
        }
    )

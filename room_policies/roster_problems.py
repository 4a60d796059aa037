"""Why a roster is refused: `RosterError`, one `RosterProblem` per reason (R1–R6 in `roster`).

Each problem holds its English sentence (the CLI prints it, the audit log keeps it), a code
(`reasons.Problem`) and its facts; `commands/roster_reasons.py` words the code for a reader of
the roster commands in their language. A problem without a code (a file the CLI cannot read, a
schema error pydantic words) is read in English: only the CLI meets those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from room_policies.reasons import Facts, Problem, facts
from room_policies.roles import Role

__all__ = ["RosterError", "RosterProblem", "schema_problem", "two_seats", "user_id_problem"]


@dataclass(frozen=True)
class RosterProblem:
    """One reason a roster is refused: the English sentence, its code and its facts."""

    reason: str
    why: Problem | None = None
    facts: Facts = ()

    @property
    def params(self) -> dict[str, str]:
        return dict(self.facts)


class RosterError(ValueError):
    """A roster was refused; `reasons` holds one plain sentence per problem (`problems`)."""

    def __init__(self, problems: Iterable[str | RosterProblem]) -> None:
        self.problems: tuple[RosterProblem, ...] = tuple(
            p if isinstance(p, RosterProblem) else RosterProblem(p) for p in problems
        )
        self.reasons: tuple[str, ...] = tuple(p.reason for p in self.problems)
        super().__init__("\n".join(self.reasons))


# SPEC's Matrix user id grammar (lowercase localpart); the server part is compared as a string.
_LOCALPART = re.compile(r"[a-z0-9._=\-/+]+")
_MAX_USER_ID_LENGTH = 255


def user_id_problem(user: str, server_name: str) -> RosterProblem | None:
    """R4: a participant's id is well formed and of the platform's own homeserver."""
    localpart, colon, server = user.removeprefix("@").partition(":")
    if (
        not user.startswith("@")
        or not colon
        or not server
        or len(user) > _MAX_USER_ID_LENGTH
        or not _LOCALPART.fullmatch(localpart)
    ):
        return RosterProblem(
            f"{user!r} is not a Matrix user id like @name:{server_name} (lowercase letters, "
            "digits and . _ = - / + before the colon)",
            Problem.BAD_USER_ID,
            facts(user=repr(user), server=server_name),
        )
    if server != server_name:
        return RosterProblem(
            f"{user} is an account of {server}, not of {server_name}: every participant has an "
            "account on the platform's own homeserver",
            Problem.OTHER_SERVER,
            facts(user=user, their_server=server, server=server_name),
        )
    return None


def two_seats(user: str, seats: list[tuple[Role, str | None]]) -> RosterProblem:
    """R3: a person with more than one seat (role, delegation code or None)."""

    def seat(role: Role, code: str | None) -> str:
        words = role.value.replace("_", " ")
        return f"{words} of {code}" if code is not None else words

    codes = list(dict.fromkeys(c for _, c in seats if c is not None))
    roles = list(dict.fromkeys(seat(r, c) for r, c in seats))
    coded = list(dict.fromkeys(f"{r.value}:{c}" if c else r.value for r, c in seats))
    if len(codes) > 1:
        return RosterProblem(
            f"{user} is in two delegations ({', '.join(codes)}); a person is in at most one",
            Problem.TWO_DELEGATIONS,
            facts(user=user, codes=", ".join(codes)),
        )
    if len(roles) > 1:
        return RosterProblem(
            f"{user} holds two roles ({', '.join(roles)}); a person holds one role",
            Problem.TWO_ROLES,
            facts(user=user, seats=" ".join(coded)),
        )
    return RosterProblem(
        f"{user} is listed twice as {roles[0]}",
        Problem.LISTED_TWICE,
        facts(user=user, seats=coded[0]),
    )


def schema_problem(error: Any, data: dict[str, Any]) -> RosterProblem:
    """A pydantic error of the roster file, where it is and what is wrong."""
    where = ""
    node: Any = data
    for part in error["loc"]:
        if isinstance(part, int):
            where += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("code"), str):
                where += f" ({node['code']})"
        else:
            where += f".{part}" if where else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    why = {"extra_forbidden": Problem.UNKNOWN_KEY, "missing": Problem.MISSING_KEY}.get(
        error["type"]
    )
    message = {
        "extra_forbidden": "unknown key (check its spelling)",
        "missing": "required, but missing",
    }.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
    if not where:
        return RosterProblem(message)
    return RosterProblem(f"{where}: {message}", why, facts(where=where) if why else ())

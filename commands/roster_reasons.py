"""Why a roster change is refused (`room_policies.roster_problems.RosterError`), in the reader's
language: what `!delegation`, `!experts` and `!focal-point` answer after "Refused:".

`room_policies` gives each reason a code (`reasons.Problem`) and its facts; the sentences are
here, one catalog message per code, in English the roster's own sentence byte for byte (the CLI
prints that one). A reason without a code (a file the CLI could not read) stays English.
"""

from __future__ import annotations

from collections.abc import Mapping

from commands.i18n import N_, Translate
from room_policies.reasons import Problem
from room_policies.roster_problems import RosterError, RosterProblem

__all__ = ["MESSAGES", "problem_reason", "refusal_lines"]

MESSAGES: dict[Problem, str] = {
    Problem.EMPTY_WORKING_GROUP: N_("working_group is empty: give the working group's name"),
    Problem.NO_CHAIR: N_("the roster names no chair; the working group needs at least one"),
    Problem.NO_SECRETARIAT: N_("the roster names no secretariat member; at least one is needed"),
    Problem.NOT_A_COUNTRY: N_("delegation code {code} is not an ISO 3166-1 alpha-2 country code"),
    Problem.EMPTY_NAME: N_("delegation {code} has an empty name"),
    Problem.DELEGATION_TWICE: N_(
        "delegation {code} is listed twice; a delegation is listed once, with exactly one focal "
        "point"
    ),
    Problem.BAD_USER_ID: N_(
        "{user} is not a Matrix user id like @name:{server} (lowercase letters, digits and . _ = "
        "- / + before the colon)"
    ),
    Problem.OTHER_SERVER: N_(
        "{user} is an account of {their_server}, not of {server}: every participant has an "
        "account on the platform's own homeserver"
    ),
    Problem.IS_BOT: N_("{user} is the platform's bot account and cannot also be a participant"),
    Problem.IS_WARDEN: N_(
        "{user} is the platform's warden account and cannot also be a participant"
    ),
    Problem.TWO_DELEGATIONS: N_(
        "{user} is in two delegations ({codes}); a person is in at most one"
    ),
    Problem.TWO_ROLES: N_("{user} holds two roles ({roles}); a person holds one role"),
    Problem.LISTED_TWICE: N_("{user} is listed twice as {role}"),
    Problem.NAME_OFF_ROSTER: N_("names: {user} is not on the roster (check the user id)"),
    Problem.NAME_NOT_ONE_LINE: N_("names: the name of {user} must be one non-empty line"),
    Problem.NOT_YAML: N_("the roster is not valid YAML: {error}"),
    Problem.NOT_A_MAPPING: N_("the roster must be a YAML mapping (working_group:, chairs:, …)"),
    Problem.UNKNOWN_KEY: N_("{where}: unknown key (check its spelling)"),
    Problem.MISSING_KEY: N_("{where}: required, but missing"),
}

# A seat, "role" or "role:CODE" (`roster_problems.two_seats`).
_SEATS: Mapping[str, str] = {
    "chair": N_("chair"),
    "secretariat": N_("secretariat"),
    "focal_point": N_("focal point of {code}"),
    "expert": N_("expert of {code}"),
}


def _seat(seat: str, _: Translate) -> str:
    role, _colon, code = seat.partition(":")
    return _(_SEATS[role]).format(code=code) if role in _SEATS else seat


def problem_reason(problem: RosterProblem, _: Translate = str) -> str:
    """One reason in the reader's language (`_`)."""
    if problem.why is None:
        return problem.reason
    words = problem.params
    if "seats" in words:
        seats = [_seat(s, _) for s in words["seats"].split(" ")]
        words["roles"], words["role"] = ", ".join(seats), seats[0]
    return _(MESSAGES[problem.why]).format(**words)


def refusal_lines(error: RosterError, _: Translate = str) -> list[str]:
    """The roster's reasons in the reader's language; the "Refused:" framing is the handler's."""
    return [problem_reason(p, _) for p in error.problems]

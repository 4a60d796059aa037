"""The roster: who is in the working group, in which role and for which delegation.

The model is `roster.yaml` of SPEC §7 as frozen pydantic models (unknown keys are errors), plus
an optional `names:` map (user id → the person's name, used in display names). `load_roster`
parses and checks it; `validate` checks a roster built in code (e.g. after `!delegation add`).
A refused roster raises `RosterError` (`roster_problems`) with one plain line per reason, as the
CLI prints them, each with a code and facts that `commands/` words for a chat reader.

Roster changes (`with_delegation`, `with_focal_point`, …) return a new roster; call `validate`
on it before storing it.

R1  "A delegation is a member state, identified by its ISO 3166-1 alpha-2 code" (§1).
R2  A delegation has "exactly 1" focal point (§1 table): it is listed once, with one focal point.
R3  One person, one role, in at most one delegation (§1: "Every participant has their own Matrix
    account"; an expert is "attached to one delegation").
R4  Participants are well-formed Matrix ids on "the organisation's own Synapse homeserver"
    (SPEC intro; §6: no federation).
R5  The bot and the warden are the platform's accounts (§1 table), never participants.
R6  The working group has a Chair and a Secretariat: "1+" of each (§1 table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from room_policies.reasons import Problem, facts
from room_policies.roles import DelegationCode, Role, UserId
from room_policies.roster_problems import (
    RosterError,
    RosterProblem,
    schema_problem,
    two_seats,
    user_id_problem,
)

__all__ = [
    "Delegation",
    "Folders",
    "Roster",
    "RosterError",
    "country_name",
    "dump_roster",
    "load_roster",
    "validate",
]


def country_name(code: str) -> str | None:
    """The ISO 3166 name of an alpha-2 code ("AG" → "Antigua and Barbuda"), None if unknown.

    The short common name is preferred where ISO gives one ("Bolivia", not "Bolivia,
    Plurinational State of"), because it is what a delegate calls their country.
    """
    if len(code) != 2 or not code.isascii() or not code.isupper():
        return None
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    name = getattr(country, "common_name", None) or country.name
    return str(name)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Delegation(_Frozen):
    """A member state's delegation: its code, its one focal point, its experts (SPEC §1)."""

    code: DelegationCode
    name: str = Field(default="", description="defaults to the ISO 3166 name of the code")
    focal_point: UserId
    experts: tuple[UserId, ...] = ()

    @_model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("name"):
            code = data.get("code")
            name = country_name(code.strip().upper()) if isinstance(code, str) else None
            if name is not None:
                data = {**data, "name": name}
        return data

    @field_validator("code", mode="before")
    @classmethod
    def _normalise_code(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("focal_point", mode="before")
    @classmethod
    def _one_focal_point(cls, value: Any) -> Any:
        # R2: a delegation has exactly one focal point; say so rather than "not a string".
        if isinstance(value, list | tuple):
            raise ValueError(f"a delegation has exactly one focal point, not {len(value)}")
        return value


class Folders(_Frozen):
    """The names of the three folder rooms (SPEC §3, §7)."""

    reference: str = "Reference documents"
    supporting: str = "Supporting documents"
    plan: str = "Inter-American Plan"


class Roster(_Frozen):
    """The working group's people (SPEC §1, §7). Build with `load_roster`, check with `validate`."""

    working_group: str
    chairs: tuple[UserId, ...]
    secretariat: tuple[UserId, ...]
    experts_read_folders: bool = False
    delegations: tuple[Delegation, ...] = ()
    folders: Folders = Folders()
    names: Mapping[UserId, str] = Field(default_factory=dict)

    # user → every (role, delegation) the roster gives them; more than one only if invalid.
    _seats: dict[UserId, list[tuple[Role, Delegation | None]]] = PrivateAttr(default_factory=dict)
    _by_code: dict[str, Delegation] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        seats: dict[UserId, list[tuple[Role, Delegation | None]]] = {}
        for user, role, delegation in self._each_seat():
            seats.setdefault(user, []).append((role, delegation))
        self._seats = seats
        self._by_code = {}
        for delegation in self.delegations:
            self._by_code.setdefault(delegation.code, delegation)

    def _each_seat(self) -> Iterator[tuple[UserId, Role, Delegation | None]]:
        for user in self.chairs:
            yield user, Role.CHAIR, None
        for user in self.secretariat:
            yield user, Role.SECRETARIAT, None
        for delegation in self.delegations:
            yield delegation.focal_point, Role.FOCAL_POINT, delegation
            for user in delegation.experts:
                yield user, Role.EXPERT, delegation

    # -- questions ---------------------------------------------------------------------------

    def participants(self) -> tuple[UserId, ...]:
        """Every person on the roster, once each, in roster order."""
        return tuple(self._seats)

    def role_of(self, user: UserId) -> Role | None:
        """The person's role, or None if they are not on the roster."""
        seats = self._seats.get(user)
        return seats[0][0] if seats else None

    def delegation_of(self, user: UserId) -> DelegationCode | None:
        """The code of the delegation a focal point or expert belongs to, else None."""
        seats = self._seats.get(user)
        if not seats or seats[0][1] is None:
            return None
        return seats[0][1].code

    def delegation(self, code: str) -> Delegation | None:
        """The delegation with this code, or None."""
        return self._by_code.get(code)

    def person_name(self, user: UserId) -> str:
        """The person part of a display name: the `names:` entry, else the user name."""
        return self.names.get(user) or user.removeprefix("@").partition(":")[0]

    def display_name(self, user: UserId) -> str:
        """The name the platform sets and locks, e.g. "Ana Pérez — Antigua and Barbuda (focal
        point)"; the person part is the `names:` entry, else the user name (localpart)."""
        person = self.person_name(user)
        seats = self._seats.get(user)
        if not seats:
            return person
        role, delegation = seats[0]
        if role is Role.CHAIR:
            return f"{person} — Chair"
        if role is Role.SECRETARIAT:
            return f"{person} — Technical Secretariat"
        assert delegation is not None
        label = "focal point" if role is Role.FOCAL_POINT else "expert"
        return f"{person} — {delegation.name} ({label})"

    # -- changes (each returns a new roster; `validate` it before use) -----------------------

    def with_delegation(self, delegation: Delegation) -> Roster:
        """The roster with one more delegation (`!delegation add`)."""
        return self._replace(delegations=(*self.delegations, delegation))

    def without_delegation(self, code: str) -> Roster:
        """The roster without this delegation, its focal point and its experts."""
        return self._replace(delegations=tuple(d for d in self.delegations if d.code != code))

    def with_focal_point(self, code: str, user: UserId) -> Roster:
        """The roster after the delegation's focal point hands over to `user` (`!focal-point`).

        An expert of the delegation who becomes its focal point stops being one of its experts.
        """
        return self._with_delegation_changed(
            code,
            lambda d: {"focal_point": user, "experts": tuple(e for e in d.experts if e != user)},
        )

    def with_expert(self, code: str, user: UserId) -> Roster:
        """The roster with `user` added as an expert of the delegation (`!experts add`)."""
        return self._with_delegation_changed(code, lambda d: {"experts": (*d.experts, user)})

    def without_expert(self, code: str, user: UserId) -> Roster:
        """The roster without `user` among the delegation's experts (`!experts remove`)."""
        return self._with_delegation_changed(
            code, lambda d: {"experts": tuple(e for e in d.experts if e != user)}
        )

    def with_name(self, user: UserId, name: str | None) -> Roster:
        """The roster with the person's name set (or, with None, dropped)."""
        names = {u: n for u, n in self.names.items() if u != user}
        if name:
            names[user] = name
        return self._replace(names=names)

    def _with_delegation_changed(
        self, code: str, change: Callable[[Delegation], dict[str, Any]]
    ) -> Roster:
        if self.delegation(code) is None:
            raise KeyError(f"no delegation {code} on the roster")
        delegations = tuple(
            d.model_validate({**dict(d), **change(d)}) if d.code == code else d
            for d in self.delegations
        )
        return self._replace(delegations=delegations)

    def _replace(self, **changes: Any) -> Roster:
        # Rebuilt through the constructor, not model_copy, so the seat index is recomputed; names
        # of people who left the roster are dropped with them.
        fields = {name: getattr(self, name) for name in type(self).model_fields} | changes
        draft = Roster(**fields)
        kept = {u: n for u, n in draft.names.items() if u in draft._seats}
        return draft if len(kept) == len(draft.names) else Roster(**(fields | {"names": kept}))


# -- checks ------------------------------------------------------------------------------------


def validate(
    roster: Roster,
    server_name: str,
    *,
    bot_id: str | None = None,
    warden_id: str | None = None,
) -> None:
    """Raise `RosterError` listing every reason the roster cannot govern the platform."""
    reasons: list[RosterProblem] = []
    if not roster.working_group.strip():
        reasons.append(
            RosterProblem(
                "working_group is empty: give the working group's name",
                Problem.EMPTY_WORKING_GROUP,
            )
        )
    # R6: the Chair steers and the Secretariat administers; neither may be missing (SPEC §1, 1+).
    if not roster.chairs:
        reasons.append(
            RosterProblem(
                "the roster names no chair; the working group needs at least one", Problem.NO_CHAIR
            )
        )
    if not roster.secretariat:
        reasons.append(
            RosterProblem(
                "the roster names no secretariat member; at least one is needed",
                Problem.NO_SECRETARIAT,
            )
        )

    codes_seen: set[str] = set()
    for delegation in roster.delegations:
        code = delegation.code
        # R1: "A delegation is a member state, identified by its ISO 3166-1 alpha-2 code" (§1).
        if country_name(code) is None:
            reasons.append(
                RosterProblem(
                    f"delegation code {code!r} is not an ISO 3166-1 alpha-2 country code",
                    Problem.NOT_A_COUNTRY,
                    facts(code=repr(code)),
                )
            )
        elif not delegation.name.strip():
            reasons.append(
                RosterProblem(
                    f"delegation {code} has an empty name", Problem.EMPTY_NAME, facts(code=code)
                )
            )
        # R2: "exactly 1 [focal point] per delegation" (§1): a code listed twice would give a
        # delegation two focal points and two experts rooms.
        if code in codes_seen:
            reasons.append(
                RosterProblem(
                    f"delegation {code} is listed twice; a delegation is listed once, with "
                    "exactly one focal point",
                    Problem.DELEGATION_TWICE,
                    facts(code=code),
                )
            )
        codes_seen.add(code)

    platform_accounts = {bot_id: ("bot", Problem.IS_BOT), warden_id: ("warden", Problem.IS_WARDEN)}
    for user, seats in roster._seats.items():
        # R4: every participant has their own account on the organisation's own homeserver
        # (SPEC intro, §1, §6: no federation).
        reason = user_id_problem(user, server_name)
        if reason is not None:
            reasons.append(reason)
        # R5: the bot and the warden are the platform's accounts, not participants (§1 table).
        if user in platform_accounts:
            account, why = platform_accounts[user]
            reasons.append(
                RosterProblem(
                    f"{user} is the platform's {account} account and cannot also be a participant",
                    why,
                    facts(user=user),
                )
            )
        # R3: one person, one role, in at most one delegation (§1: "Every participant has their
        # own Matrix account"; an expert is "attached to one delegation").
        if len(seats) > 1:
            reasons.append(two_seats(user, [(r, d.code if d else None) for r, d in seats]))

    for user, name in roster.names.items():
        if user not in roster._seats:
            reasons.append(
                RosterProblem(
                    f"names: {user} is not on the roster (check the user id)",
                    Problem.NAME_OFF_ROSTER,
                    facts(user=user),
                )
            )
        elif not name.strip() or "\n" in name:
            reasons.append(
                RosterProblem(
                    f"names: the name of {user} must be one non-empty line",
                    Problem.NAME_NOT_ONE_LINE,
                    facts(user=user),
                )
            )

    if reasons:
        raise RosterError(reasons)


def display_name_changes(old: Roster, new: Roster) -> dict[UserId, str]:
    """The display names a roster change alters (a person who leaves the roster keeps their name
    without a seat), user → new name."""
    changes: dict[UserId, str] = {}
    for user in dict.fromkeys([*old.participants(), *new.participants()]):
        before = old.display_name(user)
        after = new.display_name(user) if user in new.participants() else old.person_name(user)
        if after != before or user not in old.participants():
            changes[user] = after
    return changes


def former_names(history: Iterable[Roster], current: Roster) -> dict[UserId, str]:
    """People seated in an earlier roster (oldest first) but not in `current`, user → the name
    they keep without a seat (their name in the last roster that seated them)."""
    names: dict[UserId, str] = {}
    for roster in history:
        for user in roster.participants():
            names[user] = roster.person_name(user)
    seated = set(current.participants())
    return {user: name for user, name in names.items() if user not in seated}


# -- YAML --------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `NO` (Norway's code) as false; only true/false are booleans here."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_roster(
    text: str,
    server_name: str,
    *,
    bot_id: str | None = None,
    warden_id: str | None = None,
) -> Roster:
    """Parse and check `roster.yaml` (SPEC §7); raise `RosterError` with every reason."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as error:
        detail = str(error).replace("\n", " ")
        raise RosterError(
            [
                RosterProblem(
                    f"the roster is not valid YAML: {detail}", Problem.NOT_YAML, facts(error=detail)
                )
            ]
        ) from None
    if not isinstance(data, dict):
        raise RosterError(
            [
                RosterProblem(
                    "the roster must be a YAML mapping (working_group:, chairs:, …)",
                    Problem.NOT_A_MAPPING,
                )
            ]
        )
    try:
        roster = Roster.model_validate(data)
    except ValidationError as error:
        raise RosterError([schema_problem(e, data) for e in error.errors()]) from None
    validate(roster, server_name, bot_id=bot_id, warden_id=warden_id)
    return roster


def dump_roster(roster: Roster) -> str:
    """`roster.yaml` text for the roster; `load_roster` reads it back equal."""
    data = roster.model_dump(mode="json")
    if not data["names"]:
        del data["names"]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

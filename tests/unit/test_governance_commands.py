"""The governance commands (`!delegations`, `!delegation`, `!focal-point`, `!experts`,
`!reconcile`, `!audit`) through the command table, against small in-memory fakes.

The roster fake validates a change like the shell does (`room_policies.roster.validate`, raising
`RosterError` with every reason), records every attempt, and answers `RosterChanged`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from commands import audit
from commands.builtin import default_table
from commands.reconcile import Reconciled
from commands.reply import Reply
from commands.roster_deps import RosterChanged, accounts_notice
from commands.table import DESK, MODERATION, Invocation, UsageError
from room_policies.roles import DelegationCode, Role, RoomKind, UserId
from room_policies.room_plan import Correction, Fix
from room_policies.rooms import RoomRef
from room_policies.roster import (
    Roster,
    RosterError,
    display_name_changes,
    load_roster,
    validate,
)
from tests.unit.services import services

SERVER = "example.org"
BOT = UserId("@plenaria:example.org")
WARDEN = UserId("@plenaria-warden:example.org")
CHAIR = UserId("@chair:example.org")
SEC = UserId("@sec:example.org")
AG_FP = UserId("@ag.fp:example.org")
AG_EXP = UserId("@ag.exp:example.org")
BR_FP = UserId("@br.fp:example.org")
BR_EXP = UserId("@br.exp:example.org")
NEWCOMER = UserId("@new.person:example.org")

TABLE = default_table()


def make_roster(delegations: str | None = None) -> Roster:
    if delegations is None:
        delegations = f"""\
  - {{code: AG, focal_point: "{AG_FP}", experts: ["{AG_EXP}"]}}
  - {{code: BR, focal_point: "{BR_FP}"}}
"""
    return load_roster(
        f"""\
working_group: WG
chairs: ["{CHAIR}"]
secretariat: ["{SEC}"]
delegations:
{delegations}""",
        SERVER,
        bot_id=BOT,
        warden_id=WARDEN,
    )


EMPTY = make_roster("  []\n")


@dataclass(frozen=True)
class Attempt:
    roster: Roster
    actor: str
    action: str
    accepted: bool


@dataclass(frozen=True)
class Entry:
    at: datetime | None
    actor: str
    action: str
    room: str
    target: str
    decision: str
    rule: str


PLENARY_ROOM = RoomRef(RoomKind.PLENARY)


def _made(action: str) -> Correction:
    """What the fake shell answers it made: one correction naming the action it was asked."""
    return Correction(RoomRef(RoomKind.MODERATION), Fix.SET_STATE, action)


@dataclass
class FakeDeps:
    """Everything the governance commands reach, in memory."""

    roster: Roster
    version: int = 1
    attempts: list[Attempt] = field(default_factory=list)
    reconcile_answer: list[Correction] = field(default_factory=list)
    reconcile_calls: list[bool] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    audit_calls: list[int] = field(default_factory=list)

    async def current_roster(self) -> Roster:
        return self.roster

    async def change_roster(self, roster: Roster, actor: str, action: str) -> RosterChanged:
        try:
            validate(roster, SERVER, bot_id=BOT, warden_id=WARDEN)
        except RosterError:
            self.attempts.append(Attempt(roster, actor, action, accepted=False))
            raise
        self.attempts.append(Attempt(roster, actor, action, accepted=True))
        self.roster = roster
        self.version += 1
        return RosterChanged(self.version, roster, [_made(action)])

    async def reconcile(self, dry_run: bool) -> Reconciled:
        self.reconcile_calls.append(dry_run)
        return Reconciled(self.roster, list(self.reconcile_answer))

    async def audit_latest(self, count: int) -> list[audit.Entry]:
        self.audit_calls.append(count)
        return list(self.entries[:count])

    @property
    def changed(self) -> list[Attempt]:
        return [a for a in self.attempts if a.accepted]


def in_moderation(body: str, sender: str = CHAIR, role: Role = Role.CHAIR) -> Invocation:
    return Invocation(
        sender=sender,
        room_id="!moderation:example.org",
        event_id="$command",
        body=body,
        sent_ms=0,
        now_ms=0,
        role=role,
        place=MODERATION,
    )


def in_desk(body: str, code: str = "AG", sender: str = AG_FP) -> Invocation:
    return Invocation(
        sender=sender,
        room_id=f"!desk-{code}:example.org",
        event_id="$command",
        body=body,
        sent_ms=0,
        now_ms=0,
        role=Role.FOCAL_POINT,
        place=DESK,
        delegation=code,
    )


async def run(deps: FakeDeps, invocation: Invocation) -> Reply:
    bound = TABLE.bind(invocation.body, invocation)
    return await bound.run(services(roster=deps, rooms=deps, audit_log=deps), invocation)


@pytest.fixture
def deps() -> FakeDeps:
    return FakeDeps(make_roster())


# --- !delegations --------------------------------------------------------------------------------


async def test_delegations_lists_focal_points_and_experts(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!delegations"))
    assert reply == Reply.titled(
        "2 delegation(s) of WG:",
        [
            f"AG Antigua and Barbuda: focal point {AG_FP}; 1 expert(s): {AG_EXP}",
            f"BR Brazil: focal point {BR_FP}; no experts",
        ],
    )
    assert deps.attempts == []


async def test_delegations_on_an_empty_roster() -> None:
    deps = FakeDeps(EMPTY)
    reply = await run(deps, in_moderation("!delegations", SEC, Role.SECRETARIAT))
    assert reply == Reply.plain("The roster has no delegation yet. Add one with !delegation add.")


# --- !delegation add -----------------------------------------------------------------------------


async def test_delegation_add_normalises_the_code_and_names_it_by_iso(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!delegation add ca @ca.fp:example.org"))
    assert reply == Reply.titled(
        "Delegation CA (Canada) added with focal point @ca.fp:example.org (roster version 2).",
        ["Moderation: set delegation add CA"],
    )
    [attempt] = deps.attempts
    assert attempt.actor == CHAIR
    assert attempt.action == "delegation add CA"
    added = deps.roster.delegation("CA")
    assert added is not None
    assert (added.code, added.name, added.focal_point, added.experts) == (
        "CA",
        "Canada",
        "@ca.fp:example.org",
        (),
    )
    assert [d.code for d in deps.roster.delegations] == ["AG", "BR", "CA"]


async def test_delegation_add_with_a_name(deps: FakeDeps) -> None:
    reply = await run(
        deps, in_moderation('!delegation add CA @ca.fp:example.org --name "Canada (Ottawa)"')
    )
    assert reply.text.startswith("Delegation CA (Canada (Ottawa)) added")
    added = deps.roster.delegation("CA")
    assert added is not None and added.name == "Canada (Ottawa)"


async def test_delegation_add_on_an_empty_roster() -> None:
    deps = FakeDeps(EMPTY)
    reply = await run(deps, in_moderation("!delegation add AG @ag.fp:example.org"))
    assert reply.text.startswith("Delegation AG (Antigua and Barbuda) added")
    assert [d.code for d in deps.roster.delegations] == ["AG"]


async def test_delegation_add_refuses_an_unknown_code(deps: FakeDeps) -> None:
    before = deps.roster
    reply = await run(deps, in_moderation("!delegation add XX @xx.fp:example.org"))
    assert reply == Reply.titled(
        "Refused:", ["delegation code 'XX' is not an ISO 3166-1 alpha-2 country code"]
    )
    assert "XX" in reply.text
    assert deps.roster is before
    assert deps.changed == []


async def test_delegation_add_refuses_a_code_on_the_roster(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!delegation add ag @ag.other:example.org"))
    assert reply == Reply.plain("Refused: AG is already on the roster; see !delegations.")
    assert deps.attempts == []


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        (BR_FP, f"{BR_FP} is in two delegations (BR, CA); a person is in at most one"),
        (AG_EXP, f"{AG_EXP} is in two delegations (AG, CA); a person is in at most one"),
        (CHAIR, f"{CHAIR} holds two roles (chair, focal point of CA); a person holds one role"),
        (
            BOT,
            f"{BOT} is the platform's bot account and cannot also be a participant",
        ),
        (
            "@ca.fp:elsewhere.org",
            "@ca.fp:elsewhere.org is an account of elsewhere.org, not of example.org: every "
            "participant has an account on the platform's own homeserver",
        ),
    ],
)
async def test_delegation_add_refuses_someone_already_seated(
    deps: FakeDeps, user: str, reason: str
) -> None:
    reply = await run(deps, in_moderation(f"!delegation add CA {user}"))
    assert reply == Reply.titled("Refused:", [reason])
    assert deps.roster.delegation("CA") is None
    assert [a.accepted for a in deps.attempts] == [False]


async def test_delegation_add_without_a_focal_point_gives_the_usage(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!delegation add CA"))
    assert reply == Reply.plain("Usage: !delegation add CODE @focal-point:server [--name NAME]")
    assert deps.attempts == []


async def test_delegation_without_a_code_is_a_usage_error(deps: FakeDeps) -> None:
    with pytest.raises(UsageError) as caught:
        await run(deps, in_moderation("!delegation add"))
    assert caught.value.reply.text.startswith("!delegation: code is missing. Usage: ")


async def test_delegation_with_an_unknown_action_is_a_usage_error(deps: FakeDeps) -> None:
    with pytest.raises(UsageError) as caught:
        await run(deps, in_moderation("!delegation rename AG"))
    assert caught.value.reply.text.startswith("!delegation: action: ")


# --- !delegation remove --------------------------------------------------------------------------


async def test_delegation_remove_refuses_an_unknown_code(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!delegation remove ca"))
    assert reply == Reply.plain("Refused: there is no delegation CA on the roster.")
    assert deps.attempts == []


async def test_delegation_remove_takes_its_people_off_the_roster(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!delegation remove ag", SEC, Role.SECRETARIAT))
    assert reply == Reply.titled(
        "Delegation AG (Antigua and Barbuda) removed (roster version 2).",
        ["Moderation: set delegation remove AG"],
    )
    assert [d.code for d in deps.roster.delegations] == ["BR"]
    assert deps.roster.role_of(AG_FP) is None
    assert deps.roster.role_of(AG_EXP) is None
    assert deps.changed[0].actor == SEC


async def test_delegation_remove_takes_nothing_else(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!delegation remove AG @ag.fp:example.org"))
    assert reply == Reply.plain("Usage: !delegation remove CODE (nothing else).")
    assert deps.attempts == []


async def test_reconcile_lines_default_when_nothing_changed() -> None:
    class Quiet(FakeDeps):
        async def change_roster(self, roster: Roster, actor: str, action: str) -> RosterChanged:
            await super().change_roster(roster, actor, action)
            return RosterChanged(self.version, roster, [])

    deps = Quiet(make_roster())
    reply = await run(deps, in_moderation("!delegation remove BR"))
    assert reply.text.endswith("• nothing needed changing in the rooms")


class Naming(FakeDeps):
    """Answers like the shell: the display names the change alters, and whether the moderation
    room was told (a change made by someone who does not work there)."""

    async def change_roster(self, roster: Roster, actor: str, action: str) -> RosterChanged:
        old = self.roster
        changed = await super().change_roster(roster, actor, action)
        names = {str(u): n for u, n in display_name_changes(old, roster).items()}
        told = old.role_of(UserId(actor)) not in (Role.CHAIR, Role.SECRETARIAT)
        return RosterChanged(
            changed.version, roster, changed.corrections, names, moderation_told=told
        )


async def test_a_roster_change_says_which_names_the_secretariat_sets_and_how() -> None:
    deps = Naming(make_roster())
    reply = await run(deps, in_moderation(f"!focal-point br {NEWCOMER}"))
    assert reply == Reply.titled(
        f"Brazil: {NEWCOMER} is the focal point now, in place of {BR_FP} (roster version 2).",
        [
            "Moderation: set focal-point BR",
            f"display name of {BR_FP} to become “br.fp”",
            f"display name of {NEWCOMER} to become “new.person — Brazil (focal point)”",
            "The bot does not create accounts or set display names: the Technical Secretariat "
            "runs `plenaria accounts create` on the server, which creates any missing account "
            "and sets the names above.",
        ],
    )


async def test_a_focal_point_is_told_that_the_moderation_room_knows() -> None:
    deps = Naming(make_roster())
    reply = await run(deps, in_desk(f"!experts add {NEWCOMER}"))
    assert reply.text.splitlines()[-2:] == [
        f"• display name of {NEWCOMER} to become “new.person — Antigua and Barbuda (expert)”",
        "• The bot does not create accounts or set display names: the Technical Secretariat, "
        "told in the moderation room, runs `plenaria accounts create` on the server, which "
        "creates any missing account and sets the names above.",
    ]


def test_the_moderation_notice_names_who_changed_what() -> None:
    experts = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("BR"))
    changed = RosterChanged(
        7,
        make_roster(),
        [Correction(experts, Fix.INVITE, "@x:example.org")],
        {"@x:example.org": "X"},
    )
    notice = accounts_notice(changed, BR_FP)
    assert notice == Reply.titled(
        f"{BR_FP} changed the roster (version 7): accounts and display names to update.",
        [
            "display name of @x:example.org to become “X”",
            "The bot does not create accounts or set display names: the Technical Secretariat "
            "runs `plenaria accounts create` on the server, which creates any missing account "
            "and sets the names above.",
        ],
    )


# --- !focal-point -------------------------------------------------------------------------------


async def test_focal_point_of_an_unknown_delegation(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!focal-point ca @ca.fp:example.org"))
    assert reply == Reply.plain("Refused: there is no delegation CA on the roster.")
    assert deps.attempts == []


async def test_focal_point_that_is_already_the_focal_point(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation(f"!focal-point AG {AG_FP}"))
    assert reply == Reply.plain(f"{AG_FP} is already the focal point of Antigua and Barbuda.")
    assert deps.attempts == []


async def test_focal_point_hands_over_to_a_newcomer(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation(f"!focal-point br {NEWCOMER}"))
    assert reply == Reply.titled(
        f"Brazil: {NEWCOMER} is the focal point now, in place of {BR_FP} (roster version 2).",
        ["Moderation: set focal-point BR"],
    )
    assert deps.roster.role_of(NEWCOMER) is Role.FOCAL_POINT
    assert deps.roster.role_of(BR_FP) is None


async def test_an_expert_who_becomes_focal_point_stops_being_an_expert(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation(f"!focal-point AG {AG_EXP}"))
    assert reply.text.startswith(f"Antigua and Barbuda: {AG_EXP} is the focal point now")
    ag = deps.roster.delegation(DelegationCode("AG"))
    assert ag is not None
    assert (ag.focal_point, ag.experts) == (AG_EXP, ())
    assert deps.roster.role_of(AG_EXP) is Role.FOCAL_POINT
    assert deps.roster.role_of(AG_FP) is None


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        (BR_EXP, f"{BR_EXP} is in two delegations (AG, BR); a person is in at most one"),
        (BR_FP, f"{BR_FP} is in two delegations (AG, BR); a person is in at most one"),
        (SEC, f"{SEC} holds two roles (secretariat, focal point of AG); a person holds one role"),
    ],
)
async def test_focal_point_from_elsewhere_on_the_roster_is_refused(user: str, reason: str) -> None:
    roster = make_roster(
        f"""\
  - {{code: AG, focal_point: "{AG_FP}", experts: ["{AG_EXP}"]}}
  - {{code: BR, focal_point: "{BR_FP}", experts: ["{BR_EXP}"]}}
"""
    )
    deps = FakeDeps(roster)
    reply = await run(deps, in_moderation(f"!focal-point AG {user}"))
    assert reply == Reply.titled("Refused:", [reason])
    assert deps.roster is roster
    assert deps.changed == []


# --- !experts, in a desk -------------------------------------------------------------------------


async def test_experts_lists_the_delegations_experts(deps: FakeDeps) -> None:
    reply = await run(deps, in_desk("!experts"))
    assert reply == Reply.titled("The experts of Antigua and Barbuda:", [AG_EXP])


async def test_experts_when_there_are_none(deps: FakeDeps) -> None:
    reply = await run(deps, in_desk("!experts", "BR", BR_FP))
    assert reply == Reply.plain("Brazil has no experts yet. Add one: !experts add @user")


async def test_experts_add(deps: FakeDeps) -> None:
    reply = await run(deps, in_desk(f"!experts add {NEWCOMER}"))
    assert reply == Reply.titled(
        f"{NEWCOMER} added to the experts of Antigua and Barbuda.",
        ["Moderation: set experts add (AG)"],
    )
    ag = deps.roster.delegation("AG")
    assert ag is not None and ag.experts == (AG_EXP, NEWCOMER)
    assert deps.changed[0].actor == AG_FP


async def test_experts_add_twice(deps: FakeDeps) -> None:
    await run(deps, in_desk(f"!experts add {NEWCOMER}"))
    reply = await run(deps, in_desk(f"!experts add {NEWCOMER}"))
    assert reply == Reply.plain(f"{NEWCOMER} is already an expert of Antigua and Barbuda.")
    assert len(deps.attempts) == 1


async def test_experts_remove(deps: FakeDeps) -> None:
    reply = await run(deps, in_desk(f"!experts remove {AG_EXP}"))
    assert reply == Reply.titled(
        f"{AG_EXP} removed from the experts of Antigua and Barbuda.",
        ["Moderation: set experts remove (AG)"],
    )
    assert deps.roster.role_of(AG_EXP) is None


async def test_experts_remove_someone_who_is_not_an_expert(deps: FakeDeps) -> None:
    reply = await run(deps, in_desk(f"!experts remove {BR_FP}"))
    assert reply == Reply.plain(f"Refused: {BR_FP} is not an expert of Antigua and Barbuda.")
    assert deps.attempts == []


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        (BR_FP, f"{BR_FP} is in two delegations (AG, BR); a person is in at most one"),
        (CHAIR, f"{CHAIR} holds two roles (chair, expert of AG); a person holds one role"),
        (
            AG_FP,
            f"{AG_FP} holds two roles (focal point of AG, expert of AG); a person holds one role",
        ),
        (WARDEN, f"{WARDEN} is the platform's warden account and cannot also be a participant"),
    ],
)
async def test_experts_add_someone_seated_elsewhere(deps: FakeDeps, user: str, reason: str) -> None:
    before = deps.roster
    reply = await run(deps, in_desk(f"!experts add {user}"))
    assert reply == Reply.titled("Refused:", [reason])
    assert deps.roster is before


async def test_experts_add_a_malformed_user_id(deps: FakeDeps) -> None:
    reply = await run(deps, in_desk("!experts add Bob"))
    assert reply.text.startswith("Refused:\n• 'Bob' is not a Matrix user id like @name:example.org")


@pytest.mark.parametrize(
    "invocation",
    [
        in_desk("!experts", "AG", BR_FP),  # another delegation's focal point
        in_desk(f"!experts add {NEWCOMER}", "AG", AG_EXP),  # an expert, somehow in the desk
        in_desk("!experts", "CA", AG_FP),  # a desk of a delegation not on the roster
    ],
)
async def test_experts_from_someone_not_the_desks_focal_point(
    deps: FakeDeps, invocation: Invocation
) -> None:
    reply = await run(deps, invocation)
    assert reply == Reply.plain("Refused: only the delegation's focal point manages its experts.")
    assert deps.attempts == []


async def test_experts_add_without_a_user(deps: FakeDeps) -> None:
    reply = await run(deps, in_desk("!experts add"))
    assert reply == Reply.plain("Usage: !experts add @user:server")


async def test_experts_with_a_user_but_no_action_is_a_usage_error(deps: FakeDeps) -> None:
    with pytest.raises(UsageError) as caught:
        await run(deps, in_desk(f"!experts {NEWCOMER}"))
    assert caught.value.reply.text.startswith("!experts: action: ")


# --- !reconcile ----------------------------------------------------------------------------------


async def test_reconcile_makes_the_changes(deps: FakeDeps) -> None:
    deps.reconcile_answer = [
        Correction(PLENARY_ROOM, Fix.INVITE, BR_FP),
        Correction(PLENARY_ROOM, Fix.SET_STATE, "m.room.power_levels"),
    ]
    reply = await run(deps, in_moderation("!reconcile"))
    assert reply == Reply.titled(
        "2 change(s) made:", [f"Plenary: invite {BR_FP}", "Plenary: set m.room.power_levels"]
    )
    assert deps.reconcile_calls == [False]


async def test_reconcile_dry_run_only_lists(deps: FakeDeps) -> None:
    deps.reconcile_answer = [Correction(PLENARY_ROOM, Fix.INVITE, BR_FP)]
    reply = await run(deps, in_moderation("!reconcile --dry-run"))
    assert reply == Reply.titled("1 change(s) would be made:", [f"Plenary: invite {BR_FP}"])
    assert deps.reconcile_calls == [True]


@pytest.mark.parametrize("body", ["!reconcile", "!reconcile --dry-run"])
async def test_reconcile_with_nothing_to_do(deps: FakeDeps, body: str) -> None:
    reply = await run(deps, in_moderation(body))
    assert reply == Reply.plain("Every room is as the roster wants it; nothing to change.")


# --- !audit --------------------------------------------------------------------------------------

ENTRIES = [
    Entry(
        datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        CHAIR,
        "delegation add CA",
        "roster",
        "version 2",
        "accepted",
        "",
    ),
    Entry(None, AG_FP, "enforce: invited @x:example.org", "experts:AG", "", "undone", "R16"),
]


async def test_audit_formats_the_entries(deps: FakeDeps) -> None:
    deps.entries = ENTRIES
    reply = await run(deps, in_moderation("!audit"))
    assert reply == Reply.titled(
        "The latest 2 audit entries, newest first:",
        [
            f"Mar 4, 2026, 5:06\u202fAM {CHAIR}: delegation add CA version 2 in roster → accepted",
            f"? {AG_FP}: enforce: invited @x:example.org in experts:AG → undone [R16]",
        ],
    )
    assert deps.audit_calls == [20]


async def test_audit_of_an_empty_log(deps: FakeDeps) -> None:
    reply = await run(deps, in_moderation("!audit 3"))
    assert reply == Reply.plain("The audit log is empty.")
    assert deps.audit_calls == [3]


@pytest.mark.parametrize("count", [1, 200])
async def test_audit_count_at_its_bounds(deps: FakeDeps, count: int) -> None:
    deps.entries = ENTRIES
    await run(deps, in_moderation(f"!audit {count}"))
    assert deps.audit_calls == [count]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("!audit 0", "count: must be at least 1"),
        ("!audit 201", "count: must be at most 200"),
        ("!audit -1", "count: must be at least 1"),
        ("!audit many", "count: a whole number is expected"),
    ],
)
def test_audit_count_out_of_bounds_is_a_usage_error(body: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        TABLE.bind(body, in_moderation(body))
    assert caught.value.reply.text.startswith(f"!audit: {problem}")
    assert caught.value.reply.text.endswith("Usage: !audit [count]")

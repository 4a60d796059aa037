"""Who may use which command where (SPEC §5), checked against SPEC §5's table as the SPEC writes
it, not as commands/builtin.py registers it.

Every command of `default_table()` is asked by every role in every place a command can be asked:
a direct message with the bot, the moderation room, the plenary, a desk and the Support room. The
refusal comes
before the arguments are read, says why (where, or who), and `!help` lists exactly what the asker
may use there.
"""

from __future__ import annotations

import itertools

import pytest

from commands import help
from commands.builtin import default_table
from commands.reply import Reply
from commands.table import (
    DESK,
    DIRECT,
    MODERATION,
    PLENARY,
    SUPPORT,
    Command,
    Invocation,
    Refused,
    UsageError,
)
from room_policies.roles import Role
from tests.unit.services import services

TABLE = default_table()
PLACES = (DIRECT, MODERATION, PLENARY, DESK, SUPPORT)
ROLES = tuple(Role)
CELLS = tuple(itertools.product(ROLES, PLACES))

# SPEC §5's table, row by row: where, who, commands ("delegation add/remove" is `delegation`).
# "Any roster member" is the Chair, the Secretariat, the focal points and the experts: the bot
# and the warden are the platform's accounts, not roster members (SPEC §1).
ROSTER_MEMBERS = frozenset({Role.CHAIR, Role.SECRETARIAT, Role.FOCAL_POINT, Role.EXPERT})
SPEC_5: dict[str, tuple[frozenset[Role], frozenset[str]]] = {
    MODERATION: (
        frozenset({Role.CHAIR, Role.SECRETARIAT}),
        frozenset(
            {
                "publish",
                "documents",
                "round",
                "compile",
                "distribute",
                "agree",
                "approve",
                "references",
                "accept",
                "decline",
                "delegations",
                "delegation",
                "focal-point",
                "reconcile",
                "audit",
                "help",
                "trust",
                # Issue #12 (SPEC §4 names !history; §5 does not list it yet): a paragraph's
                # story wherever its document is discussed, and what awaits approval.
                "history",
                "pending",
                # Issue #14: a delegation's standing proposal, read in the chat.
                "show",
                # Issue #14: a document sent again, readable on the sessions of now.
                "get",
            }
        ),
    ),
    PLENARY: (
        frozenset({Role.FOCAL_POINT}),
        frozenset({"suggest", "status", "documents", "help", "history", "show"}),
    ),
    DESK: (
        frozenset({Role.FOCAL_POINT}),
        # Issue #5 adds !suggest in the desk too ("`!suggest` on a file (plenary or desk)").
        frozenset(
            {
                "experts",
                "check",
                "status",
                "lang",
                "guide",
                "help",
                "suggest",
                "history",
                "show",
                "schedule",
                "get",  # issue #14
            }
        ),
    ),
    DIRECT: (
        ROSTER_MEMBERS,
        frozenset({"help", "ping", "lang", "guide", "support", "schedule", "get"}),  # get: #14
    ),
    SUPPORT: (frozenset({Role.SECRETARIAT}), frozenset({"tickets", "close", "help"})),
}

# Issue #9 adds !trust to the moderation room for the Chair alone: the Technical Secretariat runs
# the homeserver, and the operator alone must never complete a re-trust (SPEC §2, "The server
# operator"). These commands are narrower than their row of SPEC §5.
NARROWER: dict[str, frozenset[Role]] = {"trust": frozenset({Role.CHAIR})}

# How a refusal names a place and a role (the asker must learn where to go, or who may).
PLACE_WORDS = {
    DIRECT: "a direct message with the bot",
    MODERATION: "the moderation room",
    PLENARY: "the plenary",
    DESK: "your desk",
    SUPPORT: "the Support room",
}
ROLE_WORDS = {
    Role.CHAIR: "the Chair",
    Role.SECRETARIAT: "the Technical Secretariat",
    Role.FOCAL_POINT: "focal points",
    Role.EXPERT: "experts",
}

# A well-formed body for each command, so that an allowed asker binds without a usage error.
SAMPLE_BODIES = {
    "help": "!help",
    "ping": "!ping",
    "delegations": "!delegations",
    "delegation": "!delegation add AG @ag.fp:example.org",
    "focal-point": "!focal-point AG @ag.fp2:example.org",
    "reconcile": "!reconcile --dry-run",
    "audit": "!audit 5",
    "experts": "!experts add @ag.exp:example.org",
    "publish": "!publish plan --symbol S",
    "documents": "!documents plan",
    "compile": "!compile Matriz.docx",
    "status": "!status",
    "agree": "!agree Matriz.docx 3,5-7",
    "approve": "!approve Matriz.docx 3 --meeting 2026-12-12",
    "check": "!check",
    "suggest": "!suggest",
    "distribute": "!distribute",
    "references": "!references",
    "accept": "!accept 1",
    "decline": "!decline 1 'not relevant here'",
    "trust": "!trust @ag.fp:example.org abcd-efgh",
    "lang": "!lang es",
    "support": '!support I can\'t open the document "Matriz" --help',
    "tickets": "!tickets",
    "close": "!close 1",
    "guide": "!guide",
    "history": "!history Matriz 12 bis",
    "pending": "!pending Matriz.docx",
    "show": "!show AG Matriz.docx 12",
    "round": "!round open Matriz.docx --closes 2026-12-10T18:00 --reminders 24h,2h",
    "schedule": "!schedule",
    "get": "!get Matriz.docx 2",
}

# builtin.py answers !help and !ping for anyone on this homeserver (a deliberate deviation, so the
# platform can be checked before a roster exists); SPEC §5 names roster members, and !help only
# for the people of each row. `test_help_and_ping_answer_anyone` states the deviation.
OPEN_TO_ANYONE = ("help", "ping")


def spec_allows(command: str, role: Role, place: str) -> bool:
    who, commands = SPEC_5[place]
    return role in who and command in commands and role in NARROWER.get(command, who)


def invocation(role: Role, place: str, body: str = "!help") -> Invocation:
    return Invocation(
        sender="@someone:example.org",
        room_id="!room:example.org",
        event_id="$event",
        body=body,
        sent_ms=0,
        now_ms=0,
        role=role,
        place=place,
        delegation="AG" if place == DESK else None,
    )


def command(name: str) -> Command:
    found = TABLE.get(name)
    assert found is not None, name
    return found


NAMES = [c.name for c in TABLE]
GOVERNED = [name for name in NAMES if name not in ("help", "ping")]


# --- the table against SPEC §5 ----------------------------------------------------------------


def test_every_command_is_in_spec_5() -> None:
    listed = set().union(*(commands for _, commands in SPEC_5.values()))
    assert set(NAMES) <= listed
    assert set(NAMES) == set(SAMPLE_BODIES)


@pytest.mark.parametrize("name", NAMES)
def test_spec_allowed_cells_are_allowed(name: str) -> None:
    refused = [
        (role.value, place, command(name).refusal(invocation(role, place)))
        for role, place in CELLS
        if spec_allows(name, role, place) and command(name).refusal(invocation(role, place))
    ]
    assert refused == []


@pytest.mark.parametrize("name", [n for n in NAMES if n not in OPEN_TO_ANYONE])
def test_spec_refused_cells_are_refused(name: str) -> None:
    answered = [
        (role.value, place)
        for role, place in CELLS
        if not spec_allows(name, role, place)
        and command(name).refusal(invocation(role, place)) is None
    ]
    assert answered == []


def test_help_and_ping_answer_anyone() -> None:
    """The deviation from SPEC §5, stated: !help for every role everywhere, !ping for every role
    in a direct message only."""
    for role, place in CELLS:
        assert command("help").refusal(invocation(role, place)) is None
        answered = command("ping").refusal(invocation(role, place)) is None
        assert answered == (place == DIRECT), (role, place)


# --- binding: refusals say why, before the arguments are read ------------------------------------


@pytest.mark.parametrize(
    ("name", "role", "place"),
    [
        pytest.param(name, role, place, id=f"{name}-{role.value}-{place}")
        for name in GOVERNED
        for role, place in CELLS
        if not spec_allows(name, role, place)
    ],
)
def test_a_refused_command_says_where_or_who(name: str, role: Role, place: str) -> None:
    with pytest.raises(Refused) as caught:
        TABLE.bind(SAMPLE_BODIES[name], invocation(role, place, SAMPLE_BODIES[name]))
    text = caught.value.reply.text
    assert caught.value.command == name  # the audit names the refused command
    assert text.startswith("Refused: ")
    assert text.endswith("Send !help for what you can do here.")
    assert f"!{name}" in text
    places = {p for p in PLACES if SPEC_5[p][1] >= {name}}
    who = set().union(*(SPEC_5[p][0] for p in places)) & NARROWER.get(name, set(Role))
    if role not in who:
        # The wrong person: the refusal names who may (not a room they could not enter).
        assert all(ROLE_WORDS[r] in text for r in who), text
        assert "only" in text
    else:
        # The right person in the wrong room: the refusal names the room(s) where they use it.
        theirs = {p for p in places if spec_allows(name, role, p)}
        assert all(PLACE_WORDS[p] in text for p in theirs), text
        assert "not here" in text


@pytest.mark.parametrize(
    ("name", "role", "place"),
    [
        pytest.param(name, role, place, id=f"{name}-{role.value}-{place}")
        for name in NAMES
        for role, place in CELLS
        if spec_allows(name, role, place)
    ],
)
def test_an_allowed_command_binds(name: str, role: Role, place: str) -> None:
    bound = TABLE.bind(SAMPLE_BODIES[name], invocation(role, place, SAMPLE_BODIES[name]))
    assert bound.command is command(name)


def test_the_refusal_comes_before_the_usage() -> None:
    # A focal point typing `!delegation add` (no code, no focal point) in their desk: a usage
    # message would teach them a command they may not use.
    with pytest.raises(Refused) as caught:
        TABLE.bind("!delegation add", invocation(Role.FOCAL_POINT, DESK, "!delegation add"))
    assert caught.value.reply == Reply.plain(
        "Refused: !delegation is for the Chair and the Technical Secretariat only. "
        "Send !help for what you can do here."
    )


@pytest.mark.parametrize(
    ("body", "role", "place"),
    [
        ("!delegation", Role.EXPERT, DIRECT),
        ("!delegation frobnicate --colour red", Role.FOCAL_POINT, PLENARY),
        ("!focal-point", Role.OUTSIDER, DIRECT),
        ("!audit 0", Role.FOCAL_POINT, PLENARY),
        ("!audit 201", Role.FOCAL_POINT, MODERATION),
        ("!experts bogus 1 2 3", Role.CHAIR, MODERATION),
        ("!experts add", Role.EXPERT, DESK),
        ("!reconcile --dry-run=maybe", Role.SECRETARIAT, DESK),
    ],
)
def test_bad_arguments_of_a_refused_command_get_the_refusal(
    body: str, role: Role, place: str
) -> None:
    with pytest.raises(UsageError) as caught:
        TABLE.bind(body, invocation(role, place, body))
    assert type(caught.value) is Refused
    assert caught.value.reply.text.startswith("Refused: ")
    assert "Usage" not in caught.value.reply.text


def test_bad_arguments_of_an_allowed_command_get_the_usage() -> None:
    with pytest.raises(UsageError) as caught:
        TABLE.bind("!delegation", invocation(Role.CHAIR, MODERATION, "!delegation"))
    assert type(caught.value) is UsageError
    assert caught.value.reply.text.startswith("!delegation: ")
    assert "Usage: !delegation" in caught.value.reply.text


def test_the_chair_is_refused_experts_for_who_they_are() -> None:
    with pytest.raises(Refused) as caught:
        TABLE.bind("!experts", invocation(Role.CHAIR, MODERATION, "!experts"))
    assert caught.value.reply.text == (
        "Refused: !experts is for focal points only. Send !help for what you can do here."
    )


def test_a_focal_point_is_told_where_experts_is_used() -> None:
    with pytest.raises(Refused) as caught:
        TABLE.bind("!experts", invocation(Role.FOCAL_POINT, PLENARY, "!experts"))
    assert caught.value.reply.text == (
        "Refused: !experts is used in your desk, not here. Send !help for what you can do here."
    )


def test_a_coordination_command_is_refused_by_role_in_the_moderation_room() -> None:
    with pytest.raises(Refused) as caught:
        TABLE.bind("!audit", invocation(Role.FOCAL_POINT, MODERATION, "!audit"))
    text = caught.value.reply.text
    assert "the Chair" in text
    assert "the Technical Secretariat" in text
    assert "focal points" not in text


# --- unknown commands ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "role", "place", "guess"),
    [
        ("!delegatoins", Role.FOCAL_POINT, DESK, "delegations"),
        ("!expert", Role.FOCAL_POINT, DESK, "experts"),
        ("!reconcil", Role.CHAIR, MODERATION, "reconcile"),
        ("!pnig", Role.OUTSIDER, DIRECT, "ping"),
        ("!focalpoint", Role.SECRETARIAT, MODERATION, "focal-point"),
    ],
)
def test_an_unknown_command_suggests_the_nearest(
    body: str, role: Role, place: str, guess: str
) -> None:
    with pytest.raises(UsageError) as caught:
        TABLE.bind(body, invocation(role, place, body))
    assert type(caught.value) is UsageError
    assert caught.value.reply.text == (
        f"Unknown command {body}. Did you mean !{guess}? Send !help for the list."
    )


def test_an_unknown_command_without_a_near_miss() -> None:
    with pytest.raises(UsageError) as caught:
        TABLE.bind("!xyzzy", invocation(Role.CHAIR, MODERATION, "!xyzzy"))
    assert type(caught.value) is UsageError
    assert caught.value.reply.text == "Unknown command !xyzzy. Send !help for the list."


# --- !help lists exactly what the asker may use there --------------------------------------------


@pytest.mark.parametrize(
    ("role", "place"),
    [pytest.param(role, place, id=f"{role.value}-{place}") for role, place in CELLS],
)
async def test_help_lists_exactly_the_allowed_commands(role: Role, place: str) -> None:
    asking = invocation(role, place, "!help")
    bound = TABLE.bind("!help", asking)
    reply = await bound.run(services(TABLE), asking)
    allowed = TABLE.allowed(asking)
    assert reply == Reply.titled(
        "Commands you can use here:", [f"{c.usage()} — {c.summary}" for c in allowed]
    )
    listed = [line.removeprefix("• !").split(" ", 1)[0] for line in reply.text.splitlines()[1:]]
    assert listed == [c.name for c in allowed]
    # The governed commands appear exactly where SPEC §5 gives them.
    assert {n for n in listed if n in GOVERNED} == {
        n for n in GOVERNED if spec_allows(n, role, place)
    }


async def test_help_on_a_command_refused_here_says_why() -> None:
    asking = invocation(Role.FOCAL_POINT, DESK, "!help delegation")
    reply = await help.handle(TABLE, asking, help.Args(command="delegation"))
    assert reply == Reply.plain("!delegation is for the Chair and the Technical Secretariat only.")


async def test_help_on_a_command_allowed_here_explains_it() -> None:
    asking = invocation(Role.CHAIR, MODERATION, "!help audit")
    reply = await help.handle(TABLE, asking, help.Args(command="audit"))
    assert reply == Reply.titled(
        f"!audit: {command('audit').summary}",
        ["usage: !audit [count]", "count: how many entries (1 to 200)"],
    )

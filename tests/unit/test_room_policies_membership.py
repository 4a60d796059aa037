"""Who may be where and do what (R9–R21), checked against SPEC §2's table as the SPEC writes it."""

from __future__ import annotations

import pytest

from room_policies.access_table import (
    ACCESS,
    GOVERNED_STATE_TYPES,
    GOVERNS,
    MODERATES,
    NO_ACCESS,
    POSTS,
    READS,
    SPEAKS,
    Access,
    governing_account,
    governing_role,
)
from room_policies.membership import (
    access,
    may_invite,
    may_join,
    may_kick,
    may_redact,
    may_send_state,
    members_of,
    role_in,
)
from room_policies.roles import (
    Decision,
    DelegationCode,
    FolderKey,
    Platform,
    Role,
    RoomKind,
    UserId,
)
from room_policies.rooms import RoomRef
from room_policies.roster import Roster, load_roster

BOT = UserId("@plenaria:example.org")
WARDEN = UserId("@plenaria-warden:example.org")
PLATFORM = Platform(BOT, WARDEN)
CHAIR = UserId("@chair:example.org")
SEC = UserId("@sec:example.org")
AG_FP = UserId("@ag.fp:example.org")
AG_EXP = UserId("@ag.exp:example.org")
BR_FP = UserId("@br.fp:example.org")
BR_EXP = UserId("@br.exp:example.org")
STRANGER = UserId("@stranger:example.org")


def make_roster(experts_read_folders: bool = False) -> Roster:
    return load_roster(
        f"""\
working_group: WG
chairs: ["{CHAIR}"]
secretariat: ["{SEC}"]
experts_read_folders: {str(experts_read_folders).lower()}
delegations:
  - {{code: AG, focal_point: "{AG_FP}", experts: ["{AG_EXP}"]}}
  - {{code: BR, focal_point: "{BR_FP}", experts: ["{BR_EXP}"]}}
""",
        "example.org",
        bot_id=BOT,
        warden_id=WARDEN,
    )


ROSTER = make_roster()
AG = DelegationCode("AG")
SPACE = RoomRef(RoomKind.SPACE)
PLENARY = RoomRef(RoomKind.PLENARY)
MODERATION = RoomRef(RoomKind.MODERATION)
SUPPORT = RoomRef(RoomKind.SUPPORT)
FOLDER = RoomRef(RoomKind.FOLDER, folder=FolderKey.REFERENCE)
AG_EXPERTS = RoomRef(RoomKind.EXPERTS, delegation=AG)
AG_DESK = RoomRef(RoomKind.DESK, delegation=AG)

# SPEC §2's table, copied as the SPEC writes it: X is AG, Y is BR.
SPEC_TABLE = """
| room | chair | secretariat | focal point X | expert of X | focal point Y | expert of Y | bot | warden |
|---|---|---|---|---|---|---|---|---|
| space (the working group) | ✓ | ✓ | ✓ | – | ✓ | – | ✓ admin | – |
| plenary (delegation level) | ✓ moderator | ✓ moderator | ✓ speaks | – | ✓ speaks | – | ✓ admin | – |
| moderation (Chair's office) | ✓ | ✓ | – | – | – | – | ✓ admin | – |
| folder rooms ×3 | ✓ posts | ✓ posts | ✓ reads | – ¹ | ✓ reads | – ¹ | ✓ admin | – |
| experts room of X | – | – | ✓ moderator | ✓ speaks | – | – | – | ✓ admin |
| desk of X (focal point ↔ bot) | – | – | ✓ | – | – | – | ✓ admin | – |
| support (tickets, seed V) | – | ✓ | – | – | – | – | ✓ admin | – |
"""  # noqa: E501 - as the SPEC writes it
SPEC_ROWS = {
    "space": [SPACE],
    "plenary": [PLENARY],
    "moderation": [MODERATION],
    "folder rooms": [RoomRef(RoomKind.FOLDER, folder=key) for key in FolderKey],
    "experts room of X": [AG_EXPERTS],
    "desk of X": [AG_DESK],
    "support": [SUPPORT],
}
SPEC_COLUMNS = [CHAIR, SEC, AG_FP, AG_EXP, BR_FP, BR_EXP, BOT, WARDEN]
SPEC_CELLS = {
    "✓": SPEAKS,
    "✓ speaks": SPEAKS,
    "✓ posts": POSTS,
    "✓ reads": READS,
    "✓ moderator": MODERATES,
    "✓ admin": GOVERNS,
    "–": NO_ACCESS,
}


def spec_table(experts_read_folders: bool) -> list[tuple[RoomRef, UserId, Access]]:
    cells = []
    for line in SPEC_TABLE.strip().splitlines()[2:]:
        label, *row = (part.strip() for part in line.strip("|").split("|"))
        rooms = next(rooms for prefix, rooms in SPEC_ROWS.items() if label.startswith(prefix))
        assert len(row) == len(SPEC_COLUMNS)
        for user, text in zip(SPEC_COLUMNS, row, strict=True):
            if text == "– ¹":  # footnote ¹: experts_read_folders lets experts read
                cell = READS if experts_read_folders else NO_ACCESS
            else:
                cell = SPEC_CELLS[text]
            cells += [(room, user, cell) for room in rooms]
    return cells


@pytest.mark.parametrize("experts_read_folders", [False, True])
def test_access_is_the_spec_table_cell_for_cell(experts_read_folders: bool) -> None:
    roster = make_roster(experts_read_folders)
    table = spec_table(experts_read_folders)
    assert len(table) == 9 * 8
    for room, user, cell in table:
        assert access(roster, PLATFORM, user, room) == cell, (room, user)
        assert may_join(roster, PLATFORM, user, room).allowed == cell.is_member, (room, user)


def test_the_table_covers_every_kind_and_role() -> None:
    assert set(ACCESS) == set(RoomKind)
    assert all(set(row) == set(Role) for row in ACCESS.values())
    assert all(row[Role.OUTSIDER] == NO_ACCESS for row in ACCESS.values())


def test_roles_and_governing_accounts() -> None:
    assert role_in(ROSTER, PLATFORM, BOT) is Role.BOT
    assert role_in(ROSTER, PLATFORM, WARDEN) is Role.WARDEN
    assert role_in(ROSTER, PLATFORM, AG_EXP) is Role.EXPERT
    assert role_in(ROSTER, PLATFORM, STRANGER) is Role.OUTSIDER
    assert governing_role(AG_EXPERTS) is Role.WARDEN
    assert governing_account(PLATFORM, AG_EXPERTS) == WARDEN
    assert {governing_account(PLATFORM, r) for r in (SPACE, PLENARY, FOLDER, AG_DESK)} == {BOT}


def test_platform_accounts_differ() -> None:
    with pytest.raises(ValueError):
        Platform(BOT, BOT)


def test_members_of() -> None:
    assert members_of(ROSTER, PLATFORM, AG_EXPERTS) == {
        WARDEN: GOVERNS,
        AG_FP: MODERATES,
        AG_EXP: SPEAKS,
    }
    assert members_of(ROSTER, PLATFORM, AG_DESK) == {BOT: GOVERNS, AG_FP: SPEAKS}
    assert members_of(ROSTER, PLATFORM, MODERATION) == {BOT: GOVERNS, CHAIR: SPEAKS, SEC: SPEAKS}
    assert members_of(ROSTER, PLATFORM, SUPPORT) == {BOT: GOVERNS, SEC: SPEAKS}
    assert list(members_of(ROSTER, PLATFORM, PLENARY)) == [BOT, CHAIR, SEC, AG_FP, BR_FP]
    gone = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("CA"))
    assert members_of(ROSTER, PLATFORM, gone) == {WARDEN: GOVERNS}


# -- joining: each refusal names its rule and says why -----------------------------------------


@pytest.mark.parametrize(
    ("user", "room", "rule", "words"),
    [
        (STRANGER, PLENARY, "R10", "only the people on the working group's roster"),
        (AG_EXP, PLENARY, "R11", "only a delegation's focal point takes part"),
        (AG_EXP, SPACE, "R11", "only a delegation's focal point takes part"),
        (AG_EXP, FOLDER, "R12", "experts_read_folders"),
        (BR_FP, AG_EXPERTS, "R13", "no other delegation sees or joins"),
        (BR_EXP, AG_EXPERTS, "R13", "no other delegation sees or joins"),
        (BR_FP, AG_DESK, "R13", "no other delegation sees or joins"),
        (CHAIR, AG_EXPERTS, "R14", "never see an experts room"),
        (SEC, AG_EXPERTS, "R14", "never see an experts room"),
        (BOT, AG_EXPERTS, "R15", "never holds the keys of an experts room"),
        (WARDEN, PLENARY, "R15", "used only in experts rooms"),
        (AG_FP, MODERATION, "R9", "the Chair's office"),
        (CHAIR, AG_DESK, "R9", "a desk is between a delegation's focal point and the platform"),
        (CHAIR, SUPPORT, "R42", "the Support room is the Technical Secretariat's"),
        (AG_FP, SUPPORT, "R42", "the Support room is the Technical Secretariat's"),
        (AG_EXP, SUPPORT, "R42", "the Support room is the Technical Secretariat's"),
        (WARDEN, SUPPORT, "R15", "used only in experts rooms"),
    ],
)
def test_join_refusals(user: UserId, room: RoomRef, rule: str, words: str) -> None:
    decision = may_join(ROSTER, PLATFORM, user, room)
    assert not decision.allowed
    assert decision.rule == rule
    assert words in decision.reason
    assert decision.reason.startswith(user)


def test_join_reasons_name_the_person_and_the_room() -> None:
    decision = may_join(ROSTER, PLATFORM, BR_EXP, AG_EXPERTS)
    assert decision.reason.startswith(
        "@br.exp:example.org (an expert of Brazil) may not be in the experts room of Antigua and "
        "Barbuda: "
    )
    assert may_join(ROSTER, PLATFORM, AG_FP, FOLDER) == Decision(
        True,
        "@ag.fp:example.org (the focal point of Antigua and Barbuda) belongs in the folder room "
        "“Reference documents” as a member, reading only.",
        "R9",
    )


# -- inviting ----------------------------------------------------------------------------------


def test_only_the_governing_account_invites() -> None:  # R16
    assert may_invite(ROSTER, PLATFORM, BOT, AG_FP, PLENARY).allowed
    assert may_invite(ROSTER, PLATFORM, WARDEN, AG_EXP, AG_EXPERTS).allowed
    for inviter, invitee, room in [
        (CHAIR, AG_FP, PLENARY),  # a moderator of the plenary
        (AG_FP, AG_EXP, AG_EXPERTS),  # the moderator of the experts room
        (BOT, AG_EXP, AG_EXPERTS),  # the bot never enters an experts room
        (WARDEN, AG_FP, PLENARY),
    ]:
        decision = may_invite(ROSTER, PLATFORM, inviter, invitee, room)
        assert (decision.allowed, decision.rule) == (False, "R16"), (inviter, room)
        assert "Only the platform invites" in decision.reason


def test_the_platform_invites_only_who_may_be_there() -> None:
    decision = may_invite(ROSTER, PLATFORM, BOT, AG_EXP, PLENARY)
    assert (decision.allowed, decision.rule) == (False, "R11")


# -- state -------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", [*sorted(GOVERNED_STATE_TYPES), "com.example.anything"])
def test_state_is_the_platforms_alone(event_type: str) -> None:  # R17
    for room, governor in [(PLENARY, BOT), (AG_EXPERTS, WARDEN), (AG_DESK, BOT)]:
        assert may_send_state(ROSTER, PLATFORM, governor, room, event_type, "").allowed
        for sender in [CHAIR, SEC, AG_FP, AG_EXP, STRANGER, *({BOT, WARDEN} - {governor})]:
            decision = may_send_state(ROSTER, PLATFORM, sender, room, event_type, "")
            assert (decision.allowed, decision.rule) == (False, "R17")


def test_membership_is_not_asked_as_state() -> None:
    with pytest.raises(ValueError, match="may_join"):
        may_send_state(ROSTER, PLATFORM, BOT, PLENARY, "m.room.member", AG_FP)


# -- redaction ---------------------------------------------------------------------------------


def test_nobody_but_the_platform_redacts_in_the_plenary() -> None:  # R18, R19
    for sender in [CHAIR, SEC, AG_FP, STRANGER]:
        for target in [sender, AG_FP, CHAIR, BOT]:
            decision = may_redact(ROSTER, PLATFORM, sender, PLENARY, target)
            assert (decision.allowed, decision.rule) == (False, "R18"), (sender, target)
    assert may_redact(ROSTER, PLATFORM, BOT, PLENARY, BOT).allowed
    for target in [AG_FP, BR_FP, CHAIR, STRANGER]:
        decision = may_redact(ROSTER, PLATFORM, BOT, PLENARY, target)
        assert (decision.allowed, decision.rule) == (False, "R19")


def test_the_platform_never_redacts_a_delegations_message() -> None:  # R19
    for room, target in [(AG_DESK, AG_FP), (AG_EXPERTS, AG_EXP), (AG_EXPERTS, AG_FP)]:
        governor = governing_account(PLATFORM, room)
        decision = may_redact(ROSTER, PLATFORM, governor, room, target)
        assert (decision.allowed, decision.rule) == (False, "R19")


def test_nobody_redacts_another_persons_message() -> None:  # R33
    for sender, room, target in [
        (BOT, FOLDER, CHAIR),  # the platform, of someone who is no delegation
        (CHAIR, FOLDER, SEC),
        (AG_FP, AG_EXPERTS, AG_EXP),  # the moderator
        (AG_EXP, AG_EXPERTS, AG_FP),
        (AG_FP, AG_EXPERTS, WARDEN),
        (SEC, MODERATION, CHAIR),
    ]:
        decision = may_redact(ROSTER, PLATFORM, sender, room, target)
        assert (decision.allowed, decision.rule) == (False, "R33"), (sender, room, target)


def test_nobody_redacts_state_or_what_cannot_be_read() -> None:  # R34
    for sender, room in [(WARDEN, AG_EXPERTS), (AG_FP, AG_EXPERTS), (BOT, FOLDER), (CHAIR, FOLDER)]:
        own = may_redact(ROSTER, PLATFORM, sender, room, sender, target_is_state=True)
        assert (own.allowed, own.rule) == (False, "R34"), (sender, room)
        unknown = may_redact(ROSTER, PLATFORM, sender, room, None)
        assert (unknown.allowed, unknown.rule) == (False, "R34"), (sender, room)
    # In the plenary R18 answers first for anyone but the platform.
    assert may_redact(ROSTER, PLATFORM, CHAIR, PLENARY, None).rule == "R18"
    assert may_redact(ROSTER, PLATFORM, BOT, PLENARY, BOT, target_is_state=True).rule == "R34"


def test_redaction_of_ones_own_message() -> None:  # R20
    assert may_redact(ROSTER, PLATFORM, CHAIR, FOLDER, CHAIR).allowed
    assert may_redact(ROSTER, PLATFORM, AG_EXP, AG_EXPERTS, AG_EXP).allowed
    assert may_redact(ROSTER, PLATFORM, AG_FP, AG_EXPERTS, AG_FP).allowed
    assert may_redact(ROSTER, PLATFORM, BOT, FOLDER, BOT).allowed
    refused = [
        (BR_FP, AG_EXPERTS, BR_FP),  # not a member
        (AG_FP, MODERATION, AG_FP),
        (AG_FP, FOLDER, AG_FP),  # reads only
    ]
    for sender, room, target in refused:
        decision = may_redact(ROSTER, PLATFORM, sender, room, target)
        assert (decision.allowed, decision.rule) == (False, "R20"), (sender, room, target)


# -- removal -----------------------------------------------------------------------------------


def test_removal() -> None:  # R21
    allowed = [
        (BOT, AG_FP, PLENARY),  # the platform applies the roster
        (WARDEN, AG_EXP, AG_EXPERTS),
        (AG_FP, AG_EXP, AG_EXPERTS),  # the focal point moderates their experts room
        (AG_FP, STRANGER, AG_EXPERTS),
        (AG_FP, AG_FP, PLENARY),  # leaving
        (AG_EXP, AG_EXP, AG_EXPERTS),
    ]
    for kicker, target, room in allowed:
        assert may_kick(ROSTER, PLATFORM, kicker, target, room).allowed, (kicker, target, room)
    refused = [
        (CHAIR, AG_FP, PLENARY),  # coordination gives no right to remove a delegation
        (SEC, STRANGER, PLENARY),
        (AG_FP, WARDEN, AG_EXPERTS),  # the governing account stays
        (WARDEN, WARDEN, AG_EXPERTS),
        (BOT, BOT, PLENARY),
        (AG_EXP, AG_FP, AG_EXPERTS),
        (CHAIR, SEC, MODERATION),
        (BR_FP, AG_EXP, AG_EXPERTS),
        (BOT, AG_EXP, AG_EXPERTS),  # the bot does not govern an experts room
    ]
    for kicker, target, room in refused:
        decision = may_kick(ROSTER, PLATFORM, kicker, target, room)
        assert (decision.allowed, decision.rule) == (False, "R21"), (kicker, target, room)

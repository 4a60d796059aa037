"""Power levels (R22–R25): the one table, and the content built from it."""

from __future__ import annotations

from room_policies.access_table import ACCESS, GOVERNED_STATE_TYPES, Standing, governing_role
from room_policies.power_levels import POWER_LEVELS, power_levels_content
from room_policies.roles import DelegationCode, FolderKey, Platform, Role, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import load_roster

PLATFORM = Platform(UserId("@plenaria:example.org"), UserId("@plenaria-warden:example.org"))
ROSTER = load_roster(
    """\
working_group: WG
chairs: ["@chair:example.org"]
secretariat: ["@sec:example.org"]
delegations:
  - {code: AG, focal_point: "@ag.fp:example.org", experts: ["@ag.exp:example.org"]}
""",
    "example.org",
)
STATE = dict.fromkeys(sorted(GOVERNED_STATE_TYPES), 100)


def test_the_table_covers_every_kind_and_role() -> None:
    assert set(POWER_LEVELS) == set(RoomKind)
    assert all(set(row) == set(Role) for row in POWER_LEVELS.values())


def test_the_table_agrees_with_the_access_table() -> None:
    for kind, row in POWER_LEVELS.items():
        cells = ACCESS[kind]
        default = row[Role.OUTSIDER]
        governing = row[governing_role(RoomRef(kind, *_shape(kind)))]
        for role, level in row.items():
            cell = cells[role]
            if not cell.is_member:
                assert level == default, (kind, role)  # no power for who is not there
            if cell.standing is not Standing.ADMIN:
                assert level < governing, (kind, role)  # the governing account alone on top
        posting = [row[r] for r, c in cells.items() if c.posts]
        reading = [row[r] for r, c in cells.items() if c.is_member and not c.posts]
        assert all(level < min(posting) for level in reading), kind
        moderators = [row[r] for r, c in cells.items() if c.standing is Standing.MODERATOR]
        members = [row[r] for r, c in cells.items() if c.standing is Standing.MEMBER]
        assert all(m > level for m in moderators for level in members), kind


def _shape(kind: RoomKind) -> tuple[FolderKey | None, DelegationCode | None]:
    if kind is RoomKind.FOLDER:
        return FolderKey.PLAN, None
    if kind in (RoomKind.EXPERTS, RoomKind.DESK):
        return None, DelegationCode("AG")
    return None, None


def test_plenary_content() -> None:
    content = power_levels_content(ROSTER, PLATFORM, RoomRef(RoomKind.PLENARY))
    assert content == {
        "users": {"@plenaria:example.org": 100, "@chair:example.org": 50, "@sec:example.org": 50},
        "users_default": 0,
        "events": {**STATE, "m.room.redaction": 100},
        "events_default": 0,
        "state_default": 100,
        "invite": 100,
        "kick": 100,
        "ban": 100,
        "redact": 100,
        "historical": 100,
        "notifications": {"room": 50},
    }


def test_experts_room_content() -> None:
    room = RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("AG"))
    content = power_levels_content(ROSTER, PLATFORM, room)
    assert content == {
        "users": {"@plenaria-warden:example.org": 100, "@ag.fp:example.org": 50},
        "users_default": 0,
        "events": STATE,
        "events_default": 0,
        "state_default": 100,
        "invite": 100,
        "kick": 50,
        "ban": 100,
        "redact": 100,  # nobody redacts another's message, not even the moderator (R33)
        "historical": 100,
        "notifications": {"room": 50},
    }


def test_folder_content() -> None:
    content = power_levels_content(
        ROSTER, PLATFORM, RoomRef(RoomKind.FOLDER, folder=FolderKey.REFERENCE)
    )
    assert content["users"] == {
        "@plenaria:example.org": 100,
        "@chair:example.org": 10,
        "@sec:example.org": 10,
    }
    assert content["events_default"] == 10  # focal points read, they do not post
    assert (content["kick"], content["redact"], content["invite"]) == (100, 100, 100)


def test_the_space_moderation_room_and_desk_have_only_the_platform_above_members() -> None:
    for room in [
        RoomRef(RoomKind.SPACE),
        RoomRef(RoomKind.MODERATION),
        RoomRef(RoomKind.DESK, delegation=DelegationCode("AG")),
    ]:
        content = power_levels_content(ROSTER, PLATFORM, room)
        assert content["users"] == {"@plenaria:example.org": 100}
        assert content["events_default"] == 0
        assert content["notifications"] == {"room": 100}

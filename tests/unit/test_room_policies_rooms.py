"""Rooms: the marker (SPEC §7), the rooms a roster calls for (R7, R8), their names."""

from __future__ import annotations

import pytest

from room_policies.roles import DelegationCode, FolderKey, RoomKind
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef, desired_rooms, room_name
from room_policies.roster import load_roster

ROSTER = load_roster(
    """\
working_group: Joint Working Group on Disaster Prevention and Response
chairs: ["@chair:example.org"]
secretariat: ["@sec:example.org"]
delegations:
  - {code: AG, focal_point: "@ag.fp:example.org", experts: ["@ag.exp:example.org"]}
  - {code: BR, focal_point: "@br.fp:example.org"}
folders: {plan: Plan Interamericano}
""",
    "example.org",
)

AG = DelegationCode("AG")


def test_the_marker_event_type() -> None:
    assert MARKER_EVENT_TYPE == "org.plenaria.room"


@pytest.mark.parametrize(
    ("room", "content"),
    [
        (RoomRef(RoomKind.SPACE), {"kind": "space"}),
        (RoomRef(RoomKind.PLENARY), {"kind": "plenary"}),
        (RoomRef(RoomKind.MODERATION), {"kind": "moderation"}),
        (RoomRef(RoomKind.SUPPORT), {"kind": "support"}),
        (RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN), {"kind": "folder", "folder": "plan"}),
        (RoomRef(RoomKind.EXPERTS, delegation=AG), {"kind": "experts", "delegation": "AG"}),
        (RoomRef(RoomKind.DESK, delegation=AG), {"kind": "desk", "delegation": "AG"}),
    ],
)
def test_marker_content_is_the_spec_shape_and_reads_back(
    room: RoomRef, content: dict[str, str]
) -> None:
    assert room.marker_content() == content
    assert RoomRef.from_marker(content) == room


def test_a_marker_may_carry_keys_of_a_later_version() -> None:
    room = RoomRef.from_marker({"kind": "desk", "delegation": "AG", "since": 2})
    assert room == RoomRef(RoomKind.DESK, delegation=AG)


@pytest.mark.parametrize(
    "content",
    [
        {},
        {"kind": "lobby"},
        {"kind": ["plenary"]},
        {"kind": "folder"},
        {"kind": "folder", "folder": "drafts"},
        {"kind": "folder", "folder": ["plan"]},
        {"kind": "plenary", "folder": "plan"},
        {"kind": "plenary", "delegation": "AG"},
        {"kind": "experts"},
        {"kind": "desk", "delegation": "XX"},
        {"kind": "desk", "delegation": "ag"},
        {"kind": "desk", "delegation": 7},
        {"kind": "folder", "folder": "plan", "delegation": "AG"},
    ],
)
def test_a_malformed_marker_names_no_room(content: dict[str, object]) -> None:
    assert RoomRef.from_marker(content) is None


def test_a_room_ref_has_the_shape_of_its_kind() -> None:
    with pytest.raises(ValueError):
        RoomRef(RoomKind.FOLDER)
    with pytest.raises(ValueError):
        RoomRef(RoomKind.EXPERTS)
    with pytest.raises(ValueError):
        RoomRef(RoomKind.PLENARY, delegation=AG)


def test_desired_rooms() -> None:
    assert desired_rooms(ROSTER) == [
        RoomRef(RoomKind.SPACE),
        RoomRef(RoomKind.PLENARY),
        RoomRef(RoomKind.MODERATION),
        RoomRef(RoomKind.SUPPORT),
        RoomRef(RoomKind.FOLDER, folder=FolderKey.REFERENCE),
        RoomRef(RoomKind.FOLDER, folder=FolderKey.SUPPORTING),
        RoomRef(RoomKind.FOLDER, folder=FolderKey.PLAN),
        RoomRef(RoomKind.EXPERTS, delegation=AG),
        RoomRef(RoomKind.DESK, delegation=AG),
        RoomRef(RoomKind.EXPERTS, delegation=DelegationCode("BR")),
        RoomRef(RoomKind.DESK, delegation=DelegationCode("BR")),
    ]


def test_room_names() -> None:
    names = [room_name(ROSTER, room) for room in desired_rooms(ROSTER)]
    assert names == [
        "Joint Working Group on Disaster Prevention and Response",
        "Plenary",
        "Moderation",
        "Support — Technical Secretariat",
        "Reference documents",
        "Supporting documents",
        "Plan Interamericano",
        "Experts — Antigua and Barbuda",
        "Desk — Antigua and Barbuda",
        "Experts — Brazil",
        "Desk — Brazil",
    ]
    # A room of a delegation that left the roster keeps its country's name.
    assert room_name(ROSTER, RoomRef(RoomKind.DESK, delegation=DelegationCode("CA"))) == (
        "Desk — Canada"
    )

"""Why a rule refuses, as codes: what `commands/` words in the reader's language.

A refusal (`roles.Decision`, `roster.RosterError`) carries its English sentence (the audit log's
record, the CLI's and the Synapse module's), a code saying which sentence it is, and the
sentence's facts (user ids, codes, event types; a room as `Place`). The words for each code are
in `commands/policy_reasons.py` (decisions) and `commands/roster_reasons.py` (the roster), one
catalog message per sentence; in English they are the sentence here, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["THIS_ROOM", "Facts", "Place", "Problem", "Why", "facts"]

# A refusal's facts, as (name, value) pairs so that a decision stays hashable.
Facts = tuple[tuple[str, str], ...]


def facts(**values: str) -> Facts:
    return tuple(values.items())


@dataclass(frozen=True)
class Place:
    """A room as a refusal names it: its kind ("plenary", "space", "moderation", "support",
    "folder" with the folder room's name, "folder_key" with the folder's key, "experts" or "desk"
    with the country, "this_room"), without the words."""

    kind: str
    of: str = ""

    def facts(self, name: str = "room") -> Facts:
        return ((name, self.kind), (f"{name}_of", self.of))

    @staticmethod
    def of_facts(values: Mapping[str, str], name: str = "room") -> Place:
        return Place(values.get(name, ""), values.get(f"{name}_of", ""))


THIS_ROOM = Place("this_room")


class Why(StrEnum):
    """Which refusal of the rules of conduct and membership (facts in comments)."""

    INVITE_ONLY_PLATFORM = "invite_only_platform"  # room (R16)
    KNOCK = "knock"  # room (R27)
    STATE_PLATFORM_ONLY = "state_platform_only"  # room, event_type (R17)
    REDACT_IN_PLENARY = "redact_in_plenary"  # (R18)
    REDACT_UNREADABLE = "redact_unreadable"  # room (R34)
    REDACT_SETTING = "redact_setting"  # room (R34)
    REDACT_SETTING_TYPED = "redact_setting_typed"  # room, event_type (R34)
    REDACT_DELEGATION = "redact_delegation"  # author (R19)
    REDACT_OTHERS = "redact_others"  # room (R33)
    REDACT_NOT_MEMBER = "redact_not_member"  # user, room (R20)
    REDACT_READ_ONLY = "redact_read_only"  # user, room (R20)
    REMOVE_GOVERNOR = "remove_governor"  # room (R21)
    REMOVE_FROM_PLENARY = "remove_from_plenary"  # (R21)
    REMOVE_PLATFORM_ONLY = "remove_platform_only"  # room (R21)
    BAN_PLATFORM_ONLY = "ban_platform_only"  # room (R21)
    # may_join's refusals: who (user, who_role, who_country), room.
    OTHER_DELEGATION = "other_delegation"  # (R13)
    FOLDERS_CLOSED = "folders_closed"  # (R12)
    NOT_ON_ROSTER = "not_on_roster"  # (R10)
    EXPERT_AT_DELEGATION_LEVEL = "expert_at_delegation_level"  # (R11)
    MODERATION_ROOM = "moderation_room"  # (R9)
    SUPPORT_ROOM = "support_room"  # (R42)
    DESK = "desk"  # (R9)
    EXPERTS_ROOM = "experts_room"  # (R14)
    BOT_IN_EXPERTS_ROOM = "bot_in_experts_room"  # (R15)
    WARDEN = "warden"  # (R15)
    # breaches.judge_event: the platform's own account wrote what the rules do not give.
    GOVERNOR_STATE = "governor_state"  # event_type (R17, R22)


class Problem(StrEnum):
    """Which reason a roster is refused (facts in comments); `roster.RosterError`."""

    EMPTY_WORKING_GROUP = "empty_working_group"
    NO_CHAIR = "no_chair"
    NO_SECRETARIAT = "no_secretariat"
    NOT_A_COUNTRY = "not_a_country"  # code (R1)
    EMPTY_NAME = "empty_name"  # code
    DELEGATION_TWICE = "delegation_twice"  # code (R2)
    BAD_USER_ID = "bad_user_id"  # user, server (R4)
    OTHER_SERVER = "other_server"  # user, their_server, server (R4)
    IS_BOT = "is_bot"  # user (R5)
    IS_WARDEN = "is_warden"  # user (R5)
    TWO_DELEGATIONS = "two_delegations"  # user, codes (R3)
    TWO_ROLES = "two_roles"  # user, seats: "role[:CODE]" joined by " " (R3)
    LISTED_TWICE = "listed_twice"  # user, seat (R3)
    NAME_OFF_ROSTER = "name_off_roster"  # user
    NAME_NOT_ONE_LINE = "name_not_one_line"  # user
    NOT_YAML = "not_yaml"  # error
    NOT_A_MAPPING = "not_a_mapping"
    UNKNOWN_KEY = "unknown_key"  # where
    MISSING_KEY = "missing_key"  # where

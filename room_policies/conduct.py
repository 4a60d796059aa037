"""What people may do in a governed room: invite, change a setting, remove a message, remove or
ban someone. Written once, asked by both sides of SPEC §2's "Prevent" and "React".

A `GovernedRoom` is a room as these rules see it: its kind, the account that governs it, how a
delegate calls it, and who is listed in it as what (the members list it publishes, R26). The
enforcer's side (`membership`, judging by the roster) builds it from `members_of`; the Synapse
module's side (`event_rules`, judging by the room's own state) from the room's
`org.plenaria.members` event. Both then ask the same function, so "prevent" and "react" cannot
drift apart. Whether someone may be in a room at all (R9–R15) is answered by each side from its
own source of truth and handed in (`may_invite`'s `joining`).

R16  The platform invites; nobody else does (§2 "Reconcile: … → invite"): who is in a room
     follows the roster, so moderators do not invite either.
R17  "State changes (power levels, join rules, history visibility, encryption,
     `org.plenaria.room`) are the platform's alone" — and so are all other room state events
     (name, topic, avatar, …); membership is decided by R9–R16 and R21.
R18  "Nobody but the platform may redact in the plenary."
R19  "The platform never redacts a delegation's message." In the plenary the platform redacts
     only its own messages: the roster cannot tell who wrote there as a delegation in the past.
R20  Elsewhere a member who may post may redact their own messages; nobody redacts anyone
     else's (R33).
R21  Only the platform removes people from a room, following the roster, except that a focal
     point moderating their experts room may remove a member there (§2); in the plenary
     coordination gives no right to remove a delegation. Anyone may leave, except the
     governing account (a room without it could not be repaired). Only the platform bans.
R33  Nobody redacts another person's message, not even a moderator or the platform's own
     accounts (§2: "Coordination gives no right to alter what delegations wrote: in governed
     rooms nobody redacts another person's message (the platform's own accounts included)").
     A person may redact their own message where they may post (R20).
R34  Nobody redacts state (§2: "and nobody redacts state"): a redacted `m.room.encryption`
     reads as no encryption, a redacted marker or members list closes the room (R29). A
     redaction whose target cannot be read is treated as one of state (fail closed, R29).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from room_policies.access_table import ACCESS, NO_ACCESS, Access, Standing
from room_policies.reasons import THIS_ROOM, Place, Why, facts
from room_policies.roles import DELEGATES, Decision, Role, RoomKind, UserId

__all__ = [
    "GovernedRoom",
    "Redacted",
    "capital",
    "may_ban",
    "may_change_state",
    "may_invite",
    "may_knock",
    "may_redact",
    "may_remove",
]


@dataclass(frozen=True)
class GovernedRoom:
    """A governed room as the rules of conduct see it: its kind, its governing account, its
    name for a delegate (`label`, e.g. "the plenary") and its members list (R26)."""

    kind: RoomKind
    governor: UserId
    label: str
    roles: Mapping[UserId, Role]
    place: Place = THIS_ROOM  # the room as a refusal's facts name it (`label`'s code)

    def access(self, user: str) -> Access:
        """The user's access here: the table's cell for their listed role, none if unlisted."""
        role = self.roles.get(UserId(user))
        return NO_ACCESS if role is None else ACCESS[self.kind][role]


@dataclass(frozen=True)
class Redacted:
    """What a redaction's judge needs of the event it removes: its type, state key (None for a
    message) and sender; `type` is "" where the caller does not know it."""

    type: str
    state_key: str | None
    sender: str

    @property
    def is_state(self) -> bool:
        return self.state_key is not None


def capital(label: str) -> str:
    """A room's label at the start of a sentence (`str.capitalize` would lower a country's name)."""
    return label[:1].upper() + label[1:]


def may_invite(room: GovernedRoom, inviter: str, invitee: str, joining: Decision) -> Decision:
    """May `inviter` invite `invitee`? Only the governing account invites (R16), and only
    someone who may be in the room: `joining` is that answer, from the caller's source."""
    if inviter != room.governor:
        return Decision(
            False,
            f"Only the platform invites people into {room.label}, following the working "
            "group's roster; ask the Secretariat to change the roster instead.",
            "R16",
            Why.INVITE_ONLY_PLATFORM,
            room.place.facts(),
        )
    if not joining.allowed:
        return joining
    return Decision(True, f"The platform invites {invitee}, who belongs in {room.label}.", "R16")


def may_knock(room: GovernedRoom) -> Decision:
    """Nobody knocks: every room is invite-only (R27, `room_state`)."""
    return Decision(
        False,
        f"{capital(room.label)} is invite-only: the platform invites the people the roster "
        "places in it, and nobody knocks.",
        "R27",
        Why.KNOCK,
        room.place.facts(),
    )


def may_change_state(
    sender: str, event_type: str, *, governor: str, where: str, place: Place = THIS_ROOM
) -> Decision:
    """May `sender` set a state event of this type in the room `governor` governs (`where`
    names it)? Only the governing account may (R17); what it may write is the caller's to check
    (the roster's desired state, or R30 and R31). It needs no members list, so a room whose
    list cannot be read (R29) is asked too."""
    if sender != governor:
        return Decision(
            False,
            f"Only the platform changes the settings of {where} ({event_type}); a room's "
            "settings are the platform's alone.",
            "R17",
            Why.STATE_PLATFORM_ONLY,
            place.facts() + facts(event_type=event_type),
        )
    return Decision(True, f"The platform keeps the settings of {where} ({event_type}).", "R17")


def may_redact(room: GovernedRoom, sender: str, target: Redacted | None) -> Decision:
    """May `sender` redact `target` (None if it cannot be read)? (R18–R20, R33, R34)"""
    where = room.label
    if room.kind is RoomKind.PLENARY and sender != room.governor:
        return Decision(
            False,
            "Nobody but the platform may remove a message in the plenary: coordination "
            "gives no right to alter what delegations wrote.",
            "R18",
            Why.REDACT_IN_PLENARY,
        )
    if target is None:
        # R34: what cannot be read may be state; fail closed (R29).
        return Decision(
            False,
            f"The event to remove cannot be read in {where}, so it may not be removed.",
            "R34",
            Why.REDACT_UNREADABLE,
            room.place.facts(),
        )
    if target.is_state:
        what = f" ({target.type})" if target.type else ""
        return Decision(
            False,
            f"Nobody removes a setting of {where}{what}: the room's settings stay as the rules "
            "say.",
            "R34",
            Why.REDACT_SETTING_TYPED if target.type else Why.REDACT_SETTING,
            room.place.facts() + facts(event_type=target.type),
        )
    if target.sender != sender:
        if sender == room.governor and (
            room.kind is RoomKind.PLENARY or room.roles.get(UserId(target.sender)) in DELEGATES
        ):
            return Decision(
                False,
                "The platform removes only its own messages; it never alters what a delegation "
                f"wrote ({target.sender}).",
                "R19",
                Why.REDACT_DELEGATION,
                facts(author=target.sender),
            )
        return Decision(
            False,
            f"Nobody removes another person's message in {where}, not even a moderator or the "
            "platform: coordination gives no right to alter what others wrote.",
            "R33",
            Why.REDACT_OTHERS,
            room.place.facts(),
        )
    if sender == room.governor:
        return Decision(True, "The platform may remove its own message.", "R20")
    mine = room.access(sender)
    if not mine.is_member:
        return Decision(
            False,
            f"{sender} is not a member of {where}.",
            "R20",
            Why.REDACT_NOT_MEMBER,
            facts(user=sender) + room.place.facts(),
        )
    if not mine.posts:
        return Decision(
            False,
            f"{sender} reads {where} and writes nothing there.",
            "R20",
            Why.REDACT_READ_ONLY,
            facts(user=sender) + room.place.facts(),
        )
    return Decision(True, f"Anyone may remove their own message in {where}.", "R20")


def may_remove(room: GovernedRoom, remover: str, target: str) -> Decision:
    """May `remover` remove `target` from the room (a kick, a revoked invitation, an unban), or
    leave it when they are the same? (R21)"""
    where = room.label
    if target == room.governor:
        return Decision(
            False,
            f"The platform's account stays in {where}: without it the room could not be kept "
            "as the rules want.",
            "R21",
            Why.REMOVE_GOVERNOR,
            room.place.facts(),
        )
    if remover == target:
        return Decision(True, f"Anyone may leave {where}.", "R21")
    if remover == room.governor:
        return Decision(True, f"The platform removes people from {where} by the roster.", "R21")
    if room.kind is RoomKind.PLENARY:
        return Decision(
            False,
            "Only the platform removes people from the plenary, following the roster: "
            "coordination gives no right to remove a delegation.",
            "R21",
            Why.REMOVE_FROM_PLENARY,
        )
    if room.access(remover).standing is Standing.MODERATOR and room.access(target).standing in (
        Standing.NONE,
        Standing.MEMBER,
    ):
        # "The focal point moderates their experts room" (§2): a listed member below them, or
        # anyone the list does not place there at all.
        return Decision(True, f"{remover} moderates {where}.", "R21")
    return Decision(
        False,
        f"Only the platform, following the roster, removes people from {where}.",
        "R21",
        Why.REMOVE_PLATFORM_ONLY,
        room.place.facts(),
    )


def may_ban(room: GovernedRoom, banner: str, target: str) -> Decision:
    """May `banner` ban `target`? Only the governing account, and never itself (R21)."""
    if banner == room.governor and target != room.governor:
        return Decision(True, f"The platform keeps {target} out of {room.label}.", "R21")
    return Decision(
        False,
        f"Only the platform, following the roster, bans people from {room.label}.",
        "R21",
        Why.BAN_PLATFORM_ONLY,
        room.place.facts(),
    )

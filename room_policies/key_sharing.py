"""Whose device may have a room key back: the answer to a room-key request (issue #14).

A person who signs in on a new device finds every earlier message "Unable to decrypt": Megolm
gives a device only the keys sent after it existed. A client may then ask for the missing key
(`m.room_key_request`). The bot answers such a request only with a key it made itself, for a
room whose documents it posts, to a device its owner cross-signed, for someone who belongs in
the room now (K1–K4). Everything here is pure: the shell (`bot/governance/key_sharing.py`) finds
the session, the signed devices (`room_policies.trust.signed_devices`, against the pinned
identity) and the roster, this module decides.

K1  Only a session the bot itself created: the request names the bot's own device key as the
    session's sender, the bot holds that session, and it did not come from anyone else (no
    forwarding chain). A key someone else sent is theirs to share, never the bot's: forwarding
    it would let the bot vouch for messages it did not write.
K2  Only in a room whose messages the bot posts for its members to read later: the folder rooms
    (the documents), the desks (receipts, the files `!get` sends), the moderation room
    (compilations, suggestions) and the plenary (the announcements of what was published, the
    rounds' notices, receipts of proposals uploaded there). Not the space (nothing is posted
    there), not an experts room (the bot holds none of its keys, R15), not the Support room
    (what it holds is the askers' own files, relayed once to the Secretariat).
K3  Only to a device its owner cross-signed with the identity the platform pinned for them (or,
    before any pin, the one they have: `room_policies.trust`, T3–T4) — the same devices the bot
    encrypts to (Element's "exclude insecure devices"). The homeserver's operator can make a
    device for anyone; it cannot sign one with keys that never left the person's devices.
K4  Only to someone who belongs in the room now, by the roster and SPEC §2's table (R9–R14):
    someone who left, or whose delegation was removed, gets nothing back, even for a session
    that was once shared with them. The platform's own accounts ask for nothing.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from room_policies.membership import access, role_in
from room_policies.roles import Decision, Platform, Role, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import Roster

__all__ = ["SHARED_ROOM_KINDS", "KeyRequest", "may_share_room_key"]

# K2: the rooms whose keys the bot gives back.
SHARED_ROOM_KINDS: frozenset[RoomKind] = frozenset(
    {RoomKind.FOLDER, RoomKind.DESK, RoomKind.MODERATION, RoomKind.PLENARY}
)


@dataclass(frozen=True)
class KeyRequest:
    """A room-key request as the shell found it."""

    user: UserId  # who asks (the to-device event's sender)
    device_id: str  # the device that asks
    room: RoomRef | None  # the room the session is for (None: not a governed room)
    own_session: bool  # K1: the bot created the session, and holds it unforwarded


def _no(rule: str, reason: str) -> Decision:
    return Decision(False, reason, rule)


def may_share_room_key(
    roster: Roster | None, platform: Platform, request: KeyRequest, signed: Set[str]
) -> Decision:
    """May the bot send the requested room key to `request.device_id`? `signed` are the ids of
    the asker's devices their pinned identity signed (T3–T4)."""
    if not request.own_session:
        return _no("K1", "not a session the bot created")
    if request.room is None or request.room.kind not in SHARED_ROOM_KINDS:
        return _no("K2", "not a room whose keys the bot gives back")
    if request.device_id not in signed:
        return _no("K3", "the device is not cross-signed by its owner's pinned identity")
    if roster is None:
        return _no("K4", "there is no roster yet")
    if role_in(roster, platform, request.user) in (Role.BOT, Role.WARDEN, Role.OUTSIDER):
        return _no("K4", "not a person of the roster")
    if not access(roster, platform, request.user, request.room).is_member:
        return _no("K4", "does not belong in the room now")
    return Decision(True, "a cross-signed device of a member of the room", "K4")

"""Reconcile: the rooms the roster wants (room_policies) made true in Matrix (SPEC §2, layer 1).

The model: `desired_rooms(roster)` names every room by meaning (`RoomRef`); the directory maps
each to its Matrix room id. A missing room is created whole in one `createRoom` (marker,
members, power levels, settings, name, topic, invitations); an existing room's state is read and
every state event or membership that differs from `desired_state` / `members_of` is corrected.

Idempotent and crash-safe: the room markers in Matrix are the truth. The directory is kept in
the database, and whenever a wanted room is not in it, the joined rooms of the bot and the
warden are scanned for markers that they wrote themselves before anything is created; so a
SIGKILL between `createRoom` and the database write, or a lost database, never leads to a
duplicate, and a half-made room is completed by the next pass. Each room is changed by its own
governing account: the warden for experts rooms, the bot elsewhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.governance.directory import RoomDirectory
from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from room_policies.membership import governing_account, may_join, members_of
from room_policies.roles import Platform, RoomId, RoomKind, UserId
from room_policies.room_state import (
    ROOM_VERSION,
    StateKey,
    creation_content,
    desired_state,
    space_children,
)
from room_policies.rooms import MARKER_EVENT_TYPE, RoomRef, desired_rooms, room_name
from room_policies.roster import Roster

log = logging.getLogger(__name__)

# State a client could add that the platform's rooms never carry; removed when found.
_UNWANTED_STATE = frozenset(
    {"m.room.avatar", "m.room.pinned_events", "m.room.canonical_alias", "m.space.parent"}
)
_PRESENT = frozenset({"join", "invite", "knock"})


@dataclass(frozen=True)
class Change:
    """One correction: made, or (in a dry run) that would be made."""

    room: RoomRef
    action: str  # "create room" | "set state" | "invite" | "remove"
    target: str  # a user id, or a state event type
    reason: str = ""
    failed: str = ""  # the homeserver's refusal, when the change could not be made

    def describe(self, roster: Roster) -> str:
        where = room_name(roster, self.room)
        if self.action == "create room":
            text = f"create the room “{where}”"
        elif self.action == "set state":
            text = f"{where}: set {self.target}"
        elif self.action == "invite":
            text = f"{where}: invite {self.target}"
        else:
            text = f"{where}: remove {self.target}"
        return f"{text} (FAILED: {self.failed})" if self.failed else text


class OwnEvents:
    """The ids of the latest state events the platform wrote (bounded)."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: dict[str, None] = {}
        self._size = size

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            del self._ids[next(iter(self._ids))]

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids


class RoomsUnavailable(Exception):
    """The warden is not configured, so experts rooms cannot be governed."""


class Reconciler:
    def __init__(
        self,
        *,
        bot: Gateway,
        warden: Gateway | None,
        directory: RoomDirectory,
        platform: Platform,
        server_name: str,
        concurrency: int = 4,
    ) -> None:
        self.bot = bot
        self.warden = warden
        self.directory = directory
        self.platform = platform
        self.server_name = server_name
        self._lock = asyncio.Lock()
        self._concurrency = concurrency
        # State events the platform wrote itself: the enforcer does not mistake them for breaches.
        self.own_events: OwnEvents = OwnEvents()

    def gateway_for(self, ref: RoomRef) -> Gateway:
        if governing_account(self.platform, ref) == self.platform.warden_id:
            if self.warden is None:
                raise RoomsUnavailable("experts rooms need the warden account (config: warden)")
            return self.warden
        return self.bot

    async def rebuild_from_markers(self) -> int:
        """Find the platform's rooms in Matrix by their markers; returns how many were new."""
        found = 0
        for gateway in (self.bot, self.warden):
            if gateway is None:
                continue
            for room_id in await gateway.joined_rooms():
                if self.directory.holds_room(room_id):
                    continue
                ref = await self._marker_of(gateway, room_id)
                if ref is None or governing_account(self.platform, ref) != gateway.user_id:
                    continue
                if ref in self.directory:
                    log.warning("two rooms carry the marker %s; keeping the first found", ref.key)
                    continue
                await self.directory.record(ref, room_id)
                found += 1
        if found:
            log.info("found %d governed room(s) by their markers", found)
        return found

    async def _marker_of(self, gateway: Gateway, room_id: str) -> RoomRef | None:
        try:
            state = await gateway.room_state(room_id)
        except MatrixError:
            return None
        own = gateway.user_id
        created_by_us = any(
            e.get("type") == "m.room.create" and e.get("sender") == own for e in state
        )
        for event in state:
            if (
                event.get("type") == MARKER_EVENT_TYPE
                and event.get("state_key") == ""
                and event.get("sender") == own
                and created_by_us
            ):
                return RoomRef.from_marker(event.get("content") or {})
        return None

    # -- reconciling --------------------------------------------------------------------------

    async def reconcile(self, roster: Roster, *, dry_run: bool = False) -> list[Change]:
        """Make every room as the roster wants it (or, dry, list what that would change)."""
        async with self._lock:
            if not self.directory.loaded:
                await self.directory.load()
            wanted = desired_rooms(roster)
            if any(ref not in self.directory for ref in wanted):
                await self.rebuild_from_markers()
            space = RoomRef(RoomKind.SPACE)
            others = [ref for ref in wanted if ref != space]
            # Rooms no longer wanted (a delegation removed) are emptied, never deleted.
            others += [ref for ref in self.directory.known() if ref not in wanted]
            changes = await self._each(roster, others, dry_run)
            changes += await self._each(roster, [space], dry_run)
            return changes

    async def reconcile_room(
        self, roster: Roster, ref: RoomRef, *, dry_run: bool = False
    ) -> list[Change]:
        async with self._lock:
            return await self._one(roster, ref, dry_run)

    async def _each(self, roster: Roster, refs: Iterable[RoomRef], dry_run: bool) -> list[Change]:
        gate = asyncio.Semaphore(self._concurrency)

        async def one(ref: RoomRef) -> list[Change]:
            async with gate:
                try:
                    return await self._one(roster, ref, dry_run)
                except RoomsUnavailable as exc:
                    log.error("%s: %s", ref.key, exc)
                    return []

        results = await asyncio.gather(*(one(ref) for ref in refs))
        return [change for result in results for change in result]

    async def _one(self, roster: Roster, ref: RoomRef, dry_run: bool) -> list[Change]:
        room_id = self.directory.room_id(ref)
        if room_id is None:
            if dry_run:
                return [Change(ref, "create room", ref.key)]
            return await self._create(roster, ref)
        return await self._settle(roster, ref, room_id, dry_run)

    def desired(self, roster: Roster, ref: RoomRef) -> dict[StateKey, dict[str, Any]]:
        children: dict[RoomRef, RoomId] = {}
        if ref.kind is RoomKind.SPACE:
            children = {
                child: RoomId(room_id)
                for child in space_children()
                if (room_id := self.directory.room_id(child)) is not None
            }
        return desired_state(
            roster, self.platform, ref, server_name=self.server_name, children=children
        )

    def creation_body(self, roster: Roster, ref: RoomRef) -> dict[str, Any]:
        """The `createRoom` request that makes the room whole in one call."""
        governor = governing_account(self.platform, ref)
        state = self.desired(roster, ref)
        power_levels = state.pop(("m.room.power_levels", ""))
        name = state.pop(("m.room.name", ""))["name"]
        body: dict[str, Any] = {
            "room_version": ROOM_VERSION,
            "preset": "private_chat",
            "visibility": "private",
            "creation_content": creation_content(ref),
            "power_level_content_override": power_levels,
            # The marker and the members come first (see `desired_state`).
            "initial_state": [
                {"type": etype, "state_key": key, "content": content}
                for (etype, key), content in state.items()
            ],
            "name": name,
            "invite": [u for u in members_of(roster, self.platform, ref) if u != governor],
        }
        if ref.kind is RoomKind.DESK:
            body["is_direct"] = True
        return body

    async def _create(self, roster: Roster, ref: RoomRef) -> list[Change]:
        gateway = self.gateway_for(ref)
        body = self.creation_body(roster, ref)
        invite = list(body["invite"])
        try:
            room_id = await gateway.create_room(body)
        except MatrixError:
            # The room may exist even though the call failed (e.g. an invitation was refused):
            # look for it by its marker before anything else is tried.
            await self.rebuild_from_markers()
            room_id_found = self.directory.room_id(ref)
            if room_id_found is not None:
                return [
                    Change(ref, "create room", ref.key),
                    *await self._settle(roster, ref, room_id_found, False),
                ]
            raise
        await self.directory.record(ref, room_id)
        log.info("created %s (%s)", ref.key, room_id)
        return [Change(ref, "create room", ref.key)] + [
            Change(ref, "invite", user) for user in invite
        ]

    async def _settle(
        self, roster: Roster, ref: RoomRef, room_id: str, dry_run: bool
    ) -> list[Change]:
        gateway = self.gateway_for(ref)
        actual = await gateway.room_state(room_id)
        current: dict[StateKey, Any] = {}
        membership: dict[str, str] = {}
        for event in actual:
            etype, key = event.get("type"), event.get("state_key")
            if not isinstance(etype, str) or not isinstance(key, str):
                continue
            content = event.get("content") or {}
            if etype == "m.room.member":
                membership[key] = str(content.get("membership", "leave"))
            else:
                current[(etype, key)] = content
        changes: list[Change] = []
        desired = self.desired(roster, ref)
        marker = current.get((MARKER_EVENT_TYPE, ""))
        # An empty marker was redacted (R34): the room is still this one, and its marker is
        # written again below like any other setting the rules need.
        if marker and RoomRef.from_marker(marker) != ref:
            log.error("room %s is recorded as %s but its marker says otherwise", room_id, ref.key)
            return []
        writes = [
            (etype, key, content)
            for (etype, key), content in desired.items()
            if current.get((etype, key)) != content
        ]
        writes += [
            (etype, key, {})
            for (etype, key), content in current.items()
            if content
            and (
                etype in _UNWANTED_STATE
                or (etype == "m.space.child" and (etype, key) not in desired)
            )
        ]
        for etype, key, content in writes:
            change = Change(ref, "set state", etype)
            if not dry_run:
                try:
                    self.own_events.add(await gateway.put_state(room_id, etype, key, content))
                except MatrixError as exc:
                    change = _failed(change, exc)
            changes.append(change)
        changes += await self._settle_members(roster, ref, room_id, membership, dry_run)
        return changes

    async def _settle_members(
        self,
        roster: Roster,
        ref: RoomRef,
        room_id: str,
        membership: Mapping[str, str],
        dry_run: bool,
    ) -> list[Change]:
        gateway = self.gateway_for(ref)
        wanted = members_of(roster, self.platform, ref)
        changes: list[Change] = []
        for user, state in membership.items():
            if state in _PRESENT and UserId(user) not in wanted:
                reason = may_join(roster, self.platform, UserId(user), ref).reason
                change = Change(ref, "remove", user, reason)
                if not dry_run:
                    try:
                        await gateway.kick(room_id, user, reason)
                    except MatrixError as exc:
                        change = _failed(change, exc)
                changes.append(change)
        for user in wanted:
            if user == gateway.user_id or membership.get(user) in ("join", "invite"):
                continue
            if membership.get(user) == "ban":
                log.warning("%s is banned from %s; not invited", user, ref.key)
                continue
            change = Change(ref, "invite", user)
            if not dry_run:
                try:
                    await gateway.invite(room_id, user)
                except MatrixError as exc:
                    change = _failed(change, exc)
            changes.append(change)
        return changes


def _failed(change: Change, exc: MatrixError) -> Change:
    log.error("%s: could not %s %s: %s", change.room.key, change.action, change.target, exc.code)
    return dataclasses.replace(change, failed=exc.code)

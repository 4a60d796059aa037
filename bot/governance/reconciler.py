"""Reconcile: the rooms the roster wants (room_policies) made true in Matrix (SPEC §2, layer 1).

The model: `desired_rooms(roster)` names every room by meaning (`RoomRef`); the directory maps
each to its Matrix room id. For each room the reconciler reads what the room holds
(`ActualRoom`), asks the pure plan (`room_policies.room_plan.plan`) what must change, and
applies the corrections: a missing room is created whole in one `createRoom` (marker, members,
power levels, settings, name, topic, invitations); an existing room gets each state event set
or cleared, and each person removed or invited. A dry run is the plan, not applied.

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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.governance.directory import RoomDirectory
from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from commands.policy_reasons import in_languages_line
from room_policies.access_table import governing_account
from room_policies.roles import Platform, RoomId, RoomKind
from room_policies.room_plan import (
    ActualRoom,
    Correction,
    DesiredRoom,
    Fix,
    creation_request,
    desired_room,
    kept_out,
    marker_of,
    plan,
)
from room_policies.room_state import StateKey, space_children
from room_policies.rooms import RoomRef, desired_rooms
from room_policies.roster import Roster

log = logging.getLogger(__name__)


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
        languages: Sequence[str] = ("en",),
    ) -> None:
        self.bot = bot
        self.warden = warden
        self.directory = directory
        self.platform = platform
        self.server_name = server_name
        # The working languages: a removal's reason, which the room's members read, is in each.
        self.languages = tuple(languages)
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
        return marker_of(state, gateway.user_id)

    # -- reconciling --------------------------------------------------------------------------

    async def reconcile(self, roster: Roster, *, dry_run: bool = False) -> list[Correction]:
        """Make every room as the roster wants it (or, dry, the plan: what that would change)."""
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
            corrections = await self._reconcile_rooms(roster, others, dry_run)
            # The space last: it lists the rooms made above as its children.
            corrections += await self._reconcile_rooms(roster, [space], dry_run)
            return corrections

    async def reconcile_room(
        self, roster: Roster, ref: RoomRef, *, dry_run: bool = False
    ) -> list[Correction]:
        async with self._lock:
            return await self._reconcile_room(roster, ref, dry_run)

    async def _reconcile_rooms(
        self, roster: Roster, refs: Iterable[RoomRef], dry_run: bool
    ) -> list[Correction]:
        """Reconcile these rooms side by side (at most `concurrency` at once); a room whose
        governing account is not configured is logged and skipped."""
        gate = asyncio.Semaphore(self._concurrency)

        async def reconcile_one_room(ref: RoomRef) -> list[Correction]:
            async with gate:
                try:
                    return await self._reconcile_room(roster, ref, dry_run)
                except RoomsUnavailable as exc:
                    log.error("%s: %s", ref.key, exc)
                    return []

        results = await asyncio.gather(*(reconcile_one_room(ref) for ref in refs))
        return [correction for result in results for correction in result]

    async def _reconcile_room(
        self, roster: Roster, ref: RoomRef, dry_run: bool
    ) -> list[Correction]:
        """Read the room, plan its corrections, and apply them unless `dry_run`."""
        desired = self.desired_room(roster, ref)
        room_id = self.directory.room_id(ref)
        if room_id is None:
            corrections = plan(desired, None)
        else:
            corrections = await self._plan_existing(desired, room_id)
        if dry_run:
            return corrections
        if room_id is None:
            return await self._create(desired, corrections)
        return await self._apply(ref, room_id, corrections)

    async def _plan_existing(self, desired: DesiredRoom, room_id: str) -> list[Correction]:
        """Read what the room holds and plan its corrections; say what the plan leaves alone."""
        ref = desired.ref
        events = await self.gateway_for(ref).room_state(room_id)
        actual = ActualRoom.from_state_events(events)
        corrections = plan(desired, actual)
        for user in kept_out(desired, actual):
            log.warning("%s is banned from %s; not invited", user, ref.key)
        if any(c.fix is Fix.WRONG_MARKER for c in corrections):
            log.error("room %s is recorded as %s but its marker says otherwise", room_id, ref.key)
        return corrections

    def desired(self, roster: Roster, ref: RoomRef) -> Mapping[StateKey, Mapping[str, Any]]:
        """The state events the room should carry (what the enforcer compares a write with)."""
        return self.desired_room(roster, ref).state

    def desired_room(self, roster: Roster, ref: RoomRef) -> DesiredRoom:
        children: dict[RoomRef, RoomId] = {}
        if ref.kind is RoomKind.SPACE:
            children = {
                child: RoomId(room_id)
                for child in space_children()
                if (room_id := self.directory.room_id(child)) is not None
            }
        return desired_room(
            roster, self.platform, ref, server_name=self.server_name, children=children
        )

    def creation_body(self, roster: Roster, ref: RoomRef) -> dict[str, Any]:
        """The `createRoom` request that makes the room whole in one call."""
        return creation_request(self.desired_room(roster, ref))

    async def _create(
        self, desired: DesiredRoom, corrections: list[Correction]
    ) -> list[Correction]:
        """Make a missing room in one `createRoom`, which also makes the plan's invitations."""
        ref = desired.ref
        gateway = self.gateway_for(ref)
        try:
            room_id = await gateway.create_room(creation_request(desired))
        except MatrixError:
            # The room may exist even though the call failed (e.g. an invitation was refused):
            # look for it by its marker before anything else is tried.
            await self.rebuild_from_markers()
            room_id_found = self.directory.room_id(ref)
            if room_id_found is not None:
                settling = await self._plan_existing(desired, room_id_found)
                return [corrections[0], *await self._apply(ref, room_id_found, settling)]
            raise
        await self.directory.record(ref, room_id)
        log.info("created %s (%s)", ref.key, room_id)
        return corrections

    async def _apply(
        self, ref: RoomRef, room_id: str, corrections: list[Correction]
    ) -> list[Correction]:
        """Make each correction in an existing room, in the plan's order; one the homeserver
        refuses is returned with its error code, and the others are still made."""
        gateway = self.gateway_for(ref)
        applied: list[Correction] = []
        for correction in corrections:
            try:
                if correction.fix in (Fix.SET_STATE, Fix.CLEAR_STATE):
                    self.own_events.add(
                        await gateway.put_state(
                            room_id,
                            correction.target,
                            correction.state_key,
                            dict(correction.content),
                        )
                    )
                elif correction.fix is Fix.REMOVE:
                    reason = (
                        in_languages_line(correction.why, self.languages)
                        if correction.why is not None
                        else correction.reason
                    )
                    await gateway.kick(room_id, correction.target, reason)
                elif correction.fix is Fix.INVITE:
                    await gateway.invite(room_id, correction.target)
            except MatrixError as exc:
                log.error(
                    "%s: could not %s %s: %s",
                    ref.key,
                    correction.fix.value,
                    correction.target,
                    exc.code,
                )
                correction = dataclasses.replace(correction, failed=exc.code)
            applied.append(correction)
        return applied

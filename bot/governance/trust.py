"""Trust in the shell: who sent a message, proven by keys the server cannot forge.

`room_policies.trust` decides (T1–T5); this module feeds it: how the bot's crypto received a
message (`proof_of`), the sender's published keys (`/keys/query`, cached until the homeserver
says their devices changed), and the identity pinned for them in the database. It pins an
identity at first sight, records and reports a change (to the person's desk, the moderation
room and the audit log), and lets a Chair re-trust a changed identity.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nio import Event

from bot.matrix.gateway import Gateway
from bot.runtime.metrics import Metrics
from bot.storage.database import AuditLog, AuditRecord, IdentityRepository, PinnedRecord
from commands import trust as trust_words
from commands.multilingual import Worded
from room_policies.membership import role_in
from room_policies.roles import DelegationCode, Platform, Role, RoomKind, UserId
from room_policies.rooms import RoomRef
from room_policies.roster import Roster
from room_policies.trust import (
    Identity,
    SenderProof,
    Trust,
    TrustVerdict,
    identity_of,
    judge_sender,
    signed_devices,
)

log = logging.getLogger(__name__)

RosterSource = Callable[[], Awaitable[Roster | None]]
ReportTo = Callable[[RoomRef, Worded], Awaitable[None]]

FIRST_SIGHT = "first sight"


@dataclass(frozen=True)
class Retrusted:
    user_id: str
    identity: Identity


class TrustService:
    KEYS_TTL_S = 300.0

    def __init__(
        self,
        *,
        gateway: Gateway,
        identities: IdentityRepository,
        audit: AuditLog,
        roster: RosterSource,
        platform: Platform,
        report_to: ReportTo,
        metrics: Metrics | None = None,
    ) -> None:
        self.gateway = gateway
        self.identities = identities
        self.audit = audit
        self.roster = roster
        self.platform = platform
        self.report_to = report_to
        self.metrics = metrics
        self._keys: dict[str, tuple[float, dict[str, Any]]] = {}
        self._allowed: dict[str, tuple[float, Identity | None, set[str]]] = {}
        self._pinned: dict[str, PinnedRecord | None] = {}

    # -- what the bot's crypto knows of a message -------------------------------------------

    def proof_of(self, room_id: str, event: Event) -> SenderProof:
        """How `event` reached the bot: decrypted from a megolm session that came from which
        device (its Curve25519 key), or in the clear."""
        sender_key = getattr(event, "sender_key", None)
        session_id = getattr(event, "session_id", None)
        olm = self.gateway.client.olm
        if not getattr(event, "decrypted", False) or not sender_key or olm is None:
            return SenderProof(encrypted=False)
        session = olm.inbound_group_store.get(room_id, sender_key, session_id)
        if session is None:
            return SenderProof(encrypted=True, sender_key=sender_key, forwarded=True)
        return SenderProof(
            encrypted=True,
            sender_key=sender_key,
            session_ed25519=session.ed25519,
            forwarded=bool(session.forwarding_chain),
        )

    # -- published keys, cached --------------------------------------------------------------

    def devices_changed(self, user_ids: Iterable[str]) -> None:
        """The homeserver said these users' devices or keys changed: ask again next time."""
        for user_id in user_ids:
            self._keys.pop(user_id, None)

    async def keys(self, user_id: str, *, fresh: bool = False) -> dict[str, Any]:
        if fresh:
            self._keys.pop(user_id, None)
        return (await self.keys_of_many([user_id]))[user_id]

    async def keys_of_many(self, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Each user's published keys (one `/keys/query` for all that are not cached)."""
        now = time.monotonic()
        wanted = list(dict.fromkeys(user_ids))
        missing = [
            u for u in wanted if u not in self._keys or now - self._keys[u][0] >= self.KEYS_TTL_S
        ]
        if missing:
            answer = await self.gateway.keys_of_many(missing)
            for user_id in missing:
                self._keys[user_id] = (now, _keys_for(answer, user_id))
        return {u: self._keys[u][1] for u in wanted}

    # -- whom the bot encrypts to ------------------------------------------------------------

    async def restrict(self, room_id: str) -> None:
        """Before the bot encrypts in a room: share the room key only with the sessions each
        member's pinned identity (or, before any pin, their current one) signed — as Element's
        "exclude insecure devices" does. A session excluded after it held the current key
        makes the bot start a new one, so it cannot read what comes next."""
        client = self.gateway.client
        olm = client.olm
        room = client.rooms.get(room_id)
        if olm is None or room is None or not room.encrypted:
            return
        users = [u for u in room.users if u != self.gateway.user_id]
        keys = await self.keys_of_many(users)
        outbound = olm.outbound_group_sessions.get(room_id)
        shared_with = outbound.users_shared_with if outbound is not None else set()
        # Left out of the current key while unverified: a session verified since needs a new
        # key to read what comes next (a person's new device, signed after it first showed).
        ignored = outbound.users_ignored if outbound is not None else set()
        rotate = False
        for user_id in users:
            allowed = await self._allowed_devices(user_id, keys[user_id])
            for device in olm.device_store.active_user_devices(user_id):
                listed = olm.is_device_blacklisted(device)
                if device.id in allowed and listed:
                    olm.unblacklist_device(device)
                    rotate = rotate or (user_id, device.id) in ignored
                elif device.id not in allowed and not listed:
                    olm.blacklist_device(device)
                    rotate = rotate or (user_id, device.id) in shared_with
        if rotate:
            olm.outbound_group_sessions.pop(room_id, None)
            log.info("the sessions allowed in %s changed: a new room key follows", room_id)

    async def signed_devices_of(self, user_id: str, device_id: str) -> set[str]:
        """The devices of `user_id` their pinned identity (or, before any pin, their current
        one) signed — the ones the bot encrypts to; asked again of the homeserver when
        `device_id` is not among them (a device newer than the cached keys)."""
        allowed = await self._allowed_devices(user_id, await self.keys(user_id))
        if device_id not in allowed:
            allowed = await self._allowed_devices(user_id, await self.keys(user_id, fresh=True))
        return allowed

    async def _allowed_devices(self, user_id: str, keys: dict[str, Any]) -> set[str]:
        stamp = self._keys.get(user_id, (0.0, {}))[0]
        record = await self._record(user_id)
        identity = record.pinned if record is not None else identity_of(user_id, keys)
        cached = self._allowed.get(user_id)
        if cached is not None and cached[0] == stamp and cached[1] == identity:
            return cached[2]
        allowed = signed_devices(user_id, keys, identity) if identity is not None else set()
        self._allowed[user_id] = (stamp, identity, allowed)
        return allowed

    # -- deciding ----------------------------------------------------------------------------

    async def judge(self, sender: str, proof: SenderProof) -> TrustVerdict:
        """May the platform act on what `sender` sent with `proof`? Pins at first sight and
        records (and reports) an identity change."""
        record = await self._record(sender)
        pinned = record.pinned if record is not None else None
        verdict = judge_sender(sender, proof, await self.keys(sender), pinned)
        if verdict.trust in (Trust.UNKNOWN_DEVICE, Trust.UNSIGNED_DEVICE, Trust.IDENTITY_CHANGED):
            # Perhaps our copy of the keys is older than the device: ask once more.
            verdict = judge_sender(sender, proof, await self.keys(sender, fresh=True), pinned)
        if verdict.pin and verdict.current is not None:
            await self._pin(sender, verdict.current)
        if verdict.trust is Trust.IDENTITY_CHANGED:
            await self._changed(sender, verdict.current)
        return verdict

    async def watch(self, user_ids: Iterable[str]) -> None:
        """Check these people's identities now (their devices changed, or the bot starts):
        pin at first sight, report a change at once."""
        roster = await self.roster()
        if roster is None:
            return
        people = [
            u
            for u in dict.fromkeys(user_ids)
            if role_in(roster, self.platform, UserId(u))
            not in (Role.OUTSIDER, Role.BOT, Role.WARDEN)
        ]
        self.devices_changed(people)
        published: dict[str, dict[str, Any]] = {}
        for start in range(0, len(people), 100):  # one /keys/query per hundred people
            try:
                published.update(await self.keys_of_many(people[start : start + 100]))
            except Exception as exc:  # best effort: the next change or command asks again
                log.warning("could not check %d people's identities: %s", len(people), exc)
        for user_id, keys in published.items():
            current = identity_of(user_id, keys)
            record = await self._record(user_id)
            if record is None:
                if current is not None:
                    await self._pin(user_id, current)
            elif current != record.pinned:
                await self._changed(user_id, current)

    async def changed_identities(self) -> list[PinnedRecord]:
        return [r for r in await self.identities.all() if r.changed_at is not None]

    async def retrust(self, chair: str, user_id: str, fingerprint_given: str) -> Retrusted:
        """A Chair re-trusts the changed identity of `user_id` whose fingerprint they confirmed
        with the person (raises `trust_words.RetrustRefused` with the reason otherwise)."""
        record = await self._record(user_id)
        if record is None or record.changed is None:
            raise trust_words.nothing_to_retrust(user_id)
        if user_id == chair:
            raise trust_words.not_yourself()
        keys = await self.keys(user_id, fresh=True)
        current = identity_of(user_id, keys)
        if current is None or current.master != record.changed.master:
            raise trust_words.identity_moved(user_id)
        if not trust_words.fingerprint_matches(current.master, fingerprint_given):
            raise trust_words.fingerprint_mismatch(user_id)
        await self.identities.pin(user_id, current, chair)
        self._pinned.pop(user_id, None)
        await self._audit(chair, "!trust", user_id, "retrusted", "T5", "")
        await self._tell_person(user_id, functools.partial(trust_words.retrusted_person, chair))
        return Retrusted(user_id, current)

    # -- effects -----------------------------------------------------------------------------

    async def _record(self, user_id: str) -> PinnedRecord | None:
        """The pinned identity, from memory after the first read (this service alone writes
        them, and forgets its copy whenever it does)."""
        if user_id not in self._pinned:
            self._pinned[user_id] = await self.identities.get(user_id)
        return self._pinned[user_id]

    async def _pin(self, user_id: str, identity: Identity) -> None:
        await self.identities.pin(user_id, identity, FIRST_SIGHT)
        self._pinned.pop(user_id, None)
        await self._audit(self.gateway.user_id, "identity", user_id, "pinned", "T4", "first sight")
        log.info("pinned the identity of %s at first sight", user_id)

    async def _changed(self, user_id: str, current: Identity | None) -> None:
        recorded = await self.identities.record_change(user_id, current)
        self._pinned.pop(user_id, None)
        if not recorded:
            return
        log.warning("the cross-signing identity of %s changed", user_id)
        if self.metrics is not None:
            self.metrics.identity_changes.inc()
        await self._audit(
            self.gateway.user_id,
            "identity",
            user_id,
            "changed",
            "T5",
            "identity changed; awaiting re-trust",
        )
        moderation = RoomRef(RoomKind.MODERATION)
        await self._safe_report(
            moderation, functools.partial(trust_words.identity_changed_chair, user_id, current)
        )
        await self._tell_person(user_id, trust_words.identity_changed_person)

    async def _tell_person(self, user_id: str, notice: Worded) -> None:
        """In the person's desk (a focal point's), worded in their language: the desk is theirs
        (`report_to` words a desk's notices in its focal point's language)."""
        roster = await self.roster()
        if roster is None:
            return
        code = roster.delegation_of(UserId(user_id))
        delegation = roster.delegation(code) if code else None
        if delegation is not None and delegation.focal_point == user_id:
            desk = RoomRef(RoomKind.DESK, delegation=DelegationCode(delegation.code))
            await self._safe_report(desk, notice)

    async def _safe_report(self, ref: RoomRef, notice: Worded) -> None:
        try:
            await self.report_to(ref, notice)
        except Exception:
            log.exception("could not report to %s", ref.key)

    async def _audit(
        self, actor: str, action: str, target: str, decision: str, rule: str, reason: str
    ) -> None:
        try:
            await self.audit.append(AuditRecord(actor, action, "", target, decision, rule, reason))
        except Exception:
            log.exception("could not audit %s of %s", action, target)


def _keys_for(answer: dict[str, Any], user_id: str) -> dict[str, Any]:
    """One user's part of a `/keys/query` answer, shaped as an answer about them alone."""
    return {
        section: {user_id: answer[section][user_id]}
        for section in ("device_keys", "master_keys", "self_signing_keys")
        if isinstance(answer.get(section), dict) and user_id in answer[section]
    }

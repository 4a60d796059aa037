"""Room-key requests answered (issue #14): a document readable on a device made after it.

nio answers a room-key request only from the bot's own other devices (`OlmMachine.
collect_key_requests` drops everyone else's; `continue_key_share` / `cancel_key_share` only
concern those own devices). So the router hands every `m.room_key_request` of a sync here; the
pure rule `room_policies.key_sharing` (K1–K4) decides from the session the bot holds, the
asker's devices their pinned identity signed (`TrustService.signed_devices_of`) and the roster
now, and an allowed request gets an `m.forwarded_room_key` — the session as the bot first knew
it, from its first message — encrypted over Olm to that one device. Each answer is audited
(who, which device, which room, the decision and its rule; never a key).

Which clients use it: a client asking the sender's devices (the older matrix-js-sdk crypto,
nio with a request addressed to the bot). Element's Rust crypto asks its owner's own devices
only and accepts a forwarded key only from them (matrix-sdk-crypto `should_accept_forward`),
and nio likewise; for them, `!get` sends the document again (`bot/docflow/fetching.py`).
"""

from __future__ import annotations

import logging

from nio import KeysClaimResponse, RoomKeyRequest, ToDeviceResponse
from nio.crypto import OlmDevice
from nio.crypto.sessions import InboundGroupSession

from bot.governance.directory import RoomDirectory
from bot.governance.trust import RosterSource, TrustService
from bot.matrix.gateway import Gateway
from bot.storage.database import AuditLog, AuditRecord
from room_policies.key_sharing import KeyRequest, may_share_room_key
from room_policies.roles import Platform, UserId

log = logging.getLogger(__name__)

ACTION = "room key request"


class KeySharing:
    REMEMBERED = 10_000

    def __init__(
        self,
        *,
        gateway: Gateway,
        trust: TrustService,
        rooms: RoomDirectory,
        roster: RosterSource,
        platform: Platform,
        audit: AuditLog,
    ) -> None:
        self.gateway = gateway
        self.trust = trust
        self.rooms = rooms
        self.roster = roster
        self.platform = platform
        self.audit = audit
        # A client repeats its request (nio sends the same one several times a sync): each
        # (user, device, room, session) is decided once at a time; a refusal is audited once
        # (until the decision changes: a device refused, then verified by its owner); a key is
        # sent again whenever asked again (the device may have dropped the first).
        self._deciding: set[tuple[str, str, str, str]] = set()
        self._decided: dict[tuple[str, str, str, str], str] = {}

    async def answer(self, request: RoomKeyRequest) -> None:
        """Decide, forward if allowed, audit; a failure is logged, never raised."""
        if request.sender == self.gateway.user_id:
            return  # the bot's own devices: nio itself answers them
        seen = (request.sender, request.requesting_device_id, request.room_id, request.session_id)
        if seen in self._deciding:
            return
        self._deciding.add(seen)
        try:
            decision, rule, reason = await self._answer(request)
        except Exception:
            log.exception("could not answer a room-key request of %s", request.sender)
            return
        finally:
            self._deciding.discard(seen)
        said = f"{decision} {rule}"
        if decision != "shared" and self._decided.get(seen) == said:
            return  # the same refusal as before: audited once
        if len(self._decided) >= self.REMEMBERED:
            self._decided.clear()  # memory stays bounded; at worst a refusal is audited twice
        self._decided[seen] = said
        try:
            await self.audit.append(
                AuditRecord(
                    request.sender,
                    ACTION,
                    request.room_id,
                    request.requesting_device_id,
                    decision,
                    rule,
                    reason,
                )
            )
        except Exception:
            log.exception("could not audit a room-key request of %s", request.sender)

    async def _answer(self, request: RoomKeyRequest) -> tuple[str, str, str]:
        user, device_id = request.sender, request.requesting_device_id
        session = self._own_session(request)
        signed = await self.trust.signed_devices_of(user, device_id)
        room = self.rooms.ref_of(request.room_id)
        asked = KeyRequest(UserId(user), device_id, room, own_session=session is not None)
        decision = may_share_room_key(await self.roster(), self.platform, asked, signed)
        if not decision.allowed or session is None:
            return "refused", decision.rule, decision.reason
        if not await self._forward(user, device_id, request.room_id, session):
            return "failed", decision.rule, "no encrypted channel to the device"
        log.info("sent a room key of %s to a device of %s", request.room_id, user)
        return "shared", decision.rule, decision.reason

    def _own_session(self, request: RoomKeyRequest) -> InboundGroupSession | None:
        """K1: the session, if the bot's own device made it and nobody forwarded it."""
        olm = self.gateway.client.olm
        if olm is None or request.algorithm != "m.megolm.v1.aes-sha2":
            return None
        own_key = olm.account.identity_keys["curve25519"]
        if request.sender_key != own_key:
            return None
        session = olm.inbound_group_store.get(request.room_id, own_key, request.session_id)
        if session is None or session.forwarding_chain:
            return None
        return session

    async def _device(self, user: str, device_id: str) -> OlmDevice | None:
        """The device as the bot's crypto knows it, its keys fetched first if it is new."""
        olm = self.gateway.client.olm
        assert olm is not None
        for attempt in range(2):
            if attempt:
                await self.gateway.refresh_keys([user])
            for device in olm.device_store.active_user_devices(user):
                if device.id == device_id:
                    return device
        return None

    async def _forward(
        self, user: str, device_id: str, room_id: str, session: InboundGroupSession
    ) -> bool:
        """Send `session` to the one device over Olm (claiming a one-time key first if the bot
        has no Olm session with it yet)."""
        client = self.gateway.client
        olm = client.olm
        assert olm is not None
        device = await self._device(user, device_id)
        if device is None:
            return False
        channel = olm.session_store.get(device.curve25519)
        if channel is None:
            claimed = await client.keys_claim({user: [device_id]})
            if not isinstance(claimed, KeysClaimResponse):
                return False
            channel = olm.session_store.get(device.curve25519)
            if channel is None:
                return False
        # nio's own forwarding (what it does for the bot's other devices): the session exported
        # from the first index the bot knows, with its creator's keys and an empty chain.
        message = olm._encrypt_forwarding_key(room_id, session, channel, device)
        sent = await client.to_device(message)
        return isinstance(sent, ToDeviceResponse)

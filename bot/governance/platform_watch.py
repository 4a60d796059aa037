"""The platform's own accounts, watched: any device or key the platform did not make is an alarm.

The bot reads the plenary, the folders, the desks and the moderation room; the warden governs
the experts rooms and must never be able to read them (SPEC §2). The operator holds both
accounts' passwords, so the platform checks, at start and every `interval_s` seconds:
- the bot has exactly its one device, whose keys are its own, and the cross-signing identity it
  made (its master key);
- the warden has exactly its one session's device, with no device keys at all (no client ever
  encrypts to it), and the sealed identity the platform uploaded and whose private keys it
  destroyed (no device of the warden can ever look cross-signed without a visible reset).
Anything else is reported at once in the moderation room and in every desk (the focal points
must know that their experts room may be exposed), audited, counted in `/metrics`, and makes
`/healthz` answer 503 with the reason for as long as it lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from bot.runtime.metrics import Metrics
from bot.storage.database import KV_WARDEN_MASTER_KEY, AuditLog, AuditRecord, Database
from commands import platform_alarms
from commands.multilingual import Worded
from commands.platform_alarms import Finding
from room_policies.roles import RoomKind
from room_policies.rooms import RoomRef

log = logging.getLogger(__name__)

ReportTo = Callable[[RoomRef, Worded], Awaitable[None]]
Rooms = Callable[[], dict[RoomRef, str]]


class PlatformWatch:
    def __init__(
        self,
        *,
        bot: Gateway,
        warden: Gateway | None,
        db: Database,
        audit: AuditLog,
        metrics: Metrics,
        report_to: ReportTo,
        rooms: Rooms,
        interval_s: float = 15.0,
    ) -> None:
        self.bot = bot
        self.warden = warden
        self.db = db
        self.audit = audit
        self.metrics = metrics
        self.report_to = report_to
        self.rooms = rooms
        self.interval_s = interval_s
        self.bot_master: str | None = None
        self.warden_master: str | None = None
        # What is wrong now: finding (in English, as audited) → the account it concerns.
        # Reported once each.
        self.alarms: dict[str, str] = {}

    def reasons(self) -> list[str]:
        return sorted(self.alarms)

    async def settle(self, bot_master: str, warden_master: str | None) -> None:
        """Remember the identities the platform made (at start, after cross-signing and sealing).
        The warden's sealed master key is recorded the first time; a later start compares."""
        self.bot_master = bot_master
        if warden_master is None:
            return
        recorded = await self.db.get(KV_WARDEN_MASTER_KEY)
        if recorded is None:
            await self.db.put(KV_WARDEN_MASTER_KEY, warden_master)
            recorded = warden_master
        self.warden_master = recorded

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except MatrixError as exc:
                log.warning("could not check the platform's own keys (%s)", exc.code)
            except Exception:
                log.exception("the platform's key watch failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)

    async def check(self) -> list[str]:
        """One look at both accounts; reports what is new; returns every current finding."""
        findings = [("bot", f) for f in await self._findings_bot()]
        if self.warden is not None:
            findings += [("warden", f) for f in await self._findings_warden(self.warden)]
        found = {finding(str): account for account, finding in findings}
        new = [(a, f) for a, f in findings if f(str) not in self.alarms]
        self.alarms = found
        self.metrics.platform_keys_ok.set(0 if found else 1)
        for account, finding in new:
            await self._raise(finding, account)
        return sorted(found)

    async def _findings_bot(self) -> list[Finding]:
        own = self.bot.device_id
        devices = await _devices(self.bot)
        keys = await self.bot.keys_of(self.bot.user_id)
        out: list[Finding] = [
            functools.partial(platform_alarms.extra_device, "bot", self.bot.user_id, d)
            for d in sorted(devices - {own})
        ]
        keyed = set((keys.get("device_keys") or {}).get(self.bot.user_id) or {})
        out += [
            functools.partial(platform_alarms.extra_keys, "bot", self.bot.user_id, d)
            for d in sorted(keyed - {own} - devices)
        ]
        master = _master(keys, self.bot.user_id)
        if self.bot_master is not None and master != self.bot_master:
            out.append(
                functools.partial(platform_alarms.identity_replaced, "bot", self.bot.user_id)
            )
        return out

    async def _findings_warden(self, warden: Gateway) -> list[Finding]:
        own = warden.device_id
        devices = await _devices(warden)
        # The warden's keys as any other account sees them (the bot asks, like a client would).
        keys = await self.bot.keys_of(warden.user_id)
        out: list[Finding] = [
            functools.partial(platform_alarms.extra_device, "warden", warden.user_id, d)
            for d in sorted(devices - {own})
        ]
        keyed = sorted((keys.get("device_keys") or {}).get(warden.user_id) or {})
        out += [functools.partial(platform_alarms.warden_keys, warden.user_id, d) for d in keyed]
        master = _master(keys, warden.user_id)
        if self.warden_master is not None and master != self.warden_master:
            out.append(
                functools.partial(platform_alarms.identity_replaced, "warden", warden.user_id)
            )
        return out

    async def _raise(self, finding: Finding, account: str) -> None:
        """Audit, count and report a new finding: in English in the log and the audit, worded
        for their readers in the moderation room and the desks."""
        english = finding(str)
        log.error("platform key alarm (%s): %s", account, english)
        self.metrics.platform_key_alarms.labels(account=account).inc()
        try:
            await self.audit.append(
                AuditRecord("platform", "key watch", "", account, "alarm", "T6", english)
            )
        except Exception:
            log.exception("could not audit a key alarm")
        text = functools.partial(platform_alarms.report, finding)
        targets = [ref for ref in self.rooms() if ref.kind in (RoomKind.MODERATION, RoomKind.DESK)]
        for ref in sorted(targets, key=lambda r: r.key):
            try:
                await self.report_to(ref, text)
            except Exception:
                log.exception("could not report a key alarm to %s", ref.key)


async def _devices(gateway: Gateway) -> set[str]:
    status, body = await gateway.request("GET", "/_matrix/client/v3/devices")
    if status != 200:
        raise MatrixError("devices", str(status), str(body.get("errcode", "")))
    return {str(d.get("device_id")) for d in body.get("devices") or [] if isinstance(d, dict)}


def _master(keys: dict[str, Any], user_id: str) -> str | None:
    obj = (keys.get("master_keys") or {}).get(user_id) or {}
    values = list((obj.get("keys") or {}).values())
    return str(values[0]) if len(values) == 1 else None

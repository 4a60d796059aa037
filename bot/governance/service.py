"""Governance in the shell: the current roster, changes to it, reconciling, and the audit log.

It is what the roster commands reach through their `Protocol`s, what the router asks "who is
this, and where?", and where breaches get reported. A roster change is validated like an
imported roster, stored as a new version, then reconciled at once. Accounts and locked display
names are not changed here: the running bot holds neither the registration shared secret nor
an admin's password; `plenaria accounts create` (bot/accounts/) does that on the server.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.governance import roster_service
from bot.governance.directory import RoomDirectory
from bot.governance.languages import Languages
from bot.governance.reconciler import Reconciler
from bot.matrix.errors import NotEncrypted
from bot.matrix.gateway import Gateway
from bot.runtime.metrics import Metrics
from bot.runtime.settings import Settings
from bot.storage.database import (
    AuditLog,
    AuditRecord,
    Database,
    LanguageRepository,
    RosterRepository,
)
from commands import experts
from commands.corrections import REPORT_WITHHELD
from commands.multilingual import Worded, in_languages
from commands.reconcile import Reconciled
from commands.reply import Reply
from commands.roster_deps import RosterChanged, accounts_notice
from commands.table import DIRECT
from room_policies.breaches import report_room
from room_policies.membership import role_in
from room_policies.roles import DelegationCode, Platform, Role, RoomKind, UserId
from room_policies.room_plan import Correction
from room_policies.rooms import RoomRef
from room_policies.roster import Roster, RosterError, display_name_changes, dump_roster

log = logging.getLogger(__name__)

# Who works in the moderation room, where the roster commands of the Chair and the Secretariat
# are answered: a change they make needs no second notice there.
_MODERATORS = frozenset({Role.CHAIR, Role.SECRETARIAT})


@dataclass(frozen=True)
class Context:
    """Who asks, and where (for authorising a command)."""

    role: Role
    place: str
    delegation: str | None


class Governance:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        bot: Gateway,
        reconciler: Reconciler,
        rooms: RoomDirectory,
        platform: Platform,
        metrics: Metrics | None = None,
        languages: Languages | None = None,
    ) -> None:
        self.metrics = metrics
        self.languages = languages or Languages(LanguageRepository(db), settings.language)
        self.settings = settings
        self.db = db
        self.bot = bot
        self.reconciler = reconciler
        self.rooms = rooms
        self.platform = platform
        self.audit = AuditLog(db)
        self._roster: Roster | None = None
        self._version = 0

    async def roster(self) -> Roster | None:
        if self._roster is None:
            imported = await roster_service.current(self.settings, self.db)
            if imported is not None:
                self._roster, self._version = imported.roster, imported.version
        return self._roster

    async def current_roster(self) -> Roster:
        roster = await self.roster()
        if roster is None:
            # The commands that need a roster are only offered where one exists.
            raise LookupError("no roster has been imported yet")
        return roster

    async def change_roster(self, roster: Roster, actor: str, action: str) -> RosterChanged:
        """Validate, store as a new version, reconcile; raises RosterError on refusal.

        Accounts and locked display names are not the running bot's to change (it holds no
        admin access): the answer lists the names the change alters, for the Technical
        Secretariat to set with `plenaria accounts create`, and when the change was not made in
        the moderation room (a focal point's), the moderation room is told as well.
        """
        checked = roster_service.parse(self.settings, dump_roster(roster))
        old = await self.roster()
        version = await RosterRepository(self.db).save(dump_roster(checked), source=actor)
        self._roster, self._version = checked, version
        await self.audit.append(
            AuditRecord(actor, action, "roster", f"version {version}", "accepted", "", "")
        )
        changes = await self.reconciler.reconcile(checked)
        names = display_name_changes(old, checked) if old is not None else {}
        moderates = old is not None and role_in(old, self.platform, UserId(actor)) in _MODERATORS
        changed = RosterChanged(
            version,
            checked,
            changes,
            {str(user): name for user, name in names.items()},
            moderation_told=bool(names) and not moderates,
        )
        if changed.moderation_told:
            await self.report_to(
                RoomRef(RoomKind.MODERATION), functools.partial(accounts_notice, changed, actor)
            )
        return changed

    async def reconcile(self, dry_run: bool) -> Reconciled:
        roster = await self.roster()
        if roster is None:
            return Reconciled(None)
        changes = await self.reconciler.reconcile(roster, dry_run=dry_run)
        if not dry_run and self.metrics is not None:
            self.metrics.provisioning_failed = False  # the rooms are as the roster wants
        return Reconciled(roster, changes)

    async def reconcile_all(self) -> list[Correction]:
        """At start: make every room as the roster wants it."""
        roster = await self.roster()
        if roster is None:
            log.info("no roster yet: no rooms to provision")
            return []
        changes = await self.reconciler.reconcile(roster)
        log.info("reconciled: %d change(s)", len(changes))
        return changes

    async def audit_latest(self, count: int) -> list[AuditRecord]:
        return await self.audit.latest(count)

    async def context(self, sender: str, room_id: str) -> Context:
        roster = await self.roster()
        role = Role.OUTSIDER
        if roster is not None:
            role = role_in(roster, self.platform, UserId(sender))
        ref = self.rooms.ref_of(room_id)
        own = roster.delegation_of(UserId(sender)) if roster is not None else None
        if ref is None:
            return Context(role, DIRECT, own)
        return Context(role, ref.kind.value, ref.delegation or own)

    async def expert_removed(
        self, roster: Roster, code: str, expert: UserId, focal_point: UserId
    ) -> None:
        """The focal point removed an expert from the experts room by hand: the roster follows
        (as `!experts remove` would), so no reconcile brings them back."""
        current = await self.roster()
        if current is None or expert not in (getattr(current.delegation(code), "experts", ())):
            return
        try:
            changed = await self.change_roster(
                current.without_expert(code, expert), focal_point, f"experts remove ({code})"
            )
        except RosterError as exc:
            log.warning("could not take %s off the roster: %s", expert, exc)
            return
        desk = RoomRef(RoomKind.DESK, delegation=DelegationCode(code))
        await self.report_to(
            desk, functools.partial(experts.removed_by_hand, expert, changed.version)
        )

    async def readers(self, ref: RoomRef) -> Sequence[str]:
        """The languages a notice in `ref` is worded in: a desk is its focal point's room (their
        language, `!lang`); any other room, the working group's working languages."""
        if ref.kind is RoomKind.DESK and ref.delegation is not None:
            roster = await self.roster()
            delegation = roster.delegation(ref.delegation) if roster is not None else None
            if delegation is not None:
                return (await self.languages.of(delegation.focal_point),)
        return self.settings.working_languages

    async def worded(self, ref: RoomRef, notice: Worded) -> Reply:
        """`notice` as the readers of `ref` read it (`readers`)."""
        return in_languages(notice, await self.readers(ref))

    async def report_to(self, ref: RoomRef, notice: Worded) -> None:
        room_id = self.rooms.room_id(ref)
        if room_id is not None:
            await self.bot.send_notice(room_id, await self.worded(ref, notice))

    async def report(self, ref: RoomRef, notice: Worded) -> None:
        """Tell the moderation room (or the delegation's desk) what the platform enforced."""
        where = report_room(ref)
        room_id = self.rooms.room_id(where)
        if room_id is None:
            log.warning("no room to report a breach in %s to", ref.key)
            return
        try:
            await self.bot.send_notice(room_id, await self.worded(where, notice))
        except NotEncrypted:
            # SPEC §2: nothing goes out in plaintext; the audit log says what was not reported.
            await self.audit.append(
                AuditRecord(
                    actor=self.platform.bot_id,
                    action="report a breach",
                    room=where.key,
                    target=ref.key,
                    decision="refused",
                    rule="R27",
                    reason=REPORT_WITHHELD,
                )
            )
            raise

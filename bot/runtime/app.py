"""Wiring: `build_app(settings, …)` makes every part and connects them; tests pass their own.

The App's life: migrate the database, log in (or restore the device), cross-sign it, serve
/healthz and /metrics, then sync until asked to stop; on stop, let handlers finish and save the
sync token.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.docflow.compilation import Compiler
from bot.docflow.engine import Engine
from bot.docflow.fetching import DocumentFetcher
from bot.docflow.history import Histories
from bot.docflow.intake import Intake
from bot.docflow.late_joiners import LateJoiners
from bot.docflow.publishing import FolderNames, Publisher
from bot.docflow.round_steps import RoundSteps
from bot.docflow.rounds import Rounds
from bot.docflow.suggestions import Suggestions
from bot.docflow.tools import DocumentTools
from bot.docflow.transfer import FileTransfer
from bot.docflow.uploads import Uploads
from bot.governance import roster_service
from bot.governance.directory import RoomDirectory
from bot.governance.enforcer import Enforcer, StateWatch
from bot.governance.key_sharing import KeySharing
from bot.governance.languages import Languages
from bot.governance.platform_watch import PlatformWatch
from bot.governance.reconciler import Reconciler
from bot.governance.service import Governance
from bot.governance.support import SupportDesk
from bot.governance.trust import TrustService
from bot.governance.welcome import Welcomer
from bot.matrix.direct_rooms import DirectRooms
from bot.matrix.e2ee import UndecryptedQueue, ensure_cross_signed, seal_identity
from bot.matrix.errors import HomeserverUnreachable, MatrixError
from bot.matrix.gateway import Gateway
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.http_server import HttpServer
from bot.runtime.metrics import Metrics
from bot.runtime.settings import Settings
from bot.storage.database import (
    Database,
    IdentityRepository,
    LanguageRepository,
    RoomRepository,
)
from bot.storage.files import FileStore
from bot.storage.paragraph_history import ParagraphHistory
from bot.storage.registry import Registry
from bot.storage.rounds import RoundRepository
from bot.storage.support import SupportRepository
from bot.storage.welcomes import WelcomeRepository
from bot.sync.after_reply import AfterReply
from bot.sync.dispatch import Dispatcher
from bot.sync.router import Router, every
from commands import receipts
from commands.builtin import default_table
from commands.services import Services
from commands.table import CommandTable
from room_policies.roles import FolderKey, Platform, UserId

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    gateway: Gateway
    router: Router
    http: HttpServer
    metrics: Metrics
    governance: Governance
    enforcer: Enforcer
    trust: TrustService
    watch: PlatformWatch
    documents: Publisher  # the demo publishes its base text; tests read the registry
    # The warden governs the experts rooms; it never uploads device keys, so no client ever
    # encrypts to it and the platform never holds an experts room's keys (SPEC §2).
    warden: Gateway | None = None
    welcomer: Welcomer | None = None  # the guide sent the first time a person joins
    round_steps: RoundSteps | None = None  # the rounds' openings, reminders and closes
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    provisioned: asyncio.Event = field(default_factory=asyncio.Event)
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self) -> None:
        await self.db.migrate()
        try:
            imported = await roster_service.ensure_imported(self.settings, self.db)
            if imported is not None:
                log.info("%s", roster_service.summary(imported))
            await self._connect()
            await self.http.start()
            log.info(
                "plenaria is running as %s (device %s); health on http://%s:%d/healthz",
                self.gateway.user_id,
                self.gateway.device_id,
                self.http.host,
                self.http.port,
            )
            self._spawn(self._warm_engine(), "engine warm-up")
            self._spawn(self._provision(), "provision")
            self._spawn(self.watch.run(self.stop_event), "key watch")
            if self.round_steps is not None:
                self._spawn(self.round_steps.run(self._ready_for_rounds), "rounds")
            if self.warden is not None:
                joined = self.welcomer.member_joined if self.welcomer is not None else None
                watch = StateWatch(self.warden, self.db, self.enforcer, joined)
                self._spawn(watch.run(self.stop_event, self.settings.sync.timeout_ms), "warden")
            await self.router.run(self.stop_event)
            await self.router.drain()
            await self.enforcer.drain()
        finally:
            for task in self._background:
                task.cancel()
            await asyncio.gather(*self._background, return_exceptions=True)
            await self.http.stop()
            await self.gateway.close()
            if self.warden is not None:
                await self.warden.close()
            await self.db.close()

    async def _connect(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.gateway.start()
                bot_master = await ensure_cross_signed(self.gateway)
                warden_master = None
                if self.warden is not None:
                    await self.warden.start()
                    warden_master = await seal_identity(self.warden)
                await self.watch.settle(bot_master, warden_master)
                return
            except HomeserverUnreachable:
                if self.stop_event.is_set():
                    raise
                log.warning("homeserver unreachable; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.sync.max_backoff_s)

    def stop(self) -> None:
        self.stop_event.set()

    async def _warm_engine(self) -> None:
        """The parsing children's fork server, started at once where proposals may come (a
        restart during a deadline): where nothing is published yet, the first check starts it."""
        if await self.documents.registry.current(FolderKey.PLAN.value):
            await self.documents.tools.engine.warm_up()

    async def _ready_for_rounds(self) -> None:
        """The rounds post in the rooms: they wait for the rooms and the first sync."""
        await self.provisioned.wait()
        await self.router.synced.wait()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _provision(self) -> None:
        """Reconcile at start (SPEC §2, layer 1), retried while the homeserver is away."""
        delay = 1.0
        while not self.stop_event.is_set():
            try:
                await self.governance.reconcile_all()
                self.metrics.governed_rooms.set(len(self.governance.rooms.known()))
                self.metrics.provisioned.set(1)
                self.metrics.provisioning_failed = False
                self.provisioned.set()
                # First sight of everyone on the roster: pin their identities now rather than
                # at their first command (room_policies.trust T4).
                roster = await self.governance.roster()
                if roster is not None:
                    await self.trust.watch(sorted(roster.participants()))
                return
            except MatrixError as exc:
                self.metrics.provisioning_failures.inc()
                log.warning("provisioning failed (%s); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.sync.max_backoff_s)
            except Exception:
                log.exception("provisioning failed; run !reconcile once the cause is fixed")
                self.metrics.provisioning_failures.inc()
                self.metrics.provisioning_failed = True
                return


def build_app(
    settings: Settings,
    *,
    commands: CommandTable[Services] | None = None,
    clock: Clock | None = None,
) -> App:
    """`clock`: the system's unless a test passes its own (`bot/runtime/clock.py`)."""
    table = commands or default_table()
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    gateway = Gateway(
        settings.homeserver_url,
        settings.bot.user_id,
        settings.bot.secret(),
        settings.data_dir / "matrix" / "bot",
        settings.device_name,
    )
    metrics = Metrics()
    warden = None
    if settings.warden is not None:
        warden = Gateway(
            settings.homeserver_url,
            settings.warden.user_id,
            settings.warden.secret(),
            settings.data_dir / "matrix" / "warden",
            "plenaria warden (no keys)",
            encryption=False,
        )
    platform = Platform(
        UserId(settings.bot.user_id),
        UserId(
            settings.warden.user_id
            if settings.warden
            else f"@plenaria-warden-unconfigured:{settings.server_name}"
        ),
    )
    rooms = RoomDirectory(RoomRepository(db), platform)
    reconciler = Reconciler(
        bot=gateway,
        warden=warden,
        directory=rooms,
        platform=platform,
        server_name=settings.server_name,
        languages=settings.working_languages,
    )
    languages = Languages(LanguageRepository(db), settings.language)
    governance = Governance(
        settings=settings,
        db=db,
        bot=gateway,
        reconciler=reconciler,
        rooms=rooms,
        platform=platform,
        metrics=metrics,
        languages=languages,
    )
    enforcer = Enforcer(
        reconciler=reconciler,
        rooms=rooms,
        roster=governance.roster,
        platform=platform,
        audit=governance.audit,
        report=governance.report,
        server_name=settings.server_name,
        metrics=metrics,
        expert_removed=governance.expert_removed,
    )
    # The document flow (SPEC §3): a service a job, sharing the registry, the file store, the
    # engine's workers and the file transfer.
    tools = DocumentTools(
        Registry(db),
        FileStore(settings.data_dir / "files"),
        FileTransfer(gateway, settings.documents.max_bytes),
        Engine(),
    )
    folders = FolderNames(governance.roster)
    publisher = Publisher(
        gateway=gateway,
        rooms=rooms,
        tools=tools,
        folders=folders,
        classifications=settings.documents.classifications,
        language=settings.language,
        readers=governance.worded,
    )
    rounds = Rounds(
        repository=RoundRepository(db),
        registry=tools.registry,
        clock=clock,
        zone=settings.timezone,
    )
    after_reply = AfterReply()
    intake = Intake(
        rooms=rooms,
        tools=tools,
        folders=folders,
        roster=governance.roster,
        window=rounds,
        after_reply=after_reply,
    )
    paragraph_history = ParagraphHistory(db)
    compiler = Compiler(
        tools=tools, publisher=publisher, roster=governance.roster, history=paragraph_history
    )
    histories = Histories(tools=tools, history=paragraph_history)
    round_steps = RoundSteps(
        rounds=rounds,
        governance=governance,
        registry=tools.registry,
        compiler=compiler,
        transfer=tools.transfer,
        domain=settings.server_name,
        max_backoff_s=settings.sync.max_backoff_s,
        pending=histories.pending,
    )
    rounds.changed = round_steps.wake
    suggestions = Suggestions(gateway=gateway, rooms=rooms, tools=tools, publisher=publisher)
    uploads = Uploads(rooms=rooms, intake=intake, publisher=publisher)
    late_joiners = LateJoiners(
        gateway=gateway, rooms=rooms, registry=tools.registry, readers=governance.worded
    )
    trust = TrustService(
        gateway=gateway,
        identities=IdentityRepository(db),
        audit=governance.audit,
        roster=governance.roster,
        platform=platform,
        report_to=governance.report_to,
        metrics=metrics,
    )
    gateway.before_send = trust.restrict
    watch = PlatformWatch(
        bot=gateway,
        warden=warden,
        db=db,
        audit=governance.audit,
        metrics=metrics,
        report_to=governance.report_to,
        rooms=rooms.known,
        interval_s=settings.security.key_watch_interval_s,
    )
    support = SupportDesk(
        governance=governance,
        tickets=SupportRepository(db),
        languages=languages,
        transfer=tools.transfer,
        trust=trust,
        timezone=settings.timezone,
    )
    welcomer = Welcomer(
        gateway=gateway,
        rooms=rooms,
        roster=governance.roster,
        platform=platform,
        languages=languages,
        welcomes=WelcomeRepository(db),
        catalog=table,
        direct=DirectRooms(gateway, rooms.holds_room),
        keys_changed=trust.devices_changed,
        timezone=settings.timezone,
    )
    services = Services(
        commands=table,
        roster=governance,
        rooms=governance,
        audit_log=governance,
        documents=publisher,
        compilation=compiler,
        receipts=intake,
        suggestions=suggestions,
        proposals=intake,
        distribution=compiler,
        paragraphs=compiler,
        identities=trust,
        languages=languages,
        support=support,
        guide=welcomer,
        histories=histories,
        showing=histories,
        rounds=rounds,
        schedule=rounds,
        fetching=DocumentFetcher(
            gateway=gateway,
            tools=tools,
            folders=folders,
            roster=governance.roster,
            platform=platform,
            keys_changed=trust.devices_changed,
        ),
    )
    dispatcher = Dispatcher(
        gateway=gateway,
        db=db,
        table=table,
        services=services,
        metrics=metrics,
        undecrypted=UndecryptedQueue(gateway, db),
        max_backoff_s=settings.sync.max_backoff_s,
        governance=governance,
        trust=trust,
        languages=languages,
        timezone=settings.timezone,
        uploads=functools.partial(receipts.answer_upload, uploads),
        support_answers=support.relay,
        after_reply=after_reply,
    )
    router = Router(
        gateway=gateway,
        db=db,
        dispatcher=dispatcher,
        trust=trust,
        joined=every(late_joiners.member_joined, welcomer.member_joined),
        support_room=support.support_room,
        key_requests=KeySharing(
            gateway=gateway,
            trust=trust,
            rooms=rooms,
            roster=governance.roster,
            platform=platform,
            audit=governance.audit,
        ).answer,
        enforcer=enforcer,
        metrics=metrics,
        server_name=settings.server_name,
        sync_timeout_ms=settings.sync.timeout_ms,
        max_backoff_s=settings.sync.max_backoff_s,
        timeline_limit=settings.sync.timeline_limit,
    )
    http = HttpServer(
        metrics,
        db,
        settings.http.host,
        settings.http.port,
        settings.sync.stale_after_s,
        alarms=watch.reasons,
    )
    return App(
        settings,
        db,
        gateway,
        router,
        http,
        metrics,
        governance,
        enforcer,
        trust,
        watch,
        publisher,
        warden,
        welcomer,
        round_steps,
    )

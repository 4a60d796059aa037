"""The platform's command table: every command, listed once, by hand, with who may use it where
(SPEC §5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from commands import (
    agree,
    audit,
    check,
    compile_document,
    delegation,
    delegations,
    distribute,
    documents,
    experts,
    focal_point,
    get_document,
    guide,
    help,
    history,
    language,
    ping,
    publish,
    reconcile,
    round,
    schedule,
    show,
    status,
    suggestions,
    support,
    trust,
)
from commands.reply import Reply
from commands.services import NOTHING, Services
from commands.table import (
    COORDINATION,
    DESK,
    DIRECT,
    MODERATION,
    PLENARY,
    SUPPORT,
    A,
    Command,
    CommandTable,
    D,
    Invocation,
    command,
)
from room_policies.roles import Role

_MODERATION = frozenset({MODERATION})
_FOCAL_POINT = frozenset({Role.FOCAL_POINT})
_CHAIR = frozenset({Role.CHAIR})
_ROSTER = frozenset({Role.CHAIR, Role.SECRETARIAT, Role.FOCAL_POINT, Role.EXPERT})
_SECRETARIAT = frozenset({Role.SECRETARIAT})
_SUPPORT = frozenset({SUPPORT})


def _moderation(
    name: str,
    summary: str,
    args: type[A],
    handler: Callable[[D, Invocation, A], Awaitable[Reply]],
    needs: Callable[[Services], D],
) -> Command[Services]:
    """A command of the Chair and the Technical Secretariat, in the moderation room."""
    return command(
        name, summary, args, handler, needs=needs, roles=COORDINATION, places=_MODERATION
    )


def builtin_commands() -> list[Command[Services]]:
    # Each command reaches one capability of the services record (commands/services.py):
    # `needs` picks it, and mypy checks it is the one the handler asks for.
    # help and ping reveal nothing: they are answered for anyone on this homeserver (SPEC §5 says
    # roster members), so the platform can be checked before a roster exists. !ping only in a
    # direct message with the bot, as SPEC §5 says.
    return [
        command("help", help.SUMMARY, help.Args, help.handle, needs=lambda s: s.commands),
        command(
            "ping",
            ping.SUMMARY,
            ping.Args,
            ping.handle,
            needs=lambda s: NOTHING,
            places=frozenset({DIRECT}),
        ),
        _moderation(
            "delegations",
            delegations.SUMMARY,
            delegations.Args,
            delegations.handle,
            lambda s: s.roster,
        ),
        _moderation(
            "delegation", delegation.SUMMARY, delegation.Args, delegation.handle, lambda s: s.roster
        ),
        _moderation(
            "focal-point",
            focal_point.SUMMARY,
            focal_point.Args,
            focal_point.handle,
            lambda s: s.roster,
        ),
        _moderation(
            "reconcile", reconcile.SUMMARY, reconcile.Args, reconcile.handle, lambda s: s.rooms
        ),
        _moderation("audit", audit.SUMMARY, audit.Args, audit.handle, lambda s: s.audit_log),
        _moderation(
            "publish", publish.SUMMARY, publish.Args, publish.handle, lambda s: s.documents
        ),
        command(
            "documents",
            documents.SUMMARY,
            documents.Args,
            documents.handle,
            needs=lambda s: s.documents,
            access=((MODERATION, COORDINATION), (PLENARY, _FOCAL_POINT)),
        ),
        _moderation(
            "compile",
            compile_document.SUMMARY,
            compile_document.Args,
            compile_document.handle,
            lambda s: s.compilation,
        ),
        _moderation(
            "agree", agree.AGREE_SUMMARY, agree.AgreeArgs, agree.agree, lambda s: s.paragraphs
        ),
        _moderation(
            "approve",
            agree.APPROVE_SUMMARY,
            agree.ApproveArgs,
            agree.approve,
            lambda s: s.paragraphs,
        ),
        command(
            "suggest",
            suggestions.SUGGEST_SUMMARY,
            suggestions.SuggestArgs,
            suggestions.suggest,
            needs=lambda s: s.suggestions,
            roles=_FOCAL_POINT,
            places=frozenset({PLENARY, DESK}),
        ),
        _moderation(
            "references",
            suggestions.REFERENCES_SUMMARY,
            suggestions.ReferencesArgs,
            suggestions.references,
            lambda s: s.suggestions,
        ),
        _moderation(
            "accept",
            suggestions.ACCEPT_SUMMARY,
            suggestions.AcceptArgs,
            suggestions.accept,
            lambda s: s.suggestions,
        ),
        _moderation(
            "decline",
            suggestions.DECLINE_SUMMARY,
            suggestions.DeclineArgs,
            suggestions.decline,
            lambda s: s.suggestions,
        ),
        command(
            "check",
            check.SUMMARY,
            check.Args,
            check.handle,
            needs=lambda s: s.proposals,
            roles=_FOCAL_POINT,
            places=frozenset({DESK}),
        ),
        _moderation(
            "distribute",
            distribute.SUMMARY,
            distribute.Args,
            distribute.handle,
            lambda s: s.distribution,
        ),
        command(
            "status",
            status.SUMMARY,
            status.Args,
            status.handle,
            needs=lambda s: s.receipts,
            roles=_FOCAL_POINT,
            places=frozenset({PLENARY, DESK}),
        ),
        command(
            "experts",
            experts.SUMMARY,
            experts.Args,
            experts.handle,
            needs=lambda s: s.roster,
            roles=_FOCAL_POINT,
            places=frozenset({DESK}),
        ),
        # Re-trust is the Chair's alone: the Technical Secretariat runs the homeserver, and the
        # operator alone must never be able to complete it (room_policies.trust T5).
        command(
            "trust",
            trust.SUMMARY,
            trust.Args,
            trust.handle,
            needs=lambda s: s.identities,
            roles=_CHAIR,
            places=_MODERATION,
        ),
        # Issue #12: the rounds of the virtual discussion (SPEC §5: `round` in the moderation
        # room); the schedule for anyone on the roster in a direct message, a focal point in the
        # desk.
        _moderation("round", round.SUMMARY, round.Args, round.handle, lambda s: s.rounds),
        command(
            "schedule",
            schedule.SUMMARY,
            schedule.Args,
            schedule.handle,
            needs=lambda s: s.schedule,
            access=((DESK, _FOCAL_POINT), (DIRECT, _ROSTER)),
        ),
        # SPEC §5: anyone on the roster in a direct message with the bot, a focal point in the
        # desk too.
        command(
            "lang",
            language.SUMMARY,
            language.Args,
            language.handle,
            needs=lambda s: s.languages,
            access=((DESK, _FOCAL_POINT), (DIRECT, _ROSTER)),
        ),
        # Issue #11 (seed V): anyone on the roster asks the Technical Secretariat in a direct
        # room with the bot; the Secretariat answers in the Support room (R42).
        command(
            "support",
            support.SUPPORT_SUMMARY,
            support.SupportArgs,
            support.support,
            needs=lambda s: s.support,
            roles=_ROSTER,
            places=frozenset({DIRECT}),
        ),
        command(
            "tickets",
            support.TICKETS_SUMMARY,
            support.TicketsArgs,
            support.tickets,
            needs=lambda s: s.support,
            roles=_SECRETARIAT,
            places=_SUPPORT,
        ),
        command(
            "close",
            support.CLOSE_SUMMARY,
            support.CloseArgs,
            support.close,
            needs=lambda s: s.support,
            roles=_SECRETARIAT,
            places=_SUPPORT,
        ),
        # The welcome, sent again (issue #11). SPEC §5: anyone on the roster in a direct message
        # with the bot, a focal point in the desk too (where their welcome came).
        command(
            "guide",
            guide.SUMMARY,
            guide.Args,
            guide.handle,
            needs=lambda s: s.guide,
            access=((DESK, _FOCAL_POINT), (DIRECT, _ROSTER)),
        ),
        # Issue #12: a paragraph's story where its document is discussed (SPEC §5: like
        # `documents`, `status`), and what the next formal meeting must approve (the Chair's).
        command(
            "history",
            history.HISTORY_SUMMARY,
            history.HistoryArgs,
            history.history,
            needs=lambda s: s.histories,
            access=(
                (MODERATION, COORDINATION),
                (PLENARY, _FOCAL_POINT),
                (DESK, _FOCAL_POINT),
            ),
        ),
        # Issue #14: a delegation's standing proposal read in the chat, where the documents are
        # discussed (as `history`).
        command(
            "show",
            show.SUMMARY,
            show.Args,
            show.handle,
            needs=lambda s: s.showing,
            access=(
                (MODERATION, COORDINATION),
                (PLENARY, _FOCAL_POINT),
                (DESK, _FOCAL_POINT),
            ),
        ),
        _moderation(
            "pending",
            history.PENDING_SUMMARY,
            history.PendingArgs,
            history.pending,
            lambda s: s.histories,
        ),
        # Issue #14: a document sent again, readable on a session made after it was posted: in
        # the desk (its focal point), a direct message (anyone on the roster; only the folders
        # their role reads), the moderation room (the Chair, the Secretariat).
        command(
            "get",
            get_document.SUMMARY,
            get_document.Args,
            get_document.handle,
            needs=lambda s: s.fetching,
            access=((DESK, _FOCAL_POINT), (DIRECT, _ROSTER), (MODERATION, COORDINATION)),
        ),
    ]


# `!help` asked in another language is answered in it (command names stay as they are).
ALIASES = {"ayuda": ("help", "es"), "aide": ("help", "fr"), "ajuda": ("help", "pt")}


def default_table() -> CommandTable[Services]:
    return CommandTable(builtin_commands(), ALIASES)

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
    help,
    ping,
    publish,
    reconcile,
    status,
    suggestions,
    trust,
)
from commands.reply import Reply
from commands.roster_deps import RosterDeps
from commands.services import NOTHING, Nothing, Services
from commands.table import (
    COORDINATION,
    DESK,
    DIRECT,
    MODERATION,
    PLENARY,
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


# Which capability of the services record each handler reaches (commands/services.py).
def _catalog(s: Services) -> help.Deps:
    return s.commands


def _nothing(s: Services) -> Nothing:
    return NOTHING


def _roster(s: Services) -> RosterDeps:
    return s.roster


def _rooms(s: Services) -> reconcile.Deps:
    return s.rooms


def _audit_log(s: Services) -> audit.Deps:
    return s.audit_log


def _documents(s: Services) -> publish.Deps:
    return s.documents


def _compilation(s: Services) -> compile_document.Deps:
    return s.compilation


def _receipts(s: Services) -> status.Deps:
    return s.receipts


def _suggestions(s: Services) -> suggestions.Deps:
    return s.suggestions


def _proposals(s: Services) -> check.Deps:
    return s.proposals


def _distribution(s: Services) -> distribute.Deps:
    return s.distribution


def _paragraphs(s: Services) -> agree.Deps:
    return s.paragraphs


def _identities(s: Services) -> trust.Deps:
    return s.identities


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
    # help and ping reveal nothing: they are answered for anyone on this homeserver (SPEC §5 says
    # roster members), so the platform can be checked before a roster exists. !ping only in a
    # direct message with the bot, as SPEC §5 says.
    return [
        command("help", help.SUMMARY, help.Args, help.handle, needs=_catalog),
        command(
            "ping", ping.SUMMARY, ping.Args, ping.handle, needs=_nothing, places=frozenset({DIRECT})
        ),
        _moderation(
            "delegations", delegations.SUMMARY, delegations.Args, delegations.handle, _roster
        ),
        _moderation("delegation", delegation.SUMMARY, delegation.Args, delegation.handle, _roster),
        _moderation(
            "focal-point", focal_point.SUMMARY, focal_point.Args, focal_point.handle, _roster
        ),
        _moderation("reconcile", reconcile.SUMMARY, reconcile.Args, reconcile.handle, _rooms),
        _moderation("audit", audit.SUMMARY, audit.Args, audit.handle, _audit_log),
        _moderation("publish", publish.SUMMARY, publish.Args, publish.handle, _documents),
        command(
            "documents",
            documents.SUMMARY,
            documents.Args,
            documents.handle,
            needs=_documents,
            access=((MODERATION, COORDINATION), (PLENARY, _FOCAL_POINT)),
        ),
        _moderation(
            "compile",
            compile_document.SUMMARY,
            compile_document.Args,
            compile_document.handle,
            _compilation,
        ),
        _moderation("agree", agree.AGREE_SUMMARY, agree.AgreeArgs, agree.agree, _paragraphs),
        _moderation(
            "approve", agree.APPROVE_SUMMARY, agree.ApproveArgs, agree.approve, _paragraphs
        ),
        command(
            "suggest",
            suggestions.SUGGEST_SUMMARY,
            suggestions.SuggestArgs,
            suggestions.suggest,
            needs=_suggestions,
            roles=_FOCAL_POINT,
            places=frozenset({PLENARY, DESK}),
        ),
        _moderation(
            "references",
            suggestions.REFERENCES_SUMMARY,
            suggestions.ReferencesArgs,
            suggestions.references,
            _suggestions,
        ),
        _moderation(
            "accept",
            suggestions.ACCEPT_SUMMARY,
            suggestions.AcceptArgs,
            suggestions.accept,
            _suggestions,
        ),
        _moderation(
            "decline",
            suggestions.DECLINE_SUMMARY,
            suggestions.DeclineArgs,
            suggestions.decline,
            _suggestions,
        ),
        command(
            "check",
            check.SUMMARY,
            check.Args,
            check.handle,
            needs=_proposals,
            roles=_FOCAL_POINT,
            places=frozenset({DESK}),
        ),
        _moderation(
            "distribute", distribute.SUMMARY, distribute.Args, distribute.handle, _distribution
        ),
        command(
            "status",
            status.SUMMARY,
            status.Args,
            status.handle,
            needs=_receipts,
            roles=_FOCAL_POINT,
            places=frozenset({PLENARY, DESK}),
        ),
        command(
            "experts",
            experts.SUMMARY,
            experts.Args,
            experts.handle,
            needs=_roster,
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
            needs=_identities,
            roles=_CHAIR,
            places=_MODERATION,
        ),
    ]


def default_table() -> CommandTable[Services]:
    return CommandTable(builtin_commands())

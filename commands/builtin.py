"""The platform's command table: every command, listed once, by hand, with who may use it where
(SPEC §5)."""

from __future__ import annotations

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
from commands.table import (
    COORDINATION,
    DESK,
    DIRECT,
    MODERATION,
    PLENARY,
    Command,
    CommandTable,
)
from room_policies.roles import Role

_MODERATION = frozenset({MODERATION})
_FOCAL_POINT = frozenset({Role.FOCAL_POINT})


def builtin_commands() -> list[Command]:
    # help and ping reveal nothing: they are answered for anyone on this homeserver (SPEC §5 says
    # roster members), so the platform can be checked before a roster exists. !ping only in a
    # direct message with the bot, as SPEC §5 says.
    return [
        Command("help", help.SUMMARY, help.Args, help.handle),
        Command("ping", ping.SUMMARY, ping.Args, ping.handle, places=frozenset({DIRECT})),
        Command(
            "delegations",
            delegations.SUMMARY,
            delegations.Args,
            delegations.handle,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "delegation",
            delegation.SUMMARY,
            delegation.Args,
            delegation.handle,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "focal-point",
            focal_point.SUMMARY,
            focal_point.Args,
            focal_point.handle,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "reconcile",
            reconcile.SUMMARY,
            reconcile.Args,
            reconcile.handle,
            COORDINATION,
            _MODERATION,
        ),
        Command("audit", audit.SUMMARY, audit.Args, audit.handle, COORDINATION, _MODERATION),
        Command(
            "publish", publish.SUMMARY, publish.Args, publish.handle, COORDINATION, _MODERATION
        ),
        Command(
            "documents",
            documents.SUMMARY,
            documents.Args,
            documents.handle,
            access=((MODERATION, COORDINATION), (PLENARY, _FOCAL_POINT)),
        ),
        Command(
            "compile",
            compile_document.SUMMARY,
            compile_document.Args,
            compile_document.handle,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "agree", agree.AGREE_SUMMARY, agree.AgreeArgs, agree.agree, COORDINATION, _MODERATION
        ),
        Command(
            "approve",
            agree.APPROVE_SUMMARY,
            agree.ApproveArgs,
            agree.approve,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "suggest",
            suggestions.SUGGEST_SUMMARY,
            suggestions.SuggestArgs,
            suggestions.suggest,
            _FOCAL_POINT,
            frozenset({PLENARY, DESK}),
        ),
        Command(
            "references",
            suggestions.REFERENCES_SUMMARY,
            suggestions.ReferencesArgs,
            suggestions.references,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "accept",
            suggestions.ACCEPT_SUMMARY,
            suggestions.AcceptArgs,
            suggestions.accept,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "decline",
            suggestions.DECLINE_SUMMARY,
            suggestions.DeclineArgs,
            suggestions.decline,
            COORDINATION,
            _MODERATION,
        ),
        Command("check", check.SUMMARY, check.Args, check.handle, _FOCAL_POINT, frozenset({DESK})),
        Command(
            "distribute",
            distribute.SUMMARY,
            distribute.Args,
            distribute.handle,
            COORDINATION,
            _MODERATION,
        ),
        Command(
            "status",
            status.SUMMARY,
            status.Args,
            status.handle,
            _FOCAL_POINT,
            frozenset({PLENARY, DESK}),
        ),
        Command(
            "experts",
            experts.SUMMARY,
            experts.Args,
            experts.handle,
            _FOCAL_POINT,
            frozenset({DESK}),
        ),
        # Re-trust is the Chair's alone: the Technical Secretariat runs the homeserver, and the
        # operator alone must never be able to complete it (room_policies.trust T5).
        Command(
            "trust", trust.SUMMARY, trust.Args, trust.handle, frozenset({Role.CHAIR}), _MODERATION
        ),
    ]


def default_table() -> CommandTable:
    return CommandTable(builtin_commands())

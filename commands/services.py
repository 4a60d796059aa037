"""What the shell hands to the commands: one record of narrow capabilities.

Each command's handler asks for one `Protocol` (its `Deps`); the table (`commands/builtin.py`)
says which field of this record provides it, and `bot/runtime/app.py:build_app` fills the record
with the shell's services. mypy checks both ends: a handler gets exactly the capability it asks
for, and each service really provides the capability it is given as.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands import (
    agree,
    audit,
    check,
    compile_document,
    distribute,
    get_document,
    guide,
    history,
    language,
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
from commands.roster_deps import RosterDeps
from commands.table import Catalog


@dataclass(frozen=True)
class Services:
    commands: Catalog  # !help
    roster: RosterDeps  # !delegations, !delegation, !focal-point, !experts
    rooms: reconcile.Deps  # !reconcile
    audit_log: audit.Deps  # !audit
    documents: publish.Deps  # !publish, !documents
    compilation: compile_document.Deps  # !compile
    receipts: status.Deps  # !status
    suggestions: suggestions.Deps  # !suggest, !references, !accept, !decline
    proposals: check.Deps  # !check
    distribution: distribute.Deps  # !distribute
    paragraphs: agree.Deps  # !agree, !approve
    identities: trust.Deps  # !trust
    languages: language.Deps  # !lang
    support: support.Deps  # !support, !tickets, !close
    guide: guide.Deps  # !guide
    histories: history.Deps  # !history, !pending
    showing: show.Deps  # !show
    rounds: round.Deps  # !round
    schedule: schedule.Deps  # !schedule
    fetching: get_document.Deps  # !get


class Nothing:
    """The capability of a command that needs none (`!ping`)."""


NOTHING = Nothing()

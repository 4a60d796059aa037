"""What the roster commands need from the shell: the current roster, and a way to change it.

A change is validated like an imported roster (`RosterError` with every reason), stored as a
new roster version and reconciled at once; the answer lists what the platform changed, and the
display names the change alters. Those the bot cannot set: accounts and locked display names
are made by the Technical Secretariat with `plenaria accounts create`, on the server, the only
place that holds the registration shared secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from commands.corrections import describe_correction
from commands.i18n import N_, Translate
from commands.reply import Reply
from commands.roster_reasons import refusal_lines
from room_policies.room_plan import Correction
from room_policies.roster import Roster, RosterError

__all__ = [
    "RosterChanged",
    "RosterDeps",
    "RosterError",
    "accounts_notice",
    "changed_lines",
    "refusal_lines",
]

# What the Secretariat does after a roster change (README "Run it"; `plenaria accounts create`).
ACCOUNTS_STEP = N_(
    "The bot does not create accounts or set display names: the Technical Secretariat runs "
    "`plenaria accounts create` on the server, which creates any missing account and sets the "
    "names above."
)
ACCOUNTS_STEP_TOLD = N_(
    "The bot does not create accounts or set display names: the Technical Secretariat, told in "
    "the moderation room, runs `plenaria accounts create` on the server, which creates any "
    "missing account and sets the names above."
)


@dataclass(frozen=True)
class RosterChanged:
    version: int
    roster: Roster  # the roster as changed: it names the rooms the corrections were made in
    corrections: Sequence[Correction] = ()
    # user id → the locked display name the change gives them (newcomers, new seats, leavers).
    display_names: Mapping[str, str] = field(default_factory=dict)
    # Whether the moderation room was told of those names (a change made from a desk).
    moderation_told: bool = False


class RosterDeps(Protocol):
    async def current_roster(self) -> Roster: ...

    async def change_roster(self, roster: Roster, actor: str, action: str) -> RosterChanged: ...


def _name_lines(display_names: Mapping[str, str], _: Translate = str) -> list[str]:
    return [
        _("display name of {user} to become “{name}”").format(user=user, name=name)
        for user, name in display_names.items()
    ]


def changed_lines(changed: RosterChanged, _: Translate = str) -> list[str]:
    lines = [describe_correction(c, changed.roster, _) for c in changed.corrections] or [
        _("nothing needed changing in the rooms")
    ]
    if changed.display_names:
        lines += _name_lines(changed.display_names, _)
        lines.append(_(ACCOUNTS_STEP_TOLD if changed.moderation_told else ACCOUNTS_STEP))
    return lines


def accounts_notice(changed: RosterChanged, actor: str, _: Translate = str) -> Reply:
    """For the moderation room, when someone else (a focal point) changed the roster."""
    return Reply.titled(
        _(
            "{actor} changed the roster (version {version}): accounts and display names to update."
        ).format(actor=actor, version=changed.version),
        [*_name_lines(changed.display_names, _), _(ACCOUNTS_STEP)],
    )

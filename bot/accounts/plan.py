"""Which accounts the platform wants, and what to do to the homeserver to get them (pure).

The wanted accounts are the platform's (bot, warden) and the roster's people, each with the
display name the platform sets and locks (`Roster.display_name`); people who were on an earlier
roster and left it keep their account under their name without a seat. `plan_accounts` compares
them with the accounts the homeserver holds (`Existing`) and says what to create, rename, leave
alone, or refuse (a deactivated account). No I/O here: bot/accounts/service.py surveys the
homeserver and applies the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.accounts.errors import AccountError
from bot.runtime.settings import Settings
from room_policies.roster import Roster, former_names

ADMIN_LOCALPART = "plenaria-admin"
BOT_DISPLAY_NAME = "plenaria"
WARDEN_DISPLAY_NAME = "plenaria warden"


@dataclass(frozen=True)
class Existing:
    """An account as the homeserver holds it."""

    displayname: str | None
    deactivated: bool = False


@dataclass(frozen=True)
class Plan:
    """What `AccountService.apply` does: users mapped to the display name they get."""

    create: dict[str, str] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    unchanged: tuple[str, ...] = ()
    deactivated: tuple[str, ...] = ()


def plan_accounts(
    wanted: Mapping[str, str],
    existing: Mapping[str, Existing | None],
    former: Mapping[str, str] | None = None,
) -> Plan:
    """Create the missing accounts, rename those whose name differs, leave deactivated ones.

    `former` are people who left the roster, user → their name without a seat: an account of
    theirs that still exists is renamed; none is ever created for them.
    """
    create: dict[str, str] = {}
    rename: dict[str, str] = {}
    unchanged: list[str] = []
    deactivated: list[str] = []
    for user, name in wanted.items():
        account = existing.get(user)
        if account is None:
            create[user] = name
        elif account.deactivated:
            deactivated.append(user)
        elif account.displayname != name:
            rename[user] = name
        else:
            unchanged.append(user)
    for user, name in (former or {}).items():
        account = existing.get(user)
        if user in wanted or account is None or account.deactivated:
            continue
        if account.displayname != name:
            rename[user] = name
        else:
            unchanged.append(user)
    return Plan(create, rename, tuple(unchanged), tuple(deactivated))


def admin_user_id(server_name: str) -> str:
    return f"@{ADMIN_LOCALPART}:{server_name}"


def platform_accounts(settings: Settings) -> dict[str, str]:
    """The platform's own accounts (bot, warden) and the display names they carry."""
    wanted = {settings.bot.user_id: BOT_DISPLAY_NAME}
    if settings.warden is not None:
        wanted[settings.warden.user_id] = WARDEN_DISPLAY_NAME
    return wanted


def former_accounts(
    settings: Settings, history: Iterable[Roster], roster: Roster
) -> dict[str, str]:
    """People on an earlier roster but not on `roster`, user id → their name without a seat.

    A roster change in the chat takes someone's seat away; their locked display name must then
    stop claiming it, and `plenaria accounts create` is what sets it (the running bot cannot).
    """
    platform = platform_accounts(settings)
    admin = admin_user_id(settings.server_name)
    return {
        user: name
        for user, name in former_names(history, roster).items()
        if user not in platform and user != admin
    }


def wanted_accounts(settings: Settings, roster: Roster) -> dict[str, str]:
    """Every account the platform needs, user id → display name: its own, then the roster's."""
    admin = admin_user_id(settings.server_name)
    if admin in roster.participants():
        raise AccountError(
            f"{admin} is the platform's admin account and cannot also be a participant"
        )
    wanted = platform_accounts(settings)
    for user in roster.participants():
        wanted[user] = roster.display_name(user)
    return wanted


def user_id_argument(text: str, server_name: str) -> str:
    """A user named on the command line: `@ag.fp:example.org`, `ag.fp:example.org` or `ag.fp`."""
    text = text.strip()
    if text.startswith("@"):
        return text
    return f"@{text}" if ":" in text else f"@{text}:{server_name}"

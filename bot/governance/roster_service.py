"""The roster in the shell: read `roster.yaml`, check it against this platform, keep its history.

The rules live in `room_policies.roster`; this module adds the platform's facts (server name,
bot and warden accounts) and the database. A refused roster changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.runtime.settings import Settings
from bot.storage.database import Database, RosterRepository
from room_policies.roster import Roster, RosterError, dump_roster, load_roster

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Imported:
    version: int
    roster: Roster


def parse(settings: Settings, text: str) -> Roster:
    return load_roster(
        text,
        settings.server_name,
        bot_id=settings.bot.user_id,
        warden_id=settings.warden.user_id if settings.warden else None,
    )


def read_file(settings: Settings, path: Path) -> Roster:
    """A roster file, checked against this platform (RosterError with every reason)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RosterError([f"roster file {path} does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError([f"cannot read roster file {path}: {exc}"]) from None
    return parse(settings, text)


async def import_file(settings: Settings, db: Database, path: Path) -> Imported:
    roster = read_file(settings, path)
    version = await RosterRepository(db).save(dump_roster(roster), source=str(path))
    return Imported(version, roster)


async def current(settings: Settings, db: Database) -> Imported | None:
    stored = await RosterRepository(db).current()
    if stored is None:
        return None
    return Imported(stored.version, parse(settings, stored.document))


async def history(settings: Settings, db: Database) -> list[Roster]:
    """Every stored roster, oldest first; a version this platform no longer accepts (e.g. its
    bot account changed since) is left out."""
    rosters = []
    for stored in await RosterRepository(db).history():
        try:
            rosters.append(parse(settings, stored.document))
        except RosterError:
            log.warning("roster version %d no longer checks; left out", stored.version)
    return rosters


async def ensure_imported(settings: Settings, db: Database) -> Imported | None:
    """At start: the stored roster, or the configured file imported when none is stored yet."""
    existing = await current(settings, db)
    if existing is not None or settings.roster is None:
        return existing
    return await import_file(settings, db, settings.roster)


def summary(imported: Imported) -> str:
    roster = imported.roster
    experts = sum(len(d.experts) for d in roster.delegations)
    return (
        f"roster version {imported.version}: {len(roster.delegations)} delegations, "
        f"{experts} experts, {len(roster.chairs)} chair(s), "
        f"{len(roster.secretariat)} secretariat member(s)"
    )

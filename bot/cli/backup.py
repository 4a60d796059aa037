"""`plenaria backup` and `plenaria restore`: the platform's state in one encrypted archive.

Backup runs beside the running bot (online): the database first, in one snapshot
(`bot/storage/snapshot.py`), then the data folder, the E2EE stores last, so that they hold every
key the bot had received by the time the database was read (`bot/storage/archive.py`). Restore
fills an empty data folder and an empty database (either engine, whichever made the backup) and
refuses anything else. The passphrase comes from `--passphrase-file` or is asked on the
terminal; it is never an argument or an environment variable. Exit codes: 0 done, 1 refused
(one line on standard error).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from bot.cli.exit_codes import EXIT_OK, EXIT_REFUSED
from bot.runtime.settings import Settings, load_settings, shown_database_url

MIN_PASSPHRASE = 12


def _refuse(message: str) -> int:
    print(f"plenaria: {message}", file=sys.stderr)
    return EXIT_REFUSED


def _passphrase(file: Path | None, *, confirm: bool) -> str | None:
    """The passphrase, from its file (one line; the newline at its end is not part of it) or
    asked on the terminal; None after saying why there is none."""
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            _refuse(f"cannot read the passphrase file {file}: {exc.strerror}")
            return None
        except UnicodeDecodeError:
            _refuse(f"the passphrase file {file} is not UTF-8 text")
            return None
    elif sys.stdin.isatty():
        text = getpass.getpass("Passphrase: ")
        if confirm and getpass.getpass("Passphrase again: ") != text:
            _refuse("the two passphrases differ")
            return None
    else:
        _refuse("no passphrase: give --passphrase-file, or run on a terminal to be asked")
        return None
    if confirm and len(text) < MIN_PASSPHRASE:
        _refuse(f"the passphrase must be at least {MIN_PASSPHRASE} characters long")
        return None
    if not text:
        _refuse("the passphrase is empty")
        return None
    return text


def run_backup_or_restore(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.storage.archive import ArchiveError
    from bot.storage.snapshot import SnapshotError

    settings = load_settings(args.config)
    try:
        if args.verb == "backup":
            return _backup(settings, args.output, args.passphrase_file)
        return _restore(settings, args.file, args.passphrase_file)
    except (ArchiveError, SnapshotError) as exc:
        return _refuse(str(exc))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        where = shown_database_url(settings.database_url)
        return _refuse(
            f"the database {where} failed: {reason[0] if reason else type(exc).__name__}"
        )


def _backup(settings: Settings, output: Path, passphrase_file: Path | None) -> int:
    from bot.storage import archive, snapshot

    if output.exists():
        return _refuse(f"{output} already exists; name a new file (backups are never overwritten)")
    if not output.parent.is_dir():
        return _refuse(f"the folder {output.parent} does not exist")
    if not settings.data_dir.is_dir():
        return _refuse(f"the data folder {settings.data_dir} does not exist")
    passphrase = _passphrase(passphrase_file, confirm=True)
    if passphrase is None:
        return EXIT_REFUSED
    # The database first, the E2EE stores after it: see the module's docstring.
    database = asyncio.run(snapshot.dump(settings.database_url))
    data = archive.collect(settings.data_dir, snapshot.sqlite_file(settings.database_url))
    blob = archive.seal(archive.build(database, data), passphrase)
    archive.write_archive(output, blob)
    device = archive.Contents({}, database, data).device() or "none yet"
    print(
        f"written {output} ({len(blob)} bytes): database at revision {database.revision} "
        f"({database.row_count()} rows in {len(database.tables)} tables), {len(data)} files "
        f"of {settings.data_dir}, the bot's device {device}"
    )
    return EXIT_OK


def _restore(settings: Settings, file: Path, passphrase_file: Path | None) -> int:
    from bot.storage import archive, snapshot

    database_file = snapshot.sqlite_file(settings.database_url)
    skipped = archive.skipped_in_data_dir(settings.data_dir, database_file)
    if settings.data_dir.exists() and any(
        p.resolve() not in skipped for p in settings.data_dir.iterdir()
    ):
        return _refuse(f"refusing to restore: the data folder {settings.data_dir} is not empty")
    tables = asyncio.run(snapshot.tables_in(settings.database_url))
    if tables:
        where = shown_database_url(settings.database_url)
        return _refuse(
            f"refusing to restore: the database {where} is not empty ({len(tables)} tables)"
        )
    if not file.is_file():
        return _refuse(f"{file} does not exist")
    passphrase = _passphrase(passphrase_file, confirm=False)
    if passphrase is None:
        return EXIT_REFUSED
    try:
        contents = archive.unseal(file.read_bytes(), passphrase)
    except archive.ArchiveError as exc:
        return _refuse(f"cannot restore {file}: {exc}")
    existed = database_file is not None and database_file.exists()
    try:
        asyncio.run(snapshot.load(settings.database_url, contents.database))
    except BaseException:
        if database_file is not None and not existed:
            for suffix in ("", *archive.SQLITE_SIDECARS):
                database_file.with_name(database_file.name + suffix).unlink(missing_ok=True)
        raise
    archive.write_data(contents.data, settings.data_dir)
    # The homeserver may hold one-time keys the running bot published after the archive was
    # made: the restored device replaces them when it starts (bot/matrix/one_time_keys.py).
    from bot.matrix.one_time_keys import mark_for_renewal

    mark_for_renewal(settings.data_dir / "matrix" / "bot")
    print(
        f"restored {file}, made {contents.manifest.get('created_at', '?')}: "
        f"{contents.database.row_count()} rows at revision {contents.database.revision} into "
        f"{shown_database_url(settings.database_url)}, {len(contents.data)} files into "
        f"{settings.data_dir}; the bot's device {contents.device() or 'none'}"
    )
    return EXIT_OK

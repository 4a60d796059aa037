"""`plenaria`, the one command line: `run`, `demo`, `roster`, `accounts`, `backup`, `restore`,
`compile`, `check-proposal` (more verbs arrive with their issues).

Exit codes (SPEC §7, bot/cli/exit_codes.py): 0 success, 1 refused (the reason on standard
error), 2 usage or configuration error, 3 a fault of the documents engine. Every failure the
operator can meet (configuration, files, the homeserver, the database, a port) ends in one line on
standard error, never a traceback: `main` reports the errors each verb raises.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.exit_codes import EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from bot.cli.preflight import (
    check_database,
    check_http_port,
    check_paths,
    check_writable_folder,
    open_database,
)
from bot.matrix.errors import HomeserverUnreachable, MatrixError
from bot.runtime import logs
from bot.runtime.settings import ConfigError, Settings, load_settings
from room_policies.roster import RosterError

log = logging.getLogger("plenaria")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plenaria", description="Virtual negotiation platform on Matrix."
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot with a configuration file")
    run.add_argument("--config", type=Path, required=True, help="path to config.yaml")
    roster = sub.add_parser("roster", help="import or export the roster (roster.yaml)")
    roster_sub = roster.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = roster_sub.add_parser("import", help="check a roster file and make it the current one")
    imp.add_argument("file", type=Path)
    imp.add_argument("--config", type=Path, required=True)
    exp = roster_sub.add_parser("export", help="write the current roster as YAML")
    exp.add_argument("--config", type=Path, required=True)
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    accounts = sub.add_parser(
        "accounts",
        help="create the platform's and the roster's accounts, set their display names, reset "
        "a password, delete the initial passwords once handed over",
        description=(
            "The only commands that read the registration shared secret "
            "(registration_shared_secret_file): the running bot never does, so new accounts and "
            "locked display names after a roster change in the chat are made here."
        ),
    )
    accounts_sub = accounts.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = accounts_sub.add_parser(
        "create",
        help="create missing accounts, set display names from the roster",
        description=(
            "Create every missing account of the roster, and the bot's and warden's, through "
            "Synapse's shared-secret registration; give existing accounts their display name "
            "from the roster, and people who left an earlier roster (in the database) their "
            "name without a seat. New people's generated passwords are written to a JSON file "
            "(user id -> password, mode 0600, merged with what it holds), never printed: hand "
            "each person theirs over a secure channel, then run `plenaria accounts "
            "handed-over`. The bot's and warden's passwords come from their password_file "
            "(generated there when missing and their account is new). Running it again "
            "changes only what differs: run it after every roster change."
        ),
    )
    create.add_argument("--config", type=Path, required=True, help="path to config.yaml")
    create.add_argument(
        "--roster",
        type=Path,
        help="roster file (default: the current roster in the database, else the "
        "configuration's roster: file); it is read, not imported",
    )
    create.add_argument(
        "-o",
        "--output",
        type=Path,
        help="passwords file (default: <data_dir>/secrets/initial-passwords.json)",
    )
    reset = accounts_sub.add_parser(
        "reset-password",
        help="give an account a new password and sign it out of every device",
        description=(
            "Give an existing account a new generated password, written to the passwords file "
            "(mode 0600), never printed. The account is signed out of every device, since a "
            "lost password may be in someone else's hands; its owner signs in again (and "
            "restores their encrypted history from their key backup)."
        ),
    )
    reset.add_argument("user", help="the account: @name:server, or just name")
    reset.add_argument("--config", type=Path, required=True, help="path to config.yaml")
    reset.add_argument(
        "-o",
        "--output",
        type=Path,
        help="passwords file (default: <data_dir>/secrets/initial-passwords.json)",
    )
    handed = accounts_sub.add_parser(
        "handed-over",
        help="delete the initial-passwords file once each person has their password",
        description=(
            "Say that every password in the passwords file has been handed over: the file is "
            "deleted, and the number of passwords it held is printed (never the passwords). "
            "Running it again, or with no file, changes nothing. The file is unlinked, not "
            "overwritten first: on journalling and copy-on-write file systems, SSDs and "
            "snapshots an overwrite does not reach the old blocks, so encrypt the disk instead."
        ),
    )
    handed.add_argument("--config", type=Path, required=True, help="path to config.yaml")
    handed.add_argument(
        "-o",
        "--output",
        type=Path,
        help="passwords file (default: <data_dir>/secrets/initial-passwords.json)",
    )
    backup = sub.add_parser(
        "backup",
        help="write the platform's state into one encrypted archive (while the bot runs)",
        description=(
            "Write one archive, encrypted with a passphrase (age format): a consistent snapshot "
            "of the database, the data folder (the E2EE stores of the bot and the warden, their "
            "saved logins and cross-signing keys, the file store) and a manifest of checksums. "
            "The bot may keep running. The passphrase is read from --passphrase-file or asked "
            "on the terminal, never given as an argument."
        ),
    )
    backup.add_argument("--config", type=Path, required=True, help="path to config.yaml")
    backup.add_argument(
        "-o", "--output", type=Path, required=True, help="the archive to write (a new file)"
    )
    backup.add_argument(
        "--passphrase-file", type=Path, help="a file holding the passphrase (one line)"
    )
    restore = sub.add_parser(
        "restore",
        help="fill an empty data folder and an empty database from a backup archive",
        description=(
            "Restore an archive of `plenaria backup` into the configuration's data folder and "
            "database, which must both be empty (SQLite or PostgreSQL, whichever made the "
            "backup); anything else is refused. Start the bot afterwards: it comes back as the "
            "same device and answers what arrived while it was down."
        ),
    )
    restore.add_argument("file", type=Path, help="the archive")
    restore.add_argument("--config", type=Path, required=True, help="path to config.yaml")
    restore.add_argument(
        "--passphrase-file", type=Path, help="a file holding the passphrase (one line)"
    )
    comp = sub.add_parser(
        "compile", help="compile proposals on a base document into a revision and a matrix"
    )
    comp.add_argument("base", type=Path, help="the base document (.docx)")
    comp.add_argument("proposals", type=Path, nargs="+", help="proposals, e.g. AG_Matriz.docx")
    comp.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    comp.add_argument("--revision", type=int, default=1, help="revision number (1)")
    comp.add_argument("--roster", type=Path, help="roster.yaml, for the delegations' names")
    check = sub.add_parser("check-proposal", help="check one proposal against its base")
    check.add_argument("proposal", type=Path, help="the proposal, e.g. AG_Matriz.docx")
    check.add_argument("--base", type=Path, required=True, help="the base document (.docx)")
    check.add_argument("--delegation", help="the delegation it must be from (ISO code)")
    demo = sub.add_parser(
        "demo", help="start a local Synapse, demo accounts and the bot (for trying plenaria)"
    )
    demo.add_argument("--dir", type=Path, default=Path(".demo"), help="data folder (.demo)")
    demo.add_argument("--port", type=int, default=8008, help="homeserver port (8008)")
    demo.add_argument("--http-port", type=int, default=9100, help="health/metrics port (9100)")
    demo.add_argument(
        "--scenario",
        action="store_true",
        help="also play a scripted round (proposals, a refusal, a compilation) into .demo/out/",
    )
    return parser


def forget_secret_environment() -> None:
    """Once the settings hold them, the platform's secrets leave the environment, so that no
    process started later (the documents engine's workers) inherits them."""
    for name in [n for n in os.environ if n.startswith("PLENARIA_")]:
        del os.environ[name]


async def serve(settings: Settings) -> None:
    from bot.runtime.app import build_app

    app = build_app(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop)
    await app.run()


async def _roster_import_or_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.governance import roster_service
    from room_policies.roster import dump_roster

    db = await open_database(settings)
    try:
        if args.action == "import":
            imported = await roster_service.import_file(settings, db, args.file)
            print(f"imported {roster_service.summary(imported)}")
            return EXIT_OK
        stored = await roster_service.current(settings, db)
        if stored is None:
            print("plenaria: no roster has been imported yet", file=sys.stderr)
            return EXIT_REFUSED
        text = dump_roster(stored.roster)
        if args.output is not None:
            try:
                args.output.write_text(text, encoding="utf-8")
            except OSError as exc:
                print(f"plenaria: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
                return EXIT_REFUSED
        else:
            sys.stdout.write(text)
        return EXIT_OK
    finally:
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure()
    try:
        if args.verb == "run":
            settings = load_settings(args.config)
            forget_secret_environment()
            check_paths(settings)
            check_http_port(settings)
            check_database(settings)
            log.info("configuration: %s", settings.redacted())
            asyncio.run(serve(settings))
        elif args.verb == "roster":
            settings = load_settings(args.config)
            check_paths(settings)
            return asyncio.run(_roster_import_or_export(settings, args))
        elif args.verb == "accounts":
            # Imported here: the running bot (`run`) never loads the code that reads the
            # registration shared secret.
            from bot.cli.accounts import run_accounts

            return run_accounts(args)
        elif args.verb in ("backup", "restore"):
            from bot.cli.backup import run_backup_or_restore

            return run_backup_or_restore(args)
        elif args.verb == "compile":
            from bot.cli.documents import compile_files

            return compile_files(args.base, args.proposals, args.output, args.revision, args.roster)
        elif args.verb == "check-proposal":
            from bot.cli.documents import check_file

            return check_file(args.proposal, args.base, args.delegation)
        elif args.verb == "demo":
            from bot.demo.launch import run_demo

            check_writable_folder(args.dir.resolve(), "--dir")
            return run_demo(args.dir, args.port, args.http_port, args.scenario)
    except ConfigError as exc:
        print(f"plenaria: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HomeserverUnreachable as exc:
        print(f"plenaria: the homeserver could not be reached ({exc})", file=sys.stderr)
        return EXIT_REFUSED
    except MatrixError as exc:
        print(f"plenaria: the homeserver refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except RosterError as exc:
        for reason in exc.reasons:
            print(f"plenaria: roster refused: {reason}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        # A file, folder or socket of the machine (not one a check above foresaw): one line.
        where = f": {exc.filename}" if exc.filename else ""
        print(f"plenaria: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

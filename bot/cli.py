"""`plenaria`, the one command line: `run` and `demo` (more verbs arrive with their issues).

Exit codes (SPEC §7): 0 success, 1 refused (the reason on standard error), 2 usage or
configuration error (one line, never a traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import logs
from bot.matrix_gateway import MatrixError
from bot.settings import ConfigError, Settings, load_settings
from room_policies.roster import RosterError

log = logging.getLogger("plenaria")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


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
    demo = sub.add_parser(
        "demo", help="start a local Synapse, demo accounts and the bot (for trying plenaria)"
    )
    demo.add_argument("--dir", type=Path, default=Path(".demo"), help="data folder (.demo)")
    demo.add_argument("--port", type=int, default=8008, help="homeserver port (8008)")
    demo.add_argument("--http-port", type=int, default=9100, help="health/metrics port (9100)")
    return parser


def check_paths(settings: Settings) -> None:
    """Fail at start, in one line, on a data folder the bot cannot write."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"data_dir {settings.data_dir} is not writable: {exc.strerror}") from None


async def serve(settings: Settings) -> None:
    from bot.app import build_app

    app = build_app(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop)
    await app.run()


async def _roster(settings: Settings, args: argparse.Namespace) -> int:
    from bot import roster_service
    from bot.storage.database import Database
    from room_policies.roster import dump_roster

    db = Database(settings.database_url)
    try:
        await db.migrate()
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
            args.output.write_text(text, encoding="utf-8")
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
            check_paths(settings)
            log.info("configuration: %s", settings.redacted())
            asyncio.run(serve(settings))
        elif args.verb == "roster":
            settings = load_settings(args.config)
            check_paths(settings)
            return asyncio.run(_roster(settings, args))
        elif args.verb == "demo":
            from bot.demo import run_demo

            return run_demo(args.dir, args.port, args.http_port)
    except ConfigError as exc:
        print(f"plenaria: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MatrixError as exc:
        print(f"plenaria: the homeserver refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except RosterError as exc:
        for reason in exc.reasons:
            print(f"plenaria: roster refused: {reason}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

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
from bot.settings import ConfigError, Settings, load_settings

log = logging.getLogger("plenaria")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plenaria", description="Virtual negotiation platform on Matrix."
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot with a configuration file")
    run.add_argument("--config", type=Path, required=True, help="path to config.yaml")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure()
    try:
        if args.verb == "run":
            settings = load_settings(args.config)
            check_paths(settings)
            log.info("configuration: %s", settings.redacted())
            asyncio.run(serve(settings))
        elif args.verb == "demo":
            from bot.demo import run_demo

            return run_demo(args.dir, args.port, args.http_port)
    except ConfigError as exc:
        print(f"plenaria: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""Logging for the platform: plain lines to standard error, never message content or secrets.

nio logs access tokens and decrypted payloads at DEBUG and chatters at INFO, so its loggers
are held at WARNING whatever the platform's own level is.
"""

from __future__ import annotations

import logging

QUIET = ("nio", "peewee", "alembic", "aiosqlite", "aiohttp.access", "sqlalchemy")


def configure(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)

"""Files this test process must never open: any attempt is refused and remembered.

The tests run as root, whom file modes do not stop, so "make the secret unreadable" would prove
nothing there. Python's audit hooks see every `open()` of the interpreter (builtins.open,
io.open, os.open), whoever the user: a guard refuses those of its files with PermissionError,
as an unreadable file would, and lists the attempts for the test to assert on. A hook cannot be
removed, so one is installed once and consults the guards active at the time.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

_active: list[FileGuard] = []
_lock = threading.Lock()
_installed = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _active or not args:
        return
    path = args[0]
    if not isinstance(path, str | bytes | os.PathLike):
        return  # a file descriptor
    name = os.path.abspath(os.fsdecode(path))
    for guard in list(_active):
        if name in guard.paths:
            guard.attempts.append(name)
            raise PermissionError(13, "refused by the test's file guard", name)


class FileGuard:
    """`with FileGuard([path, …]) as guard:` … `assert guard.attempts == []`."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = frozenset(os.path.abspath(p) for p in paths)
        self.attempts: list[str] = []

    def __enter__(self) -> FileGuard:
        global _installed
        with _lock:
            if not _installed:
                sys.addaudithook(_hook)
                _installed = True
            _active.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _lock:
            _active.remove(self)

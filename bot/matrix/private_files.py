"""Files only the platform's own user may read: credentials, cross-signing keys, passwords.

`write_private` creates the file with mode 0600 (never readable by others, not even for a
moment), writes it whole to a temporary file beside it, then renames it over the old one, so a
crash leaves either the old content or the new, never half of it.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: str) -> None:
    """Write `data` to `path`, readable and writable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)

"""The platform's own copy of every file it registers: content-addressed under `data_dir/files`.

A file is written (to a temporary name, flushed, then renamed) before any receipt or
announcement names it, so what the platform acknowledges is never lost. Files are kept as they
arrived: the database says what they are; the name is their sha256.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class FileStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)

    def path(self, sha256: str) -> Path:
        return self.directory / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store `data`; returns its sha256 (hex). Storing the same bytes twice is one file."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(exist_ok=True)
        temporary = target.with_suffix(".tmp")
        with open(temporary, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
        return digest

    def get(self, sha256: str) -> bytes:
        data = self.path(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise OSError(f"stored file {sha256} is damaged")
        return data

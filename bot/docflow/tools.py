"""What the document flow's services share, made once by `build_app`: the registry (what is on
record), the file store (the bytes), the engine (its workers) and the file transfer (Matrix)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.docflow.engine import Engine
from bot.docflow.transfer import FileTransfer
from bot.storage.files import FileStore
from bot.storage.registry import Registry


@dataclass(frozen=True)
class DocumentTools:
    registry: Registry
    files: FileStore
    transfer: FileTransfer
    engine: Engine

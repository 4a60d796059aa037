"""What the document flow's services share, made once by `build_app`: the registry (what is on
record), the file store (the bytes), the engine (its workers) and the file transfer (Matrix)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.docflow.engine import Engine
from bot.docflow.transfer import FileTransfer
from bot.storage.files import FileStore
from bot.storage.registry import Published, Registry
from commands.document_refusals import BaseNotChosen
from documents.proposals import select_base
from room_policies.roles import FolderKey


@dataclass(frozen=True)
class DocumentTools:
    registry: Registry
    files: FileStore
    transfer: FileTransfer
    engine: Engine

    async def document_in_plan(self, document: str | None) -> Published:
        """The document of the plan folder a command names (`documents.proposals.select_base`:
        the one named, else the only one with proposals); `BaseNotChosen` if none or several."""
        plan = await self.registry.current(FolderKey.PLAN.value)
        with_proposals = {
            d.file_name for d in plan if await self.registry.latest_proposals(d.file_name)
        }
        choice = select_base([d.file_name for d in plan], document, with_proposals)
        if not isinstance(choice, str):
            raise BaseNotChosen(choice)
        return next(d for d in plan if d.file_name == choice)

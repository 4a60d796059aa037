"""What the document commands need from the shell (registry, files, the engine's worker).

Handlers stay pure: they ask these questions and word the answers. Records are plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from commands.table import Attachment, Invocation

__all__ = [
    "CompileOutcome",
    "DocumentsDeps",
    "ProposalInfo",
    "PublishedInfo",
]


@dataclass(frozen=True)
class PublishedInfo:
    folder: str
    folder_name: str
    title: str
    file_name: str
    version: int
    symbol: str | None
    classification: str
    language: str
    sha256: str
    publisher: str
    published_at: datetime


@dataclass(frozen=True)
class ProposalInfo:
    delegation: str
    file_name: str
    base_file_name: str
    base_version: int
    changes: int
    paragraphs: list[int]
    sha256: str
    submitted_at: datetime
    superseded: bool


@dataclass(frozen=True)
class CompileOutcome:
    base_file_name: str
    revision_name: str
    matrix_name: str
    summary: list[str]


class DocumentsDeps(Protocol):
    @property
    def classifications(self) -> tuple[str, ...]: ...

    @property
    def folders(self) -> dict[str, str]: ...

    async def attachment(self, invocation: Invocation) -> Attachment | None: ...

    async def publish(
        self,
        invocation: Invocation,
        attachment: Attachment,
        folder: str,
        *,
        title: str | None,
        symbol: str | None,
        classification: str,
        language: str | None,
    ) -> PublishedInfo: ...

    async def current_documents(self, folder: str | None) -> list[PublishedInfo]: ...

    async def proposals_of(self, delegation: str) -> list[ProposalInfo]: ...

    async def compile(self, invocation: Invocation, document: str | None) -> CompileOutcome: ...

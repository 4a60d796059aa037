"""What the document flow's services answer (SPEC §3), as plain data the commands word.

The shell (`bot/docflow/`) publishes, files proposals, queues suggestions and compiles; it
returns these records, never sentences. The handlers (`commands/publish.py`, `check.py`…) and
the wording of what the bot posts on its own (`commands/receipts.py`, `announcements.py`) turn
them into replies. `Folders` is the one question two commands share (`!publish`, `!documents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from commands.table import Refusal
from documents.compile import Compilation
from documents.errors import DocumentRefused
from documents.excerpts import MarkedParagraph
from documents.jobs import CheckResult
from documents.lifecycles import ParagraphStatus, SuggestionStatus

__all__ = [
    "AwaitingApproval",
    "CompileOutcome",
    "Distributed",
    "FolderUpload",
    "Folders",
    "ParagraphMarking",
    "ParagraphStory",
    "PendingApprovals",
    "ProposalChecked",
    "ProposalInfo",
    "ProposalRefused",
    "ProposedChange",
    "Publication",
    "PublishedInfo",
    "ShownProposal",
    "StatusStep",
    "SuggestionAccepted",
    "SuggestionInfo",
    "UploadOutcome",
    "VersionText",
]


@dataclass(frozen=True)
class Publication:
    """What is published where: the folder, and what the registry records of the file."""

    folder: str
    title: str | None  # None: the file name's stem
    symbol: str | None
    classification: str
    language: str | None  # None: the working group's language


@dataclass(frozen=True)
class ParagraphMarking:
    """`!agree` and `!approve`: paragraphs of a document, and the status they take."""

    document: str
    paragraphs: list[int]
    status: ParagraphStatus
    meeting: str | None  # the formal meeting that approved them


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
    """A proposal on record: what its receipt says, and whether a later one superseded it."""

    delegation: str
    file_name: str
    base_file_name: str
    base_version: int
    changes: int
    paragraphs: list[int]
    sha256: str
    submitted_at: datetime
    superseded: bool
    # Each paragraph it changes, with the words around each change (the receipt shows them).
    marked: tuple[MarkedParagraph, ...] = ()


@dataclass(frozen=True)
class ProposalRefused:
    """An upload in the plenary that was not filed, and why: `reason` in English (the record),
    `refusal` the refusal that words itself in the reader's language (None: `reason` is shown)."""

    reason: str
    refusal: Refusal | None = None


@dataclass(frozen=True)
class FolderUpload:
    """A file the Chair or the Secretariat posted straight into a folder, now registered."""

    published: PublishedInfo


# What an upload comes to (None: an upload the platform leaves alone).
UploadOutcome = ProposalInfo | ProposalRefused | FolderUpload


@dataclass(frozen=True)
class ProposalChecked:
    """`!check` of a file that would be accepted, and the base it was checked against."""

    result: CheckResult
    base_file_name: str
    base_version: int


@dataclass(frozen=True)
class CompileOutcome:
    """What `!compile` made: the files posted, the compilation's facts and the proposals it left
    out with their refusals (`commands.compile_summary` words them)."""

    base_file_name: str
    revision_name: str
    matrix_name: str
    compilation: Compilation
    left_out: list[tuple[str, DocumentRefused]]


@dataclass(frozen=True)
class Distributed:
    """The compiled draft, published: the revised text as the next version, the revision."""

    folder_name: str
    file_name: str
    version: int
    revision_name: str


@dataclass(frozen=True)
class SuggestionInfo:
    number: int
    delegation: str
    file_name: str
    suggested_at: datetime
    status: SuggestionStatus
    reason: str | None


@dataclass(frozen=True)
class SuggestionAccepted:
    suggestion: SuggestionInfo
    published: PublishedInfo


class Folders(Protocol):
    async def folder_names(self) -> dict[str, str]:
        """The folders by key (`reference`, `supporting`, `plan`), with the roster's names."""
        ...

    async def current_documents(self, folder: str | None) -> list[PublishedInfo]: ...


@dataclass(frozen=True)
class VersionText:
    """A paragraph at one version of its document (None: it was not in that version)."""

    version: int
    number: int | None
    text: str | None
    opens_at: datetime | None = None  # the round on this version, if one was held
    closes_at: datetime | None = None
    meeting: str | None = None  # the formal meeting the round prepared


@dataclass(frozen=True)
class ProposedChange:
    """A delegation's proposal on the paragraph in the round on `version`, as marked pieces:
    (text, "same" | "inserted" | "deleted"), cut when long."""

    version: int
    delegation: str
    pieces: list[tuple[str, str]]


@dataclass(frozen=True)
class StatusStep:
    status: ParagraphStatus
    version: int | None  # the round (version) it was marked in
    meeting: str | None
    set_at: datetime


@dataclass(frozen=True)
class ParagraphStory:
    """`!history`: the paragraph at each version, the proposals on it, its statuses."""

    document: str
    paragraph: str
    versions: list[VersionText]
    proposals: list[ProposedChange]
    statuses: list[StatusStep]


@dataclass(frozen=True)
class AwaitingApproval:
    """A paragraph agreed ad referendum and not approved since."""

    paragraph: int
    version: int | None
    agreed_at: datetime


@dataclass(frozen=True)
class PendingApprovals:
    """`!pending`: what the next formal meeting has to approve."""

    document: str
    version: int
    meeting: str | None  # the meeting of the round on the current version, if any
    paragraphs: list[AwaitingApproval]


@dataclass(frozen=True)
class ShownProposal:
    """`!show`: a delegation's standing proposal on a document, every change of it (on one
    paragraph if `paragraph` is given)."""

    delegation: str
    file_name: str
    base_file_name: str
    base_version: int
    paragraph: str | None
    changes: list[MarkedParagraph]

"""Why the document flow refuses, worded for the asker (SPEC §3: a refusal says why).

The shell (`bot/docflow/`) raises these typed refusals with the facts; each words itself here,
so that no sentence is built in `bot/`. The router answers a `Refusal` as "Refused: <reason>";
`!check` answers "Would be refused: <reason>" and an upload in the plenary adds "Nothing was
filed." (`commands/receipts.py`).
"""

from __future__ import annotations

from typing import assert_never

from commands.table import Refusal
from documents.lifecycles import ParagraphStatus, SuggestionStatus
from documents.proposals import NoBase, NoProposalsYet, NotPublished, WhichBase

__all__ = [
    "BaseNotChosen",
    "CompiledOnAnotherVersion",
    "FileNotDownloaded",
    "FileNotEncrypted",
    "FileRefused",
    "FileTooLarge",
    "FoldersNotProvisioned",
    "InFile",
    "NoBaseToPropose",
    "NoFileGiven",
    "NoSuchSuggestion",
    "NotAProposalName",
    "NotCompiledYet",
    "NothingToCompile",
    "OnlyFocalPoints",
    "StatusNotAllowed",
    "SuggestionDecided",
]


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1e3:.0f} kB"


# -- files --------------------------------------------------------------------------------------


class FileTooLarge(Refusal):
    def __init__(self, limit: int, size: int | None = None) -> None:
        if size is None:  # found out while downloading: the size the message gave was wrong
            super().__init__(f"the file is larger than {_size(limit)}.")
        else:
            super().__init__(f"the file is {_size(size)}; the limit is {_size(limit)}.")


class FileNotDownloaded(Refusal):
    def __init__(self) -> None:
        super().__init__("the file could not be downloaded and decrypted.")


class FileNotEncrypted(Refusal):
    def __init__(self) -> None:
        super().__init__("the file is not end-to-end encrypted; send it in an encrypted room.")


class FileRefused(Refusal):
    """The engine's reason (a sentence of `documents/`), with the file's name unless it says it
    already."""

    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(reason if file_name in reason else f"{file_name}: {reason}")


class InFile(Refusal):
    """Another refusal, about a named file (a proposal: the delegate may send several)."""

    def __init__(self, file_name: str, refusal: Refusal) -> None:
        super().__init__(f"{file_name}: {refusal.reason}")


class NoFileGiven(Refusal):
    def __init__(self, command: str) -> None:
        super().__init__(f"send !{command} as the caption of a file, or as a reply to one.")


class FoldersNotProvisioned(Refusal):
    def __init__(self) -> None:
        super().__init__("the folder rooms are not provisioned yet; try again in a moment.")


# -- proposals ----------------------------------------------------------------------------------


class OnlyFocalPoints(Refusal):
    def __init__(self, doing: str) -> None:
        super().__init__(f"only a delegation's focal point {doing}.")


class NoBaseToPropose(Refusal):
    def __init__(self, base_name: str, folder_name: str) -> None:
        super().__init__(
            f"there is no published document “{base_name}” in the {folder_name} folder to "
            "propose changes to."
        )


class NotAProposalName(Refusal):
    def __init__(self, delegation: str) -> None:
        super().__init__(f"a proposal is named {delegation}_<document>.docx.")


# -- suggestions --------------------------------------------------------------------------------


class NoSuchSuggestion(Refusal):
    def __init__(self, number: int) -> None:
        super().__init__(f"there is no suggestion #{number}; see !references.")


class SuggestionDecided(Refusal):
    def __init__(self, number: int, status: SuggestionStatus) -> None:
        super().__init__(f"suggestion #{number} was already {status}.")


# -- compilation --------------------------------------------------------------------------------


class BaseNotChosen(Refusal):
    """Why no document was chosen for `!compile`, `!distribute`, `!agree`, `!approve`."""

    def __init__(self, choice: NoBase) -> None:
        match choice:
            case NotPublished(wanted):
                reason = f"there is no published document {wanted} in the plan folder."
            case NoProposalsYet():
                reason = "no document has proposals to compile yet."
            case WhichBase(candidates):
                reason = f"say which document to compile: {', '.join(candidates)}."
            case _:
                assert_never(choice)
        super().__init__(reason)


class NothingToCompile(Refusal):
    def __init__(self, base_name: str) -> None:
        super().__init__(f"there is no proposal on {base_name} to compile.")


class NotCompiledYet(Refusal):
    def __init__(self, base_name: str) -> None:
        super().__init__(f"{base_name} has not been compiled yet: !compile it first.")


class CompiledOnAnotherVersion(Refusal):
    def __init__(self, base_name: str, compiled: int, current: int) -> None:
        super().__init__(
            f"the last compilation was made on version {compiled} of {base_name}, which is now "
            f"at version {current}: !compile again."
        )


class StatusNotAllowed(Refusal):
    """A paragraph's status may not become the one asked (documents.lifecycles)."""

    def __init__(self, paragraphs: list[int], wanted: ParagraphStatus) -> None:
        listed = ", ".join(str(n) for n in paragraphs)
        super().__init__(f"paragraph(s) {listed} cannot become {wanted}.")

"""Why the document flow refuses, worded for the asker (SPEC §3: a refusal says why).

The shell (`bot/docflow/`) raises these typed refusals with the facts; each words itself here,
so that no sentence is built in `bot/`. The router answers a `Refusal` as "Refused: <reason>";
`!check` answers "Would be refused: <reason>" and an upload in the plenary adds "Nothing was
filed." (`commands/receipts.py`).

Each refusal keeps its facts and words itself in English as `reason` (the audit log's record) and
in the asker's language by `worded(_)`, where the asker's invocation is at hand.
"""

from __future__ import annotations

from typing import assert_never

from commands.dates import size
from commands.engine_refusals import engine_reason
from commands.i18n import N_, Translate, language_of
from commands.table import Refusal, WordedRefusal
from documents.errors import DocumentRefused
from documents.lifecycles import ParagraphStatus, SuggestionStatus
from documents.proposals import NoBase, NoProposalsYet, NotPublished, WhichBase

__all__ = [
    "BaseNotChosen",
    "CompiledOnAnotherVersion",
    "DocumentRefusal",
    "EngineRefusal",
    "FileNotDownloaded",
    "FileNotEncrypted",
    "FileRefused",
    "FileTooLarge",
    "FoldersNotProvisioned",
    "InFile",
    "NoBaseToPropose",
    "NoFileGiven",
    "NoStandingProposal",
    "NoSuchParagraph",
    "NoSuchSuggestion",
    "NotAParagraphOf",
    "NotAProposalName",
    "NotCompiledYet",
    "NothingToCompile",
    "OnlyFocalPoints",
    "StatusNotAllowed",
    "SuggestionDecided",
    "paragraph_status_word",
    "reason_of",
    "suggestion_status_word",
]

# The statuses as a reader reads them (the values are English words, kept in the records).
_PARAGRAPH_STATUS_WORDS = {
    ParagraphStatus.OPEN: N_("open"),
    ParagraphStatus.AGREED_AD_REFERENDUM: N_("agreed ad referendum"),
    ParagraphStatus.APPROVED: N_("approved"),
}
_SUGGESTION_STATUS_WORDS = {
    SuggestionStatus.PENDING: N_("pending"),
    SuggestionStatus.ACCEPTED: N_("accepted"),
    SuggestionStatus.DECLINED: N_("declined"),
}


def paragraph_status_word(status: ParagraphStatus, _: Translate = str) -> str:
    return _(_PARAGRAPH_STATUS_WORDS.get(status, status.value))


def suggestion_status_word(status: SuggestionStatus, _: Translate = str) -> str:
    return _(_SUGGESTION_STATUS_WORDS.get(status, status.value))


# A reason about one file, after the file's name.
IN_FILE = N_("{file}: {reason}")


def _size(n: int, _: Translate) -> str:
    return size(n, language_of(_))


class DocumentRefusal(WordedRefusal):
    """A refusal of the document flow: `reason` in English, `worded(_)` in the asker's language."""


def reason_of(refusal: Refusal, _: Translate = str) -> str:
    """The refusal's reason in the asker's language when it words itself, else as raised."""
    return refusal.worded(_) if isinstance(refusal, WordedRefusal) else refusal.reason


# -- files --------------------------------------------------------------------------------------


class FileTooLarge(DocumentRefusal):
    def __init__(self, limit: int, size: int | None = None) -> None:
        self.limit, self.size = limit, size
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        if self.size is None:  # found out while downloading: the size the message gave was wrong
            return _("the file is larger than {limit}.").format(limit=_size(self.limit, _))
        return _("the file is {size}; the limit is {limit}.").format(
            size=_size(self.size, _), limit=_size(self.limit, _)
        )


class FileNotDownloaded(DocumentRefusal):
    def worded(self, _: Translate = str) -> str:
        return _("the file could not be downloaded and decrypted.")


class FileNotEncrypted(DocumentRefusal):
    def worded(self, _: Translate = str) -> str:
        return _("the file is not end-to-end encrypted; send it in an encrypted room.")


class FileRefused(DocumentRefusal):
    """The engine's refusal of a file (worded by `commands.engine_refusals`; a bare English
    sentence is shown as it is), with the file's name unless it says it already."""

    def __init__(self, file_name: str, refused: DocumentRefused | str) -> None:
        self.file_name, self.refused = file_name, refused
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        refused = self.refused
        reason = refused if isinstance(refused, str) else engine_reason(refused, _)
        if self.file_name in reason:
            return reason
        return _(IN_FILE).format(file=self.file_name, reason=reason)


class EngineRefusal(DocumentRefusal):
    """The engine's refusal of a whole job (a compilation none of whose proposals passed)."""

    def __init__(self, refused: DocumentRefused) -> None:
        self.refused = refused
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return engine_reason(self.refused, _)


class InFile(DocumentRefusal):
    """Another refusal, about a named file (a proposal: the delegate may send several)."""

    def __init__(self, file_name: str, refusal: Refusal) -> None:
        self.file_name, self.refusal = file_name, refusal
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(IN_FILE).format(file=self.file_name, reason=reason_of(self.refusal, _))


class NoFileGiven(DocumentRefusal):
    def __init__(self, command: str) -> None:
        self.command = command
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("send !{command} as the caption of a file, or as a reply to one.").format(
            command=self.command
        )


class FoldersNotProvisioned(DocumentRefusal):
    def worded(self, _: Translate = str) -> str:
        return _("the folder rooms are not provisioned yet; try again in a moment.")


# -- proposals ----------------------------------------------------------------------------------

# What only a focal point does, as the shell names it, in whole sentences a translator can word.
_ONLY_FOCAL_POINTS = {
    "submits proposals": N_("only a delegation's focal point submits proposals."),
    "suggests reference documents": N_(
        "only a delegation's focal point suggests reference documents."
    ),
}


class OnlyFocalPoints(DocumentRefusal):
    def __init__(self, doing: str) -> None:
        self.doing = doing
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        sentence = _ONLY_FOCAL_POINTS.get(self.doing)
        if sentence is None:  # a new act, not yet in the catalogs: English
            return f"only a delegation's focal point {self.doing}."
        return _(sentence)


class NoBaseToPropose(DocumentRefusal):
    def __init__(self, base_name: str, folder_name: str) -> None:
        self.base_name, self.folder_name = base_name, folder_name
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "there is no published document “{document}” in the {folder} folder to propose "
            "changes to."
        ).format(document=self.base_name, folder=self.folder_name)


class NotAProposalName(DocumentRefusal):
    def __init__(self, delegation: str) -> None:
        self.delegation = delegation
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("a proposal is named {delegation}_<document>.docx.").format(
            delegation=self.delegation
        )


# -- suggestions --------------------------------------------------------------------------------


class NoSuchSuggestion(DocumentRefusal):
    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("there is no suggestion #{number}; see !references.").format(number=self.number)


_ALREADY = {
    SuggestionStatus.PENDING: N_("suggestion #{number} was already pending."),
    SuggestionStatus.ACCEPTED: N_("suggestion #{number} was already accepted."),
    SuggestionStatus.DECLINED: N_("suggestion #{number} was already declined."),
}


class SuggestionDecided(DocumentRefusal):
    def __init__(self, number: int, status: SuggestionStatus) -> None:
        self.number, self.status = number, status
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(_ALREADY[self.status]).format(number=self.number)


# -- compilation --------------------------------------------------------------------------------


class BaseNotChosen(DocumentRefusal):
    """Why no document was chosen for `!compile`, `!distribute`, `!agree`, `!approve`."""

    def __init__(self, choice: NoBase) -> None:
        self.choice = choice
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        match self.choice:
            case NotPublished(wanted):
                return _("there is no published document {document} in the plan folder.").format(
                    document=wanted
                )
            case NoProposalsYet():
                return _("no document has proposals to compile yet.")
            case WhichBase(candidates):
                return _("say which document to compile: {documents}.").format(
                    documents=", ".join(candidates)
                )
            case _:
                assert_never(self.choice)


class NothingToCompile(DocumentRefusal):
    def __init__(self, base_name: str) -> None:
        self.base_name = base_name
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("there is no proposal on {document} to compile.").format(document=self.base_name)


class NotCompiledYet(DocumentRefusal):
    def __init__(self, base_name: str) -> None:
        self.base_name = base_name
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("{document} has not been compiled yet: !compile it first.").format(
            document=self.base_name
        )


class CompiledOnAnotherVersion(DocumentRefusal):
    def __init__(self, base_name: str, compiled: int, current: int) -> None:
        self.base_name, self.compiled, self.current = base_name, compiled, current
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "the last compilation was made on version {compiled} of {document}, which is now at "
            "version {current}: !compile again."
        ).format(compiled=self.compiled, document=self.base_name, current=self.current)


class StatusNotAllowed(DocumentRefusal):
    """A paragraph's status may not become the one asked (documents.lifecycles)."""

    def __init__(self, paragraphs: list[int], wanted: ParagraphStatus) -> None:
        self.paragraphs, self.wanted = paragraphs, wanted
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("paragraph(s) {paragraphs} cannot become {status}.").format(
            paragraphs=", ".join(str(n) for n in self.paragraphs),
            status=paragraph_status_word(self.wanted, _),
        )


class NoSuchParagraph(DocumentRefusal):
    """`!history`: no version of the document has the paragraph named."""

    def __init__(self, base_name: str, paragraph: str) -> None:
        self.base_name, self.paragraph = base_name, paragraph
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "no version of {document} has a paragraph {paragraph}; name it as the compilation "
            "matrix numbers it, e.g. 12 or 12 bis."
        ).format(document=self.base_name, paragraph=self.paragraph)


class NoStandingProposal(DocumentRefusal):
    """`!show`: the delegation has no proposal on the document that still stands."""

    def __init__(self, code: str, base_name: str) -> None:
        self.code, self.base_name = code, base_name
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _("{code} has no standing proposal on {document}.").format(
            code=self.code, document=self.base_name
        )


class NotAParagraphOf(DocumentRefusal):
    """`!show`: the version the proposal was made on has no paragraph of that number."""

    def __init__(self, base_name: str, version: int, paragraph: int) -> None:
        self.base_name, self.version, self.paragraph = base_name, version, paragraph
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "version {version} of {document} has no paragraph {paragraph}; name it as the "
            "compilation matrix numbers it, e.g. 12."
        ).format(version=self.version, document=self.base_name, paragraph=self.paragraph)

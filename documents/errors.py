"""Why the engine refuses a file: one typed error with a stable code and a sentence for a delegate.

`code` is a short slug that callers match on and that metrics and logs can count (keep the values
stable: add codes, don't rename them). `reason` is one plain sentence the platform sends back to
the delegate in the upload's thread, saying what is wrong and, where it helps, what to do. Neither
ever carries a traceback; `detail` may carry a technical note for the operator's log only.

`EngineFault` is the other failure: the engine's own bug while reading a file, which is not the
delegate's to fix and is never worded as if the file were damaged.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DocumentRefused", "EngineFault", "RefusalCode"]


class RefusalCode(StrEnum):
    # The safety gate and the parsing limits (`documents.package_gate`, `documents.parsing_child`).
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_ZIP = "not_zip"
    NOT_DOCX = "not_docx"
    CORRUPT = "corrupt"
    TOO_MANY_ENTRIES = "too_many_entries"
    ZIP_BOMB = "zip_bomb"
    ENCRYPTED = "encrypted"
    DUPLICATE_ENTRY = "duplicate_entry"
    PATH_TRAVERSAL = "path_traversal"
    DOCTYPE = "doctype"
    MACROS = "macros"
    ACTIVEX = "activex"
    OLE_OBJECT = "ole_object"
    ALT_CHUNK = "alt_chunk"
    SUB_DOCUMENT = "sub_document"
    EXTERNAL_RELATIONSHIP = "external_relationship"
    EXTERNAL_TEMPLATE = "external_template"
    DANGEROUS_LINK = "dangerous_link"
    EXTERNAL_FIELD = "external_field"
    TOO_MANY_PARAGRAPHS = "too_many_paragraphs"
    TIMEOUT = "timeout"
    TOO_MUCH_MEMORY = "too_much_memory"
    # Refusals of the proposal check and of compilation (a well-formed file that is the wrong one).
    WRONG_NAME = "wrong_name"
    WRONG_DELEGATION = "wrong_delegation"
    NO_TRACKED_CHANGES = "no_tracked_changes"
    NOT_THE_BASE = "not_the_base"
    BASE_HAS_CHANGES = "base_has_changes"
    NO_PROPOSALS = "no_proposals"


class DocumentRefused(Exception):
    """A file the engine will not read, with the reason in words a delegate understands."""

    def __init__(self, code: RefusalCode, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.code = RefusalCode(code)
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[DocumentRefused], tuple[RefusalCode, str, str | None]]:
        # Refusals cross the process boundary of `parse_with_limits`; the default pickling of an
        # exception replays only `args`, which would lose the code.
        return (type(self), (self.code, self.reason, self.detail))

    def __repr__(self) -> str:
        return f"DocumentRefused({self.code.value!r}, {self.reason!r})"


class EngineFault(RuntimeError):
    """The engine failed while reading a file because of a fault of its own (a bug), not because
    the file is damaged: the operator's problem, never the delegate's. It names the exception's
    type (`error`) and where it was raised (`where`: file, line, function), never the
    exception's text, which could quote the document; `reference` is the one the fault was
    logged with, for the shell to tell whoever asked."""

    def __init__(self, error: str, where: str | None, reference: str) -> None:
        at = f" at {where}" if where else ""
        super().__init__(f"{error}{at}: a fault of the platform, not of the file (ref {reference})")
        self.error = error
        self.where = where
        self.reference = reference

    def __reduce__(self) -> tuple[type[EngineFault], tuple[str, str | None, str]]:
        return (type(self), (self.error, self.where, self.reference))

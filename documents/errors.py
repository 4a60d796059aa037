"""Why the engine refuses a file: one typed error with a stable code and a sentence for a delegate.

`code` is a short slug that callers match on and that metrics and logs can count (keep the values
stable: add codes, don't rename them). `reason` is one plain sentence the platform sends back to
the delegate in the upload's thread, saying what is wrong and, where it helps, what to do. Neither
ever carries a traceback; `detail` may carry a technical note for the operator's log only.

`reason` is English (the audit log's record and the CLI's). What a person reads is worded in
`commands/` (the catalogs) from `why`, a finer code than `code` (one per sentence), and `params`,
the sentence's facts (names, counts, sizes in bytes, and the codes of phrases such as where in the
document); `left_out` are the refusals a refusal of a compilation lists, by file name.

`EngineFault` is the other failure: the engine's own bug while reading a file, which is not the
delegate's to fix and is never worded as if the file were damaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

__all__ = ["DocumentRefused", "EngineFault", "Fact", "Reason", "RefusalCode"]

Fact = str | int


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


class Reason(StrEnum):
    """Which sentence says why: one per sentence `commands/` words (its facts in `params`)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"  # size, max_size
    OLD_WORD = "old_word"
    EMPTY_ZIP = "empty_zip"
    PDF = "pdf"
    RTF = "rtf"
    WEB_PAGE = "web_page"
    ODD_ZIP = "odd_zip"
    NOT_A_PACKAGE = "not_a_package"
    NOT_DOCX = "not_docx"
    DAMAGED = "damaged"
    UNREADABLE = "unreadable"
    DAMAGED_WORD = "damaged_word"
    PART_DAMAGED = "part_damaged"  # part
    DUPLICATE_ENTRY = "duplicate_entry"  # part
    COMPRESSION = "compression"  # method
    EXPANDS_TOO_MUCH = "expands_too_much"  # max_size
    EXPANSION_RATIO = "expansion_ratio"  # part, ratio
    MORE_THAN_DECLARED = "more_than_declared"  # part
    OVERLAPPING = "overlapping"
    UNSAFE_NAME = "unsafe_name"  # part
    TOO_MANY_ENTRIES = "too_many_entries"  # count
    ENCRYPTED = "encrypted"
    PART_TOO_LARGE = "part_too_large"  # part, max_size
    BAD_ENCODING = "bad_encoding"  # part, encoding
    MACROS = "macros"
    ACTIVEX = "activex"
    OLE_OBJECT = "ole_object"
    OLE_OBJECT_NAMED = "ole_object_named"  # part
    DOCTYPE = "doctype"  # part
    TOO_MANY_PARAGRAPHS = "too_many_paragraphs"  # count
    DANGEROUS_LINK = "dangerous_link"  # place, place_part, link, scheme
    EXTERNAL_FIELD = "external_field"  # place, place_part, keyword
    NESTED_FIELD = "nested_field"  # place, place_part
    LINKED_PICTURE = "linked_picture"  # place, place_part
    MAIL_MERGE = "mail_merge"
    EXTERNAL_LINK = "external_link"  # place, place_part
    EMBEDDED = "embedded"  # part, inner (the embedded package's RefusalCode)
    EMBEDDED_TOO_DEEP = "embedded_too_deep"
    NO_CONTENT_TYPES = "no_content_types"
    NO_MAIN_PART = "no_main_part"
    EXCEL = "excel"
    POWERPOINT = "powerpoint"
    TEMPLATE = "template"
    NOT_WORD = "not_word"
    ALT_CHUNK = "alt_chunk"
    SUB_DOCUMENT = "sub_document"
    EXTERNAL_TEMPLATE = "external_template"
    OUTSIDE_RESOURCE = "outside_resource"  # resource, type
    TIMEOUT = "timeout"  # seconds
    TOO_MUCH_MEMORY = "too_much_memory"  # max_size
    NOT_DOCX_NAME = "not_docx_name"  # file, expected
    NO_COUNTRY_CODE = "no_country_code"  # file, expected
    WRONG_DELEGATION = "wrong_delegation"  # file, code, delegation, expected
    WRONG_DOCUMENT = "wrong_document"  # file, document, expected
    NO_TRACKED_CHANGES = "no_tracked_changes"  # file
    NOT_THE_CURRENT_BASE = "not_the_current_base"  # file, paragraph ("" : the first)
    UNTRACKED_CHANGES = "untracked_changes"  # file, paragraph, excerpt ("": none)
    BASE_HAS_CHANGES = "base_has_changes"
    BASE_INCONSISTENT = "base_inconsistent"
    NO_PROPOSALS = "no_proposals"  # left_out


class DocumentRefused(Exception):
    """A file the engine will not read, with the reason in words a delegate understands."""

    def __init__(
        self,
        code: RefusalCode,
        reason: str,
        detail: str | None = None,
        *,
        why: Reason | None = None,
        params: Mapping[str, Fact] | None = None,
        left_out: Sequence[tuple[str, DocumentRefused]] = (),
    ) -> None:
        super().__init__(reason)
        self.code = RefusalCode(code)
        self.reason = reason
        self.detail = detail
        self.why = None if why is None else Reason(why)
        self.params: dict[str, Fact] = dict(params or {})
        self.left_out = tuple(left_out)

    def __reduce__(self) -> tuple[Any, ...]:
        # Refusals cross the process boundary of `parse_with_limits`; the default pickling of an
        # exception replays only `args`, which would lose the code and the facts.
        return (
            _rebuilt,
            (self.code, self.reason, self.detail, self.why, self.params, self.left_out),
        )

    def to_json(self) -> dict[str, Any]:
        """As plain JSON, for `documents.wire` and the parsing child's answer."""
        return {
            "code": self.code.value,
            "reason": self.reason,
            "detail": self.detail,
            "why": None if self.why is None else self.why.value,
            "params": dict(self.params),
            "left_out": [[name, r.to_json()] for name, r in self.left_out],
        }

    @classmethod
    def from_json(cls, data: object) -> DocumentRefused:
        """Read back `to_json()`; ValueError, KeyError or TypeError if it is not one."""
        if not isinstance(data, dict):
            raise TypeError("a refusal is an object")
        params = data.get("params") or {}
        if not isinstance(params, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int) and not isinstance(v, bool)
            for k, v in params.items()
        ):
            raise ValueError("a refusal's params are not names and facts")
        reason, detail, why = data["reason"], data.get("detail"), data.get("why")
        if not isinstance(reason, str) or not isinstance(detail, str | None):
            raise ValueError("a refusal's reason is not text")
        left_out = [(str(name), cls.from_json(r)) for name, r in data.get("left_out") or []]
        return cls(
            RefusalCode(data["code"]),
            reason,
            detail,
            why=None if why is None else Reason(why),
            params=params,
            left_out=left_out,
        )

    def __repr__(self) -> str:
        return f"DocumentRefused({self.code.value!r}, {self.reason!r})"


def _rebuilt(
    code: RefusalCode,
    reason: str,
    detail: str | None,
    why: Reason | None,
    params: Mapping[str, Fact],
    left_out: Sequence[tuple[str, DocumentRefused]],
) -> DocumentRefused:
    return DocumentRefused(code, reason, detail, why=why, params=params, left_out=left_out)


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

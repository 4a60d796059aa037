"""The safety gate's refusals that more than one of its checks gives, worded for a delegate.

Each function returns a `DocumentRefused` with its code, one plain sentence (what is wrong and,
where it helps, what to do) and, for the operator's log only, a `detail`. `quoted` is how a part's
name may be quoted back: printable and short. The checks themselves live in
`documents.zip_structure`, `documents.xml_scan`, `documents.content_scan` and
`documents.package_gate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from documents import links
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.limits import MB, Limits

__all__ = [
    "RESAVE",
    "Where",
    "activex",
    "corrupt",
    "dangerous_link",
    "doctype",
    "embedded",
    "encrypted",
    "external_field",
    "external_link",
    "linked_picture",
    "macros",
    "mail_merge",
    "megabytes",
    "ole_object",
    "outside_resource",
    "quoted",
    "too_many_entries",
    "too_many_paragraphs",
    "xml_too_large",
    "zip_bomb",
]

RESAVE = "open it in Word, save it again as a Word Document (.docx) and send it again"


@dataclass(frozen=True)
class Where:
    """Where in a document something is, as a delegate knows it: `place` is a code that
    `commands/` words ("footnote": in a footnote), `part` the internal part when `place` is
    "part"; `english` is how the English reason says it."""

    place: str
    english: str
    part: str = ""

    def params(self) -> dict[str, str]:
        return {"place": self.place, "place_part": quoted(self.part) if self.part else ""}


# What a refused link points to (`documents.links`), as a code `commands/` words.
_LINK_KINDS = {
    links.FILE: "file",
    links.SCRIPT: "script",
    links.DATA: "data",
    links.PROGRAM: "program",
    links.MAIL_ATTACHMENT: "mail_attachment",
    links.BUILT: "built",
}


def megabytes(size: float) -> str:
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"


def quoted(name: str) -> str:
    """A part name as it may be quoted back to a delegate: printable and short."""
    shown = "".join(c if c.isprintable() else "?" for c in name)
    return shown if len(shown) <= 60 else shown[:57] + "…"


def corrupt(detail: str | None = None) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.CORRUPT,
        f"The file is damaged or incomplete (perhaps the upload was cut short); {RESAVE}.",
        detail,
        why=Reason.DAMAGED,
    )


def zip_bomb(
    reason: str, why: Reason, detail: str | None = None, **params: str | int
) -> DocumentRefused:
    return DocumentRefused(RefusalCode.ZIP_BOMB, reason, detail, why=why, params=params)


def too_many_entries(limits: Limits) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.TOO_MANY_ENTRIES,
        f"The file has more than {limits.max_entries} internal parts, more than the platform "
        "reads (a Word document has a few dozen), so it is not read.",
        why=Reason.TOO_MANY_ENTRIES,
        params={"count": str(limits.max_entries)},
    )


def encrypted() -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.ENCRYPTED,
        "Part of the file is encrypted (protected with a password); remove the password in Word "
        "and send the document again.",
        why=Reason.ENCRYPTED,
    )


def xml_too_large(name: str, limit: int) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.TOO_LARGE,
        f"The internal part {quoted(name)} holds more than {megabytes(limit)} of "
        "text, more than the platform reads; split the document and send it again.",
        why=Reason.PART_TOO_LARGE,
        params={"part": quoted(name), "max_size": limit},
    )


def macros() -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.MACROS,
        "The file contains macros (program code); proposals must be plain Word documents, so "
        "save it as “Word Document (.docx)”, not as a macro-enabled document, and send it again.",
        why=Reason.MACROS,
    )


def activex() -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.ACTIVEX,
        "The file contains ActiveX controls, which can run program code; remove them, save the "
        "document and send it again.",
        why=Reason.ACTIVEX,
    )


def ole_object(name: str | None = None) -> DocumentRefused:
    what = f"an embedded object or file ({quoted(name)})" if name else "an embedded object"
    return DocumentRefused(
        RefusalCode.OLE_OBJECT,
        f"The file contains {what}, which could run code when opened; replace it by a picture "
        "or remove it, and send the document again.",
        why=Reason.OLE_OBJECT_NAMED if name else Reason.OLE_OBJECT,
        params={"part": quoted(name)} if name else None,
    )


def doctype(part: str) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.DOCTYPE,
        f"The internal part {quoted(part)} contains a DOCTYPE declaration, which Word never writes "
        "and which attacks such as “billion laughs” and external entities (XXE) rely on, so the "
        "file is not read.",
        why=Reason.DOCTYPE,
        params={"part": quoted(part)},
    )


def too_many_paragraphs(limit: int) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.TOO_MANY_PARAGRAPHS,
        f"The document has more than {limit:,} paragraphs, more than the platform reads; send "
        "only the text under negotiation.",
        why=Reason.TOO_MANY_PARAGRAPHS,
        params={"count": limit},
    )


def dangerous_link(what: str, where: Where, detail: str | None = None) -> DocumentRefused:
    kind = _LINK_KINDS.get(what, "scheme")
    scheme = what.partition("“")[2].rpartition(":”")[0] if kind == "scheme" else ""
    return DocumentRefused(
        RefusalCode.DANGEROUS_LINK,
        f"The document contains a link {where.english} to {what}, which could open a program or "
        "send the reader's credentials when it is clicked; only web (http, https) and e-mail "
        "(mailto) links are allowed, so remove or correct the link and send the document again.",
        detail,
        why=Reason.DANGEROUS_LINK,
        params={**where.params(), "link": kind, "scheme": scheme},
    )


def external_field(keyword: str, where: Where, part: str) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.EXTERNAL_FIELD,
        f"The document contains a field {where.english} ({keyword}) that fetches or runs content "
        "from outside the document when it is opened or updated; replace the field by its result "
        "(select it and press Ctrl+Shift+F9) and send the document again.",
        detail=f"{keyword} field in {part}",
        why=Reason.EXTERNAL_FIELD,
        params={**where.params(), "keyword": keyword},
    )


def linked_picture(where: Where, part: str) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.EXTERNAL_RELATIONSHIP,
        f"The document contains a picture or shape {where.english} that Word would fetch from "
        "outside the document when it is opened; insert the picture itself rather than a link "
        "to it, and send the document again.",
        detail=f"VML src in {part}",
        why=Reason.LINKED_PICTURE,
        params=where.params(),
    )


def mail_merge() -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.EXTERNAL_RELATIONSHIP,
        "The document is a mail-merge main document, which reads data from an outside source "
        "when it is opened; make it a normal Word document again (Mailings ▸ Start Mail Merge ▸ "
        "Normal Word Document) and send it again.",
        why=Reason.MAIL_MERGE,
    )


def external_link(where: Where) -> DocumentRefused:
    return DocumentRefused(
        RefusalCode.EXTERNAL_RELATIONSHIP,
        f"The document contains a link {where.english} to another file or program (a DDE or OLE "
        "link) whose data would be fetched when it is opened; paste the values instead and send "
        "the document again.",
        why=Reason.EXTERNAL_LINK,
        params=where.params(),
    )


_RESOURCES = {
    "image": "a linked picture",
    "frame": "a frame",
    "mailmergesource": "a mail-merge data source",
    "recipientdata": "a mail-merge recipient list",
    "font": "a linked font",
}


def outside_resource(kind: str, detail: str) -> DocumentRefused:
    """A relationship that points outside the package (`kind`: its type's last word)."""
    what = _RESOURCES.get(kind, f"a link of type “{quoted(kind)[:40]}”")
    return DocumentRefused(
        RefusalCode.EXTERNAL_RELATIONSHIP,
        f"The document refers to an outside resource ({what}) that Word would fetch when the "
        "file is opened; only hyperlinks may point outside the document, so embed or remove it "
        "and send the document again.",
        detail=detail,
        why=Reason.OUTSIDE_RESOURCE,
        params={"resource": kind if kind in _RESOURCES else "other", "type": quoted(kind)[:40]},
    )


# What an embedded package was refused for, said after "that contains".
_EMBEDDED_WHAT = {
    RefusalCode.MACROS: "macros (program code)",
    RefusalCode.ACTIVEX: "ActiveX controls, which can run program code",
    RefusalCode.OLE_OBJECT: "an embedded object that could run code",
    RefusalCode.DOCTYPE: "a DOCTYPE declaration, on which attacks against the reader rely",
    RefusalCode.EXTERNAL_RELATIONSHIP: "a link to an outside resource that would be fetched",
    RefusalCode.EXTERNAL_TEMPLATE: "a link to an outside resource that would be fetched",
    RefusalCode.DANGEROUS_LINK: "a link to a file, a network share, a script or a program",
    RefusalCode.EXTERNAL_FIELD: "a field that fetches or runs outside content",
    RefusalCode.ZIP_BOMB: "a “zip bomb”",
    RefusalCode.ENCRYPTED: "encrypted content",
    RefusalCode.TOO_LARGE: "more data than the platform reads",
    RefusalCode.TOO_MANY_ENTRIES: "more data than the platform reads",
}


def embedded(name: str, refusal: DocumentRefused) -> DocumentRefused:
    """An embedded package's refusal, said of the document that embeds it; the code stays that
    of the reason (macros are counted as macros wherever they are)."""
    what = _EMBEDDED_WHAT.get(refusal.code, "content the platform cannot check")
    return DocumentRefused(
        refusal.code,
        f"The document embeds a file ({quoted(name)}, such as the data of a chart) that contains "
        f"{what}, so the file is not read; paste the chart as a picture or remove it, and send "
        "the document again.",
        detail=f"{name}: {refusal.code.value}: {refusal.detail or refusal.reason}"[:400],
        why=Reason.EMBEDDED,
        params={"part": quoted(name), "inner": refusal.code.value},
    )

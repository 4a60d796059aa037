"""The document engine's refusals (`documents.errors.DocumentRefused`) in the reader's language.

The engine gives each refusal a `why` (one code per sentence) and its facts (`params`); the
sentences are here, one catalog message per code, so that a translator words each whole. Facts
that are phrases (where in the document, what a link points to, what an embedded file holds) come
as codes and are worded here too. Sizes are in bytes and read in the reader's locale. The engine's
English `reason` stays the audit log's record; a refusal without a `why` (none should be left)
is shown as that English sentence.
"""

from __future__ import annotations

from collections.abc import Mapping

from commands.dates import number
from commands.i18n import N_, Translate, language_of
from documents.errors import DocumentRefused, Fact, Reason
from documents.limits import MB

__all__ = ["MESSAGES", "engine_reason"]

MESSAGES: dict[Reason, str] = {
    Reason.EMPTY: N_("The file is empty."),
    Reason.TOO_LARGE: N_(
        "The file is {size}, more than the {max_size} the platform accepts; make it smaller (for "
        "example by compressing its pictures) and send it again."
    ),
    Reason.OLD_WORD: N_(
        "The file is an older Word 97–2003 document (.doc) or is protected with a password; save "
        "it in Word as an unprotected Word Document (.docx) and send it again."
    ),
    Reason.EMPTY_ZIP: N_("The file is an empty zip archive, not a Word document (.docx)."),
    Reason.PDF: N_("The file is not a Word document (.docx): it is a PDF file."),
    Reason.RTF: N_("The file is not a Word document (.docx): it is a Rich Text (.rtf) file."),
    Reason.WEB_PAGE: N_(
        "The file is not a Word document (.docx): it is a web page or an XML file, not the zip "
        "package a .docx is."
    ),
    Reason.ODD_ZIP: N_(
        "The file is not a Word document (.docx): it is a damaged or unusual zip archive."
    ),
    Reason.NOT_A_PACKAGE: N_(
        "The file is not a Word document (.docx): a .docx is a zip package, and this file is not "
        "one."
    ),
    Reason.NOT_DOCX: N_(
        "The file is not a Word document (.docx): save it as a .docx in Word and send it again."
    ),
    Reason.DAMAGED: N_(
        "The file is damaged or incomplete (perhaps the upload was cut short); open it in Word, "
        "save it again as a Word Document (.docx) and send it again."
    ),
    Reason.DAMAGED_WORD: N_(
        "The Word document is damaged and cannot be read: save it again from Word and resend it."
    ),
    Reason.UNREADABLE: N_(
        "The file could not be read as a Word document and may be damaged; open it in Word, save "
        "it again as a Word Document (.docx) and send it again."
    ),
    Reason.PART_DAMAGED: N_(
        "The internal part {part} of the file is damaged (it is not well-formed XML); open it in "
        "Word, save it again as a Word Document (.docx) and send it again."
    ),
    Reason.DUPLICATE_ENTRY: N_(
        "The file contains the internal part {part} twice, which Word never does and which can "
        "hide content from a check; open it in Word, save it again as a Word Document (.docx) and "
        "send it again."
    ),
    Reason.COMPRESSION: N_(
        "The file is compressed in a way Word never uses (method {method}); open it in Word, save "
        "it again as a Word Document (.docx) and send it again."
    ),
    Reason.EXPANDS_TOO_MUCH: N_(
        "The file would expand to more than {max_size} when opened, far more than any Word "
        "document (a “zip bomb”), so it is not read."
    ),
    Reason.EXPANSION_RATIO: N_(
        "The internal part {part} would expand {ratio} times when opened, far more than any Word "
        "document does (a “zip bomb”), so the file is not read."
    ),
    Reason.MORE_THAN_DECLARED: N_(
        "The internal part {part} holds more data than the file declares for it, a trick of “zip "
        "bombs”, so the file is not read."
    ),
    Reason.OVERLAPPING: N_(
        "The file's internal parts overlap one another, a trick of “zip bombs” that Word never "
        "uses, so the file is not read."
    ),
    Reason.UNSAFE_NAME: N_(
        "The file contains an internal part with an unsafe name ({part}) that could point outside "
        "the document, which Word never writes, so it is not read."
    ),
    Reason.TOO_MANY_ENTRIES: N_(
        "The file has more than {count} internal parts, more than the platform reads (a Word "
        "document has a few dozen), so it is not read."
    ),
    Reason.ENCRYPTED: N_(
        "Part of the file is encrypted (protected with a password); remove the password in Word "
        "and send the document again."
    ),
    Reason.PART_TOO_LARGE: N_(
        "The internal part {part} holds more than {max_size} of text, more than the platform "
        "reads; split the document and send it again."
    ),
    Reason.BAD_ENCODING: N_(
        "The internal part {part} is written in a character encoding Word documents never use "
        "({encoding}), so the file is not read."
    ),
    Reason.MACROS: N_(
        "The file contains macros (program code); proposals must be plain Word documents, so "
        "save it as “Word Document (.docx)”, not as a macro-enabled document, and send it again."
    ),
    Reason.ACTIVEX: N_(
        "The file contains ActiveX controls, which can run program code; remove them, save the "
        "document and send it again."
    ),
    Reason.OLE_OBJECT: N_(
        "The file contains an embedded object, which could run code when opened; replace it by a "
        "picture or remove it, and send the document again."
    ),
    Reason.OLE_OBJECT_NAMED: N_(
        "The file contains an embedded object or file ({part}), which could run code when "
        "opened; replace it by a picture or remove it, and send the document again."
    ),
    Reason.DOCTYPE: N_(
        "The internal part {part} contains a DOCTYPE declaration, which Word never writes and "
        "which attacks such as “billion laughs” and external entities (XXE) rely on, so the file "
        "is not read."
    ),
    Reason.TOO_MANY_PARAGRAPHS: N_(
        "The document has more than {count} paragraphs, more than the platform reads; send only "
        "the text under negotiation."
    ),
    Reason.DANGEROUS_LINK: N_(
        "The document contains a link {where} to {link}, which could open a program or send the "
        "reader's credentials when it is clicked; only web (http, https) and e-mail (mailto) "
        "links are allowed, so remove or correct the link and send the document again."
    ),
    Reason.EXTERNAL_FIELD: N_(
        "The document contains a field {where} ({keyword}) that fetches or runs content from "
        "outside the document when it is opened or updated; replace the field by its result "
        "(select it and press Ctrl+Shift+F9) and send the document again."
    ),
    Reason.NESTED_FIELD: N_(
        "The document contains a field {where} whose instruction is assembled from other fields, "
        "a way of hiding a field that fetches or runs outside content; replace the field by its "
        "result (select it and press Ctrl+Shift+F9) and send the document again."
    ),
    Reason.LINKED_PICTURE: N_(
        "The document contains a picture or shape {where} that Word would fetch from outside the "
        "document when it is opened; insert the picture itself rather than a link to it, and send "
        "the document again."
    ),
    Reason.MAIL_MERGE: N_(
        "The document is a mail-merge main document, which reads data from an outside source "
        "when it is opened; make it a normal Word document again (Mailings ▸ Start Mail Merge ▸ "
        "Normal Word Document) and send it again."
    ),
    Reason.EXTERNAL_LINK: N_(
        "The document contains a link {where} to another file or program (a DDE or OLE link) "
        "whose data would be fetched when it is opened; paste the values instead and send the "
        "document again."
    ),
    Reason.EMBEDDED: N_(
        "The document embeds a file ({part}, such as the data of a chart) that contains {what}, "
        "so the file is not read; paste the chart as a picture or remove it, and send the "
        "document again."
    ),
    Reason.EMBEDDED_TOO_DEEP: N_(
        "The document embeds files inside embedded files more deeply than the platform checks; "
        "paste the chart as a picture or remove it, and send the document again."
    ),
    Reason.NO_CONTENT_TYPES: N_(
        "The file is a zip archive but not a Word document: it lacks the list of contents "
        "([Content_Types].xml) that every .docx has."
    ),
    Reason.NO_MAIN_PART: N_(
        "The file is a zip archive but not a Word document: it has no main document part; open "
        "it in Word, save it again as a Word Document (.docx) and send it again."
    ),
    Reason.EXCEL: N_(
        "The file is an Excel workbook renamed .docx; save the proposal as a Word Document "
        "(.docx) and send it again."
    ),
    Reason.POWERPOINT: N_(
        "The file is a PowerPoint presentation renamed .docx; save the proposal as a Word "
        "Document (.docx) and send it again."
    ),
    Reason.TEMPLATE: N_(
        "The file is a Word template (.dotx), not a document; save the proposal as a Word "
        "Document (.docx) and send it again."
    ),
    Reason.NOT_WORD: N_(
        "The file is not a Word document; save the proposal as a Word Document (.docx) and send "
        "it again."
    ),
    Reason.ALT_CHUNK: N_(
        "The document imports content from another file (an “alternative format chunk”), which "
        "the platform cannot check; paste that content into the document itself and send it "
        "again."
    ),
    Reason.SUB_DOCUMENT: N_(
        "The file is a master document that pulls in sub-documents; merge them into one "
        "self-contained document and send it again."
    ),
    Reason.EXTERNAL_TEMPLATE: N_(
        "The document is attached to an external template, which Word fetches when the file is "
        "opened, a known way of delivering malicious code; detach the template (Developer ▸ "
        "Document Template) or paste the text into a new document, and send it again."
    ),
    Reason.OUTSIDE_RESOURCE: N_(
        "The document refers to an outside resource ({resource}) that Word would fetch when the "
        "file is opened; only hyperlinks may point outside the document, so embed or remove it "
        "and send the document again."
    ),
    Reason.TIMEOUT: N_(
        "Reading the file took longer than {seconds} seconds, so it was stopped; a document this "
        "slow to read is damaged or built to overload the platform."
    ),
    Reason.TOO_MUCH_MEMORY: N_(
        "Reading the file needed more than {max_size} of memory, so it was stopped; a document "
        "this heavy to read is damaged or built to overload the platform."
    ),
    Reason.NOT_DOCX_NAME: N_("“{file}” is not a Word document: send a .docx named {expected}."),
    Reason.NO_COUNTRY_CODE: N_(
        "“{file}” does not start with an ISO 3166 country code: name it {expected}."
    ),
    Reason.WRONG_DELEGATION: N_(
        "“{file}” is named for {code}, but you speak for {delegation}: name it {expected}."
    ),
    Reason.WRONG_DOCUMENT: N_(
        "“{file}” does not name the document “{document}”: name it {expected}."
    ),
    Reason.NO_TRACKED_CHANGES: N_(
        "“{file}” contains no tracked changes. Turn on Track Changes (Review → Track Changes) in "
        "the base document, make your changes, and send it again."
    ),
    Reason.BASE_HAS_CHANGES: N_(
        "The base document itself contains tracked changes; accept or reject them before it is "
        "used as the base of proposals."
    ),
    Reason.BASE_INCONSISTENT: N_("The base document's paragraphs could not be read consistently."),
    Reason.NO_PROPOSALS: N_("No proposal could be compiled:"),
}

# Proposals made on another text: where the difference begins is a paragraph, or the first one.
_NOT_THE_CURRENT_BASE = {
    True: N_(
        "“{file}” does not seem to be made on the current version of the base: with all its "
        "changes rejected it differs from it from paragraph {paragraph} on. Download the current "
        "version and make your changes on it with Track Changes on."
    ),
    False: N_(
        "“{file}” does not seem to be made on the current version of the base: with all its "
        "changes rejected it differs from it from the first paragraph on. Download the current "
        "version and make your changes on it with Track Changes on."
    ),
}
# Changes made without Track Changes: (in a numbered paragraph?, with an excerpt?).
_UNTRACKED = {
    (True, True): N_(
        "“{file}” contains changes made without Track Changes in paragraph {paragraph} "
        "(“{excerpt}”). Make every change with Track Changes on, so that the Chair can compile it."
    ),
    (True, False): N_(
        "“{file}” contains changes made without Track Changes in paragraph {paragraph}. Make "
        "every change with Track Changes on, so that the Chair can compile it."
    ),
    (False, True): N_(
        "“{file}” contains changes made without Track Changes in the first paragraph "
        "(“{excerpt}”). Make every change with Track Changes on, so that the Chair can compile it."
    ),
    (False, False): N_(
        "“{file}” contains changes made without Track Changes in the first paragraph. Make every "
        "change with Track Changes on, so that the Chair can compile it."
    ),
}

# Where in the document (`documents.refusals.Where`): said where {where} stands.
_PLACES = {
    "text": N_("in the text"),
    "header": N_("in a header"),
    "footer": N_("in a footer"),
    "footnote": N_("in a footnote"),
    "endnote": N_("in an endnote"),
    "comment": N_("in a comment"),
    "glossary": N_("in a building block (the document's glossary)"),
    "settings": N_("in the document's settings"),
    "workbook": N_("in an embedded workbook"),
    "package": N_("in the package"),
    "part": N_("in its internal part {part}"),
}
# What a refused link points to (`documents.links`), said after "a link … to".
_LINKS = {
    "file": N_("a file on a computer or a network share"),
    "script": N_("a script"),
    "data": N_("content written into the link itself"),
    "program": N_("a program on the reader's computer"),
    "mail_attachment": N_("an e-mail that attaches a file from the reader's computer"),
    "built": N_("an address built by another field, which could be anything"),
    "scheme": N_("an address of a kind the platform does not allow (“{scheme}:”)"),
}
# The outside resources a relationship may point to, said in brackets.
_RESOURCES = {
    "image": N_("a linked picture"),
    "frame": N_("a frame"),
    "mailmergesource": N_("a mail-merge data source"),
    "recipientdata": N_("a mail-merge recipient list"),
    "font": N_("a linked font"),
    "other": N_("a link of type “{type}”"),
}
# What an embedded package was refused for (by its `RefusalCode`), said after "that contains".
_EMBEDDED = {
    "macros": N_("macros (program code)"),
    "activex": N_("ActiveX controls, which can run program code"),
    "ole_object": N_("an embedded object that could run code"),
    "doctype": N_("a DOCTYPE declaration, on which attacks against the reader rely"),
    "external_relationship": N_("a link to an outside resource that would be fetched"),
    "external_template": N_("a link to an outside resource that would be fetched"),
    "dangerous_link": N_("a link to a file, a network share, a script or a program"),
    "external_field": N_("a field that fetches or runs outside content"),
    "zip_bomb": N_("a “zip bomb”"),
    "encrypted": N_("encrypted content"),
    "too_large": N_("more data than the platform reads"),
    "too_many_entries": N_("more data than the platform reads"),
}
_EMBEDDED_OTHER = N_("content the platform cannot check")
_SIZES = frozenset({"size", "max_size"})


def _megabytes(n: int, language: str) -> str:
    """As the engine says a size in English ("25 MB", "1.5 MB"), in the reader's locale."""
    return f"{number(round(n / MB, 1), language, '0.#')} MB"


def _text(params: Mapping[str, Fact], name: str) -> str:
    return str(params.get(name, ""))


def engine_reason(refused: DocumentRefused, _: Translate = str) -> str:
    """The refusal's sentence in the reader's language (`_`); a refusal of a compilation is
    followed by each proposal left out and why, one per line."""
    language = language_of(_)
    params = refused.params
    facts: dict[str, str] = {
        name: _megabytes(value, language)
        if name in _SIZES and isinstance(value, int)
        else number(value, language)
        if isinstance(value, int)
        else value
        for name, value in params.items()
    }
    match refused.why:
        case None:
            return refused.reason
        case Reason.NOT_THE_CURRENT_BASE:
            message = _NOT_THE_CURRENT_BASE[bool(_text(params, "paragraph"))]
        case Reason.UNTRACKED_CHANGES:
            message = _UNTRACKED[bool(_text(params, "paragraph")), bool(_text(params, "excerpt"))]
        case Reason.NO_PROPOSALS:
            lines = [_(MESSAGES[Reason.NO_PROPOSALS])]
            lines += [
                _(N_("{file}: {reason}")).format(file=name, reason=engine_reason(r, _))
                for name, r in refused.left_out
            ]
            return "\n".join(lines)
        case why:
            message = MESSAGES[why]
    if "place" in params:
        facts["where"] = _(_PLACES.get(_text(params, "place"), _PLACES["part"])).format(
            part=_text(params, "place_part")
        )
    if "link" in params:
        facts["link"] = _(_LINKS.get(_text(params, "link"), _LINKS["scheme"])).format(
            scheme=_text(params, "scheme")
        )
    if "resource" in params:
        facts["resource"] = _(_RESOURCES.get(_text(params, "resource"), _RESOURCES["other"]))
        facts["resource"] = facts["resource"].format(type=_text(params, "type"))
    if "inner" in params:
        facts["what"] = _(_EMBEDDED.get(_text(params, "inner"), _EMBEDDED_OTHER))
    return _(message).format(**facts)

"""What a link or a field of an untrusted document may point to or do (the documents gate).

A document re-posted to every delegation must not carry a link that opens a local file, a
network share (which sends the reader's Windows credentials), a script or a program, nor a field
that fetches or runs outside content when the document is opened or its fields are updated.

`judge_link(target)` lets through only web (`http`, `https`) and e-mail (`mailto`) links, and
links within the document (`#bookmark`). A target is judged in every way a lenient reader could
read it: as written, and percent-decoded (repeatedly), each with white space, control and
invisible formatting characters removed wherever they are; every reading must pass. A target
without a scheme is a path next to the document, so a file: it is refused too.

`judge_field(instruction)` reads a field's instruction the way Word does (the keyword first,
in any case) and refuses the fields that include or link outside content (`INCLUDETEXT`,
`INCLUDEPICTURE`, `INCLUDE`, `IMPORT`, `LINK`, `DDE`, `DDEAUTO`, `DATABASE`, `RD`), and a
`HYPERLINK` field whose target `judge_link` refuses or is built by a nested field. A field whose
keyword a nested field could supply or complete (`keyword_settled`) is refused by the gate,
since Word reads a nested field's result as code. Pure functions; the gate
(`documents.package_gate`, `documents.content_scan`) finds the links and fields in the package
and `documents.refusals` words the refusals.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = [
    "BUILT",
    "DATA",
    "EXTERNAL_FIELDS",
    "FILE",
    "MAIL_ATTACHMENT",
    "PROGRAM",
    "SCRIPT",
    "FieldVerdict",
    "hyperlink_targets",
    "judge_field",
    "judge_link",
    "keyword_settled",
]

# What a refused target points to, in a delegate's words ("a link to …").
FILE = "a file on a computer or a network share"
SCRIPT = "a script"
DATA = "content written into the link itself"
PROGRAM = "a program on the reader's computer"
MAIL_ATTACHMENT = "an e-mail that attaches a file from the reader's computer"
BUILT = "an address built by another field, which could be anything"

_SCRIPT_SCHEMES = frozenset({"javascript", "vbscript", "jscript", "livescript", "ecmascript"})
# Schemes that Windows hands to an installed program: Office's own (ms-word:, ms-excel:, …),
# Windows search (search-ms:, whose "location" may be a share), the diagnostic tool of
# CVE-2022-30190 (ms-msdt:), and the like. Any other scheme is refused as well; these only get a
# more telling reason.
_PROGRAM_PREFIXES = ("ms-", "search", "shell", "microsoft-", "its", "mk", "res", "hcp", "vnd.")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
# A mail client that honours `attach=` in a mailto link attaches a local file (CVE-2020-12673 and
# the like); the parameter has no other use.
_MAIL_ATTACH = re.compile(r"[?&](?:attach|attachment)=")
_MAX_DECODINGS = 4

# Fields whose instruction makes Word read outside content: a file, a picture, another
# program's data (DDE), an OLE link, a database, or the headings of another document.
EXTERNAL_FIELDS = frozenset(
    {"INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "IMPORT", "LINK", "DDE", "DDEAUTO", "DATABASE",
     "RD"}
)  # fmt: skip
# Switches of HYPERLINK that take an argument which is not the link's target: a bookmark (\l),
# a tool tip (\o), a target frame (\t), and the general format switches.
_ARGUMENT_SWITCHES = frozenset("lotLOT*#@")
_SWITCH = re.compile(r"\\[A-Za-z*#@!]")
_KEYWORD = re.compile(r"[A-Za-z]+")


def _invisible(c: str) -> bool:
    """White space, a control character (C0, DEL, C1) or an invisible format character (zero
    width space, byte order mark, bidirectional controls): what a reader may skip or strip."""
    return c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _cleaned(text: str) -> str:
    return "".join(c for c in text if not _invisible(c)).lower()


def _readings(target: str) -> list[str]:
    """The target as written and percent-decoded once, twice, …, each cleaned."""
    readings = [_cleaned(target)]
    text = target
    for _ in range(_MAX_DECODINGS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
        readings.append(_cleaned(text))
    return readings


def _judge_reading(reading: str) -> str | None:
    if reading == "" or reading.startswith("#"):
        return None  # the document itself, or a place in it
    if reading.startswith(("\\", "/")):
        return FILE  # \\host\share, //host/share, /path
    match = _SCHEME.match(reading)
    if match is None:
        return FILE  # a path, which the reader's program looks up next to the document
    scheme = match.group(1)
    if scheme in ("http", "https"):
        return None
    if scheme == "mailto":
        return MAIL_ATTACHMENT if _MAIL_ATTACH.search(reading) else None
    if len(scheme) == 1 or scheme == "file":
        return FILE  # a drive letter (C:\…) or file:
    if scheme in _SCRIPT_SCHEMES:
        return SCRIPT
    if scheme == "data":
        return DATA
    if scheme.startswith(_PROGRAM_PREFIXES):
        return PROGRAM
    return f"an address of a kind the platform does not allow (“{scheme[:20]}:”)"


def judge_link(target: str) -> str | None:
    """None if a link to `target` may stay in a document; otherwise what it points to, to be
    said after "a link to" (`target` is never repeated: it may be an attacker's address)."""
    for reading in _readings(target):
        problem = _judge_reading(reading)
        if problem is not None:
            return problem
    return None


@dataclass(frozen=True)
class FieldVerdict:
    """Why a field is refused: `keyword` is one of `EXTERNAL_FIELDS`, or "HYPERLINK" with
    `link` saying what the target points to."""

    keyword: str
    link: str | None = None


def _keywords(instruction: str) -> set[str]:
    """The field's keyword, as Word reads it (leading white space skipped, any case) and with
    invisible characters removed, which could otherwise hide it from one reading or the other."""
    found = set()
    for text in (instruction.lstrip(), "".join(c for c in instruction if not _invisible(c))):
        match = _KEYWORD.match(text)
        if match:
            found.add(match.group(0).upper())
    return found


def _tokens(text: str) -> list[tuple[str, bool]]:
    """A field instruction's arguments: (text, quoted). In quotes, `\\"` is a quote and `\\\\` a
    backslash, as Word writes them."""
    tokens: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == '"':
            i += 1
            out = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                out.append(text[i])
                i += 1
            tokens.append(("".join(out), True))
            i += 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        tokens.append((text[start:i], False))
    return tokens


def hyperlink_targets(instruction: str) -> list[str]:
    """The targets of a `HYPERLINK` field: every argument that is neither a switch nor the
    argument of a switch that takes one (a bookmark, a tool tip, a frame, a format)."""
    start = 0
    while start < len(instruction) and _invisible(instruction[start]):
        start += 1
    match = _KEYWORD.match(instruction, start)
    rest = instruction[match.end() :] if match else instruction[start:]
    targets: list[str] = []
    skip = False
    for token, quoted in _tokens(rest):
        if skip:
            skip = False
            continue
        if not quoted and _SWITCH.fullmatch(token):
            skip = token[1] in _ARGUMENT_SWITCHES
            continue
        targets.append(token)
    return targets


def keyword_settled(code: str) -> bool:
    """Whether a field's keyword is complete in `code`, its instruction read so far, so that a
    field nested at this point can neither stand for it nor lengthen it. Word puts a nested
    field's result into the code before it reads the keyword, which is how `DDE` is hidden as
    `{ {QUOTE 68 68 69} … }`, or as `DD` followed by a field whose result is `E`."""
    for text in (code, "".join(c for c in code if c.isspace() or not _invisible(c))):
        rest = text.lstrip()
        if not rest:
            return False
        match = _KEYWORD.match(rest)
        if match is not None and match.end() == len(rest):
            return False
    return True


def judge_field(instruction: str, *, nested: bool = False) -> FieldVerdict | None:
    """None if a field with this instruction may stay in a document, otherwise why not.
    `nested`: other fields were nested in its code, whose results Word puts into it."""
    keywords = _keywords(instruction)
    external = sorted(keywords & EXTERNAL_FIELDS)
    if external:
        return FieldVerdict(external[0])
    if "HYPERLINK" in keywords and nested:
        return FieldVerdict("HYPERLINK", BUILT)
    if "HYPERLINK" in keywords:
        for target in hyperlink_targets(instruction):
            problem = judge_link(target)
            if problem is not None:
                return FieldVerdict("HYPERLINK", problem)
    return None

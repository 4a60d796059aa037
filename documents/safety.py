"""The safety gate for untrusted `.docx` files: check the package before anything parses it, then
parse it in a sandboxed child process with time and memory limits.

`check_package(data)` reads the zip structure itself and refuses, with a `DocumentRefused` that
says why in a delegate's words, anything a Word document never is: too big, not a zip, damaged,
a zip bomb (declared sizes are checked, then every entry is inflated under a byte budget, since
declared sizes can lie), encrypted, duplicate or unsafe entry names, a DOCTYPE in any XML part
(billion laughs and XXE both need one), macros, ActiveX, OLE embeddings, `altChunk`, `subDoc`,
an external relationship other than a hyperlink (an external `attachedTemplate` is its own case),
a link other than a web or e-mail one (`documents.links`) in any part's relationships, in a
`HYPERLINK` field or on a VML shape, a field that fetches or runs outside content (`INCLUDETEXT`,
`DDE`, …), a mail merge, a workbook's DDE or OLE link, or more paragraphs than the engine reads.
A chart's embedded workbook goes through this same gate, recursively (two levels at most);
anything else embedded is refused. Only `[Content_Types].xml` and the `.rels` parts are parsed
into trees here, after their DOCTYPE scan, with `parse_xml`, the one XML parser configuration the
rest of `documents/` uses too; the WordprocessingML and VML parts are streamed, after the same
scan, through lxml's pull parser, which holds one paragraph at a time.

`parse_with_limits(fn, data)` then runs the real reader (python-docx and lxml, a module-level
function) in a fresh child process under `RLIMIT_AS` and a wall-clock timeout, in a sandbox
(`documents.sandbox`: no inherited descriptors, no environment, an empty working directory, an
unprivileged user), and reads its answer as JSON (`documents.wire`), never as a pickle: a file
that gets past the gate and still overloads, or even takes over, the parser costs one child
process, never the bot nor its secrets.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import posixpath
import re
import resource
import signal
import struct
import sys
import time
import traceback
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any, TypeVar, cast
from urllib.parse import unquote

from lxml import etree

from documents import sandbox, wire
from documents.errors import DocumentRefused, EngineFault, RefusalCode
from documents.links import judge_field, judge_link, keyword_settled
from documents.wire import WireError

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "check_package",
    "count_paragraphs",
    "parse_with_limits",
    "parse_xml",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much an untrusted file may cost. The defaults fit real proposals with a wide margin."""

    # SPEC §3 and issue #4: 25 MB. Word's own proposals are tens of kilobytes to a few megabytes;
    # pictures are what make a .docx big.
    max_bytes: int = 25 * MB
    # A Word document has 10 to 40 parts plus one per picture; 1000 leaves room for a picture-heavy
    # report and keeps the central directory (and zipfile's objects for it) small.
    max_entries: int = 1000
    # About ten times the size cap: pictures are already compressed (ratio ≈ 1) and Word's XML
    # inflates 5 to 30 times, so only an all-XML 25 MB file could come near this.
    max_uncompressed_total: int = 256 * MB
    # Word's XML inflates up to ~30× (python-docx's own styles.xml: 29×), deflate at most ~1032×.
    # 100× is Apache POI's default (ZipSecureFile's minimum inflate ratio of 0.01).
    max_ratio: float = 100.0
    # The ratio is only judged on entries that inflate past this: a tiny, very regular part is
    # harmless whatever its ratio, and the total cap bounds many of them.
    ratio_grace_bytes: int = 1 * MB
    # A 1000-page document.xml is ~30 MB; lxml needs ~8× the text in memory (measured: 30 MB of
    # XML peaks at ~250 MB through python-docx), which stays well inside `parse_memory_bytes`.
    max_xml_part_bytes: int = 32 * MB
    # The Plan's base is ~300 paragraphs and the largest texts of the working group a few
    # thousand; 20 000 is ~700 pages, beyond which compiling and the matrix stop being useful.
    max_paragraphs: int = 20_000
    # python-docx opens a 30 MB document.xml in ~0.3 s here; 30 s leaves room for a slow, busy
    # host and is still an answer the delegate waits for.
    parse_seconds: float = 30.0
    # Address space of the parsing child: its interpreter with lxml and python-docx is ~40 MB;
    # the largest part allowed above needs ~300 MB to parse.
    parse_memory_bytes: int = 1024 * MB

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")


DEFAULT_LIMITS = Limits()

# ---------------------------------------------------------------------------------------------
# Reasons

_RESAVE = "open it in Word, save it again as a Word Document (.docx) and send it again"


def _refuse(code: RefusalCode, reason: str, detail: str | None = None) -> DocumentRefused:
    return DocumentRefused(code, reason, detail)


def _mb(size: float) -> str:
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"


def _show(name: str) -> str:
    """A part name as it may be quoted back to a delegate: printable and short."""
    shown = "".join(c if c.isprintable() else "?" for c in name)
    return shown if len(shown) <= 60 else shown[:57] + "…"


def _corrupt(detail: str | None = None) -> DocumentRefused:
    return _refuse(
        RefusalCode.CORRUPT,
        f"The file is damaged or incomplete (perhaps the upload was cut short); {_RESAVE}.",
        detail,
    )


def _zip_bomb(reason: str, detail: str | None = None) -> DocumentRefused:
    return _refuse(RefusalCode.ZIP_BOMB, reason, detail)


# ---------------------------------------------------------------------------------------------
# The gate


def check_package(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Return if `data` is safe to hand to the parser; raise `DocumentRefused` otherwise.

    Bounded work: the checks stop at the first problem, every entry is inflated in chunks under
    its declared size, the only XML parsed into trees is the small `[Content_Types].xml` and
    `.rels`, and a part that may hold fields or links is streamed through a parser that holds one
    paragraph at a time (and only if it names a field, a link or a shape at all). An embedded
    workbook shares the document's budget of inflated bytes.
    """
    _check_package(data, limits, depth=0, main_types=_MAIN_TYPES)


def _check_package(data: bytes, limits: Limits, *, depth: int, main_types: frozenset[str]) -> None:
    """The gate for a package: the document itself (depth 0), or a package embedded in it."""
    _check_envelope(data, limits)
    _check_directory_size(data, limits)
    archive = _open_zip(data)
    infos = archive.infolist()
    uncompressed = _check_entries(infos, data, limits)
    package = _Package(
        data,
        limits,
        {info.filename: info for info in infos},
        depth=depth,
        main_types=main_types,
        uncompressed=uncompressed,
    )
    package.check()


def _check_envelope(data: bytes, limits: Limits) -> None:
    if not data:
        raise _refuse(RefusalCode.EMPTY, "The file is empty.")
    if len(data) > limits.max_bytes:
        raise _refuse(
            RefusalCode.TOO_LARGE,
            f"The file is {_mb(len(data))}, more than the {_mb(limits.max_bytes)} the platform "
            "accepts; make it smaller (for example by compressing its pictures) and send it again.",
        )
    if data.startswith(b"PK\x03\x04"):
        return
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # The OLE2 compound file: Word 97–2003, and also how Word stores a password-protected
        # .docx (an EncryptedPackage stream).
        raise _refuse(
            RefusalCode.NOT_DOCX,
            "The file is an older Word 97–2003 document (.doc) or is protected with a password; "
            "save it in Word as an unprotected Word Document (.docx) and send it again.",
        )
    if data.startswith(b"PK\x05\x06"):
        raise _refuse(
            RefusalCode.NOT_DOCX, "The file is an empty zip archive, not a Word document (.docx)."
        )
    raise _refuse(
        RefusalCode.NOT_ZIP,
        f"The file is not a Word document (.docx): {_what_it_is(data)}.",
    )


def _what_it_is(data: bytes) -> str:
    head = data[:16].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")
    if head.startswith(b"%PDF"):
        return "it is a PDF file"
    if head.startswith(b"{\\rtf"):
        return "it is a Rich Text (.rtf) file"
    if head.startswith(b"<"):
        return "it is a web page or an XML file, not the zip package a .docx is"
    if head.startswith(b"PK"):
        return "it is a damaged or unusual zip archive"
    return "a .docx is a zip package, and this file is not one"


def _check_directory_size(data: bytes, limits: Limits) -> None:
    """Count entries from the end-of-central-directory record before zipfile builds an object per
    entry: a 25 MB central directory could otherwise describe half a million entries."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) - end < 22:
        raise _corrupt("no end of central directory")
    disk, cd_disk, entries_here, entries, cd_size, _, _ = struct.unpack(
        "<4H2LH", data[end + 4 : end + 22]
    )
    if disk or cd_disk or entries_here != entries:
        raise _corrupt("multi-disk archive")
    locator = end - 20
    if locator >= 56 and data[locator : locator + 4] == b"PK\x06\x07":
        # Zip64: zipfile takes the real counts from the record just before the locator.
        record = data[locator - 56 : locator]
        if record[:4] == b"PK\x06\x06":
            entries64, cd_size64 = struct.unpack("<QQ", record[32:48])
            entries, cd_size = max(entries, entries64), max(cd_size, cd_size64)
    # An entry takes at least 46 bytes of directory; Word's take ~100.
    if entries > limits.max_entries or cd_size > limits.max_entries * 1024:
        raise _too_many_entries(limits)


def _too_many_entries(limits: Limits) -> DocumentRefused:
    return _refuse(
        RefusalCode.TOO_MANY_ENTRIES,
        f"The file has more than {limits.max_entries} internal parts, more than the platform "
        "reads (a Word document has a few dozen), so it is not read.",
    )


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(BytesIO(data))
    except Exception as error:  # any failure to read the directory means a damaged file
        raise _corrupt(f"{type(error).__name__}: {error}"[:200]) from None


_DRIVE = re.compile(r"^[A-Za-z]:")
_IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".gif", ".bmp", ".dib", ".tif", ".tiff", ".emf", ".wmf",
     ".emz", ".wmz", ".svg", ".ico", ".webp"}
)  # fmt: skip
_XML_EXTENSIONS = (".xml", ".rels")


def _extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def _check_entries(infos: list[zipfile.ZipInfo], data: bytes, limits: Limits) -> int:
    """Check every entry's name, flags and declared sizes; return their declared total."""
    if len(infos) > limits.max_entries:
        raise _too_many_entries(limits)
    seen: set[str] = set()
    folded: set[str] = set()
    total = 0
    for info in infos:
        name = info.orig_filename
        _check_name(name)
        if name in seen or name.casefold() in folded:
            raise _refuse(
                RefusalCode.DUPLICATE_ENTRY,
                f"The file contains the internal part {_show(name)} twice, which Word never does "
                f"and which can hide content from a check; {_RESAVE}.",
            )
        seen.add(name)
        folded.add(name.casefold())
        if info.flag_bits & 0x41 or info.compress_type == 99:  # encrypted, strong or AES
            raise _encrypted()
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(
                RefusalCode.NOT_DOCX,
                f"The file is compressed in a way Word never uses (method {info.compress_type}); "
                f"{_RESAVE}.",
            )
        total += info.file_size
        if total > limits.max_uncompressed_total:
            raise _zip_bomb(
                f"The file would expand to more than {_mb(limits.max_uncompressed_total)} when "
                "opened, far more than any Word document (a “zip bomb”), so it is not read."
            )
        if info.file_size > limits.ratio_grace_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise _zip_bomb(
                f"The internal part {_show(name)} would expand {ratio} times when opened, far "
                "more than any Word document does (a “zip bomb”), so the file is not read."
            )
        if name.lower().endswith(_XML_EXTENSIONS) and info.file_size > limits.max_xml_part_bytes:
            raise _xml_too_large(name, limits.max_xml_part_bytes)
        _check_name_kind(name)
    _check_overlaps(infos, data)
    return total


def _check_name(name: str) -> None:
    segments = name.split("/")
    if (
        not name
        or "\\" in name
        or name.startswith("/")
        or _DRIVE.match(name)
        or any(segment in ("", ".", "..") for segment in segments[:-1])
        or segments[-1] in (".", "..")
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    ):
        raise _refuse(
            RefusalCode.PATH_TRAVERSAL,
            f"The file contains an internal part with an unsafe name ({_show(name)}) that could "
            "point outside the document, which Word never writes, so it is not read.",
        )


def _check_name_kind(name: str) -> None:
    """What a part's name alone gives away: macros and ActiveX controls live in known places."""
    lower = name.lower()
    base = posixpath.basename(lower)
    if base in ("vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin") or (
        base.endswith(".bin") and "vba" in base
    ):
        raise _macros()
    if "activex" in lower.split("/")[:-1] or base.startswith("activex"):
        raise _activex()


def _check_overlaps(infos: list[zipfile.ZipInfo], data: bytes) -> None:
    """Entries whose data overlap are how the strongest zip bombs reuse one compressed kernel."""
    previous_end = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < previous_end:
            raise _zip_bomb(
                "The file's internal parts overlap one another, a trick of “zip bombs” that Word "
                "never uses, so the file is not read."
            )
        previous_end = info.header_offset + 30 + len(info.orig_filename) + info.compress_size
    if previous_end > len(data):
        raise _corrupt("entry data beyond the end of the file")


def _encrypted() -> DocumentRefused:
    return _refuse(
        RefusalCode.ENCRYPTED,
        "Part of the file is encrypted (protected with a password); remove the password in Word "
        "and send the document again.",
    )


def _xml_too_large(name: str, limit: int) -> DocumentRefused:
    return _refuse(
        RefusalCode.TOO_LARGE,
        f"The internal part {_show(name)} holds more than {_mb(limit)} of "
        "text, more than the platform reads; split the document and send it again.",
    )


def _macros() -> DocumentRefused:
    return _refuse(
        RefusalCode.MACROS,
        "The file contains macros (program code); proposals must be plain Word documents, so "
        "save it as “Word Document (.docx)”, not as a macro-enabled document, and send it again.",
    )


def _activex() -> DocumentRefused:
    return _refuse(
        RefusalCode.ACTIVEX,
        "The file contains ActiveX controls, which can run program code; remove them, save the "
        "document and send it again.",
    )


def _ole_object(name: str | None = None) -> DocumentRefused:
    what = f"an embedded object or file ({_show(name)})" if name else "an embedded object"
    return _refuse(
        RefusalCode.OLE_OBJECT,
        f"The file contains {what}, which could run code when opened; replace it by a picture "
        "or remove it, and send the document again.",
    )


# ---------------------------------------------------------------------------------------------
# Inflating entries under a budget

_CHUNK = 64 * 1024
_HEAD = 1024


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield an entry's bytes in chunks of at most 64 KiB, refusing as soon as it inflates past its
    declared size (a lying zip bomb), and checking the CRC at the end."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _corrupt(f"no local header for {info.orig_filename!r}")
    flags, method = struct.unpack("<HH", header[6:10])
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    if flags & 0x41:
        raise _encrypted()
    raw_name = data[offset + 30 : offset + 30 + name_length]
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if raw_name.decode(encoding, errors="replace") != info.orig_filename or method != (
        info.compress_type
    ):
        # zipfile refuses this too; a name that differs between the two directories is a way to
        # show one checker a different part than the one the reader gets.
        raise _corrupt(f"local header disagrees for {info.orig_filename!r}")
    start = offset + 30 + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        raise _corrupt(f"data of {info.orig_filename!r} runs past the end")
    view = memoryview(data)
    produced = 0
    crc = 0
    if method == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise _corrupt(f"stored sizes differ for {info.orig_filename!r}")
        for position in range(start, end, _CHUNK):
            chunk = bytes(view[position : min(position + _CHUNK, end)])
            crc = zlib.crc32(chunk, crc)
            produced += len(chunk)
            yield chunk
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        position = start
        while True:
            if inflater.unconsumed_tail or position >= end:
                feed: bytes | memoryview = inflater.unconsumed_tail
            else:
                feed = view[position : min(position + _CHUNK, end)]
                position += len(feed)
            try:
                chunk = inflater.decompress(feed, _CHUNK)
            except zlib.error as error:
                raise _corrupt(f"{info.orig_filename!r}: {error}") from None
            produced += len(chunk)
            if produced > info.file_size:
                raise _zip_bomb(
                    f"The internal part {_show(info.orig_filename)} holds more data than the file "
                    "declares for it, a trick of “zip bombs”, so the file is not read."
                )
            if chunk:
                crc = zlib.crc32(chunk, crc)
                yield chunk
            if inflater.eof:
                break
            if not chunk and not inflater.unconsumed_tail and position >= end:
                raise _corrupt(f"deflate stream of {info.orig_filename!r} is cut short")
    if produced != info.file_size or crc != info.CRC:
        raise _corrupt(f"size or CRC mismatch for {info.orig_filename!r}")


# ---------------------------------------------------------------------------------------------
# Scanning XML without parsing it

# The only `<!` constructs a document needs are comments and CDATA sections; every markup
# declaration (DOCTYPE, ENTITY, ELEMENT, ATTLIST, NOTATION) starts `<!` and a letter.
_DECLARATION = re.compile(r"<![A-Za-z]")
# The same, on the raw bytes, whatever the decoding decided: UTF-8 and both UTF-16 byte orders.
_RAW_DECLARATION = re.compile(rb"<![A-Za-z]|<\x00!\x00[A-Za-z]\x00|\x00<\x00!\x00[A-Za-z]")
# A paragraph start tag `<w:p>`, `<w:p/>`, `<w:p w:rsidR=…>`, with any prefix or none; not
# `<w:pPr>` or `<w:proofErr>`.
_PARAGRAPH = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?p[\s/>]")
_ENCODING_DECLARATION = re.compile(r"<\?xml[^>]*?\sencoding\s*=\s*[\"']([^\"']*)[\"']")
# The names the content scanner reacts to, as they must be written: XML names are case sensitive
# and cannot be spelled with character references (unlike namespaces and values), so a part in
# which none of these appears holds nothing the scanner would refuse. Shortened to what is
# common to several, to search the text fewer times: (del)InstrText, fldChar and fldSimple,
# ddeLink and oleLink, mailMerge, href, src.
_CONTENT_MARKERS = ("nstrText", "fld", "eLink", "ilMerge", "href", "src")
_CARRY = 256  # longer than any match above can usefully be; see `_XmlScanner._scan`
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_UTF16_NAMES = frozenset({"utf-16", "utf16", "utf-16le", "utf-16be"})


class _XmlScanner:
    """Streams one XML part: refuses any markup declaration, counts paragraph start tags.

    The encoding is decided the way the parser would (byte order mark, first bytes, then the
    declaration), and only UTF-8 and UTF-16 are allowed, as Open Packaging Conventions require:
    an exotic encoding (UTF-7, EBCDIC, UCS-4) would hide a DOCTYPE from a byte scan.
    """

    def __init__(
        self,
        part: str,
        *,
        count: bool = False,
        max_paragraphs: int | None = None,
        content: _ContentScanner | None = None,
    ):
        self.part = part
        self.paragraphs = 0
        self._count = count or max_paragraphs is not None
        self._max_paragraphs = max_paragraphs
        self._head = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._carry = ""
        self._raw_carry = b""
        # The bytes go on to the content scanner (a real XML parser) only once this scan has
        # passed them (the encoding decided, no markup declaration in them), and only if the part
        # names anything it looks for (`_CONTENT_MARKERS`): until then they wait in `_pending`.
        # Most parts name none, and are not parsed at all.
        self._content = content
        self._marked = False
        self._pending: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self._scan_raw(chunk)
        if self._decoder is None:
            self._head += chunk
            if len(self._head) < _HEAD:
                return
            chunk, self._head = self._head, b""
            self._decoder = self._start(chunk)
        self._scan(self._decoder.decode(chunk))
        self._pass_on(chunk)

    def close(self) -> None:
        if self._decoder is None:
            chunk, self._head = self._head, b""
            self._decoder = self._start(chunk)
            self._scan(self._decoder.decode(chunk))
            self._pass_on(chunk)
        self._scan(self._decoder.decode(b"", True))
        if self._content is not None and self._marked:
            self._pass_on(b"")
            self._content.close()

    def _pass_on(self, chunk: bytes) -> None:
        if self._content is None:
            return
        if not self._marked:
            self._pending.append(chunk)
            return
        if self._pending:
            for pending in self._pending:
                self._content.feed(pending)
            self._pending = []
        if chunk:
            self._content.feed(chunk)

    def _start(self, head: bytes) -> codecs.IncrementalDecoder:
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, b"<\x00\x00\x00")):
            raise self._bad_encoding("UCS-4")
        if head.startswith(codecs.BOM_UTF8):
            encoding, allowed = "utf-8-sig", _UTF8_NAMES
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding, allowed = "utf-16", _UTF16_NAMES
        elif head.startswith(b"<\x00"):
            encoding, allowed = "utf-16-le", _UTF16_NAMES
        elif head.startswith(b"\x00<"):
            encoding, allowed = "utf-16-be", _UTF16_NAMES
        elif head.startswith((b"\x00", b"\x4c\x6f\xa7\x94")):
            raise self._bad_encoding("UCS-4 or EBCDIC")
        else:
            encoding, allowed = "utf-8", _UTF8_NAMES
        text = head[:_HEAD].decode(encoding, errors="replace")
        declared = _ENCODING_DECLARATION.match(text)
        if declared and declared.group(1).strip().lower() not in allowed:
            raise self._bad_encoding(declared.group(1))
        return codecs.getincrementaldecoder(encoding)(errors="replace")

    def _bad_encoding(self, encoding: str) -> DocumentRefused:
        return _refuse(
            RefusalCode.NOT_DOCX,
            f"The internal part {_show(self.part)} is written in a character encoding Word "
            f"documents never use ({_show(encoding)[:20]}), so the file is not read.",
        )

    def _scan_raw(self, chunk: bytes) -> None:
        window = self._raw_carry + chunk
        if _RAW_DECLARATION.search(window):
            raise _doctype(self.part)
        self._raw_carry = window[-8:]

    def _scan(self, text: str) -> None:
        window = self._carry + text
        if _DECLARATION.search(window):
            raise _doctype(self.part)
        if self._content is not None and not self._marked:
            self._marked = any(marker in window for marker in _CONTENT_MARKERS)
        if self._count:
            carried = len(self._carry)
            # A match wholly inside the carried tail was counted with the previous chunk. A tag
            # split across chunks with a prefix longer than the tail is missed: at most one per
            # 64 KiB, which cannot matter against the limit.
            self.paragraphs += sum(1 for m in _PARAGRAPH.finditer(window) if m.end() > carried)
            if self._max_paragraphs is not None and self.paragraphs > self._max_paragraphs:
                raise _too_many_paragraphs(self._max_paragraphs)
        self._carry = window[-_CARRY:]


def _doctype(part: str) -> DocumentRefused:
    return _refuse(
        RefusalCode.DOCTYPE,
        f"The internal part {_show(part)} contains a DOCTYPE declaration, which Word never writes "
        "and which attacks such as “billion laughs” and external entities (XXE) rely on, so the "
        "file is not read.",
    )


def _too_many_paragraphs(limit: int) -> DocumentRefused:
    return _refuse(
        RefusalCode.TOO_MANY_PARAGRAPHS,
        f"The document has more than {limit:,} paragraphs, more than the platform reads; send "
        "only the text under negotiation.",
    )


# ---------------------------------------------------------------------------------------------
# Links, fields and other outside content in the XML parts

_VML = "urn:schemas-microsoft-com:vml"
_OFFICE = "urn:schemas-microsoft-com:office:office"
# The only elements the content scanner is told about. Paragraphs are there so that what has been
# read can be freed as the parser goes: the scan holds one paragraph at a time, not the part.
_CONTENT_TAGS = (
    "{*}p", "{*}fldChar", "{*}instrText", "{*}delInstrText", "{*}fldSimple", "{*}mailMerge",
    "{*}ddeLink", "{*}oleLink", f"{{{_VML}}}*", f"{{{_OFFICE}}}*",
)  # fmt: skip
_CHANGES = frozenset({"ins", "moveTo", "del", "moveFrom"})


@dataclass
class _Field:
    """A complex field being read: its instruction as it reads with every tracked change
    accepted (inserted and kept text) and rejected (deleted and kept text)."""

    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    judged: bool = False
    nested: bool = False  # another field begins in its code


class _ContentScanner:
    """Reads one XML part with lxml's pull parser, after `_XmlScanner` has passed its bytes, and
    refuses what would fetch or run outside content: a field such as `INCLUDETEXT` or `DDE`, a
    `HYPERLINK` field or a VML shape link that `judge_link` refuses, a VML picture fetched from
    outside (`src`), a mail-merge data source, a DDE or OLE link of a workbook.

    A complex field's instruction is the text of its `w:instrText` (and `w:delInstrText`) runs
    between its `begin` and `separate` characters, which Word may split over many runs; it is
    judged as it reads with every tracked change accepted and with every one rejected. Fields may
    nest. `strict` parts (WordprocessingML) must be well-formed, as Word requires; others (VML,
    which Office writes loosely) are read the forgiving way, as Office reads them.
    """

    def __init__(self, part: str, where: str, *, strict: bool) -> None:
        self.part = part
        self.where = where
        self.strict = strict
        self._parser: Any = None  # made when the first bytes come
        self._stopped = False
        self._fields: list[_Field] = []

    def feed(self, chunk: bytes) -> None:
        if self._stopped:
            return
        if self._parser is None:
            self._parser = etree.XMLPullParser(
                events=("start", "end"),
                tag=_CONTENT_TAGS,
                resolve_entities=False,
                no_network=True,
                huge_tree=False,
                load_dtd=False,
                remove_comments=True,
                remove_pis=True,
                recover=not self.strict,
            )
        try:
            self._parser.feed(chunk)
        except etree.XMLSyntaxError as error:
            self._malformed(error)
        self._drain()

    def close(self) -> None:
        if self._parser is not None:
            try:
                self._parser.close()
            except etree.XMLSyntaxError as error:
                self._malformed(error)
            self._drain()
            self._parser = None
        self._stopped = True
        for open_field in self._fields:  # a field never closed is judged as it stands
            if not open_field.judged:
                self._judge(open_field)

    def _malformed(self, error: etree.XMLSyntaxError) -> None:
        self._drain()  # what was read before the damage is judged first
        if self.strict:
            raise _refuse(
                RefusalCode.CORRUPT,
                f"The internal part {_show(self.part)} of the file is damaged (it is not "
                f"well-formed XML); {_RESAVE}.",
                detail=str(error)[:200],
            )
        self._parser = None  # a loose part's scan ends where even a forgiving reader stops
        self._stopped = True

    def _drain(self) -> None:
        if self._parser is None:
            return
        for event, element in self._parser.read_events():
            tag = element.tag
            if not isinstance(tag, str):
                continue
            namespace, _, local = tag[1:].partition("}") if tag[:1] == "{" else ("", "", tag)
            if event == "start":
                self._start(namespace, local, element)
            else:
                self._end(namespace, local, element)

    def _start(self, namespace: str, local: str, element: Any) -> None:
        if namespace in (_VML, _OFFICE):
            self._shape(element)
        elif local == "fldChar":
            self._field_char(_attribute(element, "fldCharType"))
        elif local == "fldSimple":
            self._judge_instruction(_attribute(element, "instr"))
        elif local == "mailMerge":
            raise _mail_merge()
        elif local in ("ddeLink", "oleLink"):
            raise _external_link(self.where)

    def _end(self, namespace: str, local: str, element: Any) -> None:
        if namespace in (_VML, _OFFICE):
            pass
        elif local in ("instrText", "delInstrText"):
            text = etree.tostring(element, method="text", encoding="unicode", with_tail=False)
            # In a tracked insertion or deletion: its run's ancestors say (a paragraph, which
            # holds them, is only freed at its end).
            changes = {etree.QName(a).localname for a in element.iterancestors()} & _CHANGES
            deleted = local == "delInstrText" or bool(changes & {"del", "moveFrom"})
            self._instruction(text, deleted=deleted, inserted=bool(changes & {"ins", "moveTo"}))
        elif local == "p":
            # Free what has been read: this paragraph's content and the paragraphs before it.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]

    def _field_char(self, kind: str) -> None:
        kind = kind.strip().lower()
        if kind == "begin":
            if self._fields and not self._fields[-1].judged:
                self._nested_in(self._fields[-1])
            self._fields.append(_Field())
        elif kind == "separate" and self._fields:
            current = self._fields[-1]
            if not current.judged:
                self._judge(current)
        elif kind == "end" and self._fields:
            current = self._fields.pop()
            if not current.judged:
                self._judge(current)

    def _instruction(self, text: str, *, deleted: bool, inserted: bool) -> None:
        if not self._fields or self._fields[-1].judged:
            # Instruction text outside a field's code: judged on its own, in case a reader
            # takes it for a field.
            self._judge_instruction(text)
            return
        current = self._fields[-1]
        if not deleted:
            current.accepted.append(text)
        if not inserted:
            current.rejected.append(text)

    def _nested_in(self, outer: _Field) -> None:
        """A field begins in another's code, where its result will be read as code."""
        outer.nested = True
        for code in ("".join(outer.accepted), "".join(outer.rejected)):
            if not keyword_settled(code):
                raise _refuse(
                    RefusalCode.EXTERNAL_FIELD,
                    f"The document contains a field {self.where} whose instruction is assembled "
                    "from other fields, a way of hiding a field that fetches or runs outside "
                    "content; replace the field by its result (select it and press "
                    "Ctrl+Shift+F9) and send the document again.",
                    detail=f"a field's keyword built by a nested field in {self.part}",
                )

    def _judge(self, current: _Field) -> None:
        current.judged = True
        self._judge_instruction("".join(current.accepted), nested=current.nested)
        self._judge_instruction("".join(current.rejected), nested=current.nested)

    def _judge_instruction(self, instruction: str, *, nested: bool = False) -> None:
        verdict = judge_field(instruction, nested=nested)
        if verdict is None:
            return
        if verdict.link is not None:
            detail = f"HYPERLINK field in {self.part}"
            raise _dangerous_link(verdict.link, self.where, detail=detail)
        raise _external_field(verdict.keyword, self.where, self.part)

    def _shape(self, element: Any) -> None:
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local == "href":
                problem = judge_link(value)
                if problem is not None:
                    raise _dangerous_link(problem, self.where, detail=f"VML href in {self.part}")
            elif local == "src" and value.strip():
                raise _linked_picture(self.where, self.part)


def _attribute(element: Any, local: str) -> str:
    """An attribute by its local name, in whatever namespace (transitional or strict OOXML)."""
    for name, value in element.attrib.items():
        if name.rsplit("}", 1)[-1] == local:
            return str(value)
    return ""


def _dangerous_link(what: str, where: str, detail: str | None = None) -> DocumentRefused:
    return _refuse(
        RefusalCode.DANGEROUS_LINK,
        f"The document contains a link {where} to {what}, which could open a program or send "
        "the reader's credentials when it is clicked; only web (http, https) and e-mail (mailto) "
        "links are allowed, so remove or correct the link and send the document again.",
        detail,
    )


def _external_field(keyword: str, where: str, part: str) -> DocumentRefused:
    return _refuse(
        RefusalCode.EXTERNAL_FIELD,
        f"The document contains a field {where} ({keyword}) that fetches or runs content from "
        "outside the document when it is opened or updated; replace the field by its result "
        "(select it and press Ctrl+Shift+F9) and send the document again.",
        detail=f"{keyword} field in {part}",
    )


def _linked_picture(where: str, part: str) -> DocumentRefused:
    return _refuse(
        RefusalCode.EXTERNAL_RELATIONSHIP,
        f"The document contains a picture or shape {where} that Word would fetch from outside "
        "the document when it is opened; insert the picture itself rather than a link to it, "
        "and send the document again.",
        detail=f"VML src in {part}",
    )


def _mail_merge() -> DocumentRefused:
    return _refuse(
        RefusalCode.EXTERNAL_RELATIONSHIP,
        "The document is a mail-merge main document, which reads data from an outside source "
        "when it is opened; make it a normal Word document again (Mailings ▸ Start Mail Merge ▸ "
        "Normal Word Document) and send it again.",
    )


def _external_link(where: str) -> DocumentRefused:
    return _refuse(
        RefusalCode.EXTERNAL_RELATIONSHIP,
        f"The document contains a link {where} to another file or program (a DDE or OLE link) "
        "whose data would be fetched when it is opened; paste the values instead and send the "
        "document again.",
    )


def count_paragraphs(xml: bytes) -> int:
    """The number of paragraph start tags in one XML part, by a streaming scan that builds no
    tree (so a part with a million empty paragraphs costs a regular-expression pass, not a parse).

    Raises `DocumentRefused` if the part contains a DOCTYPE or uses an encoding other than UTF-8
    or UTF-16.
    """
    scanner = _XmlScanner("XML", count=True)
    view = memoryview(xml)
    for position in range(0, len(xml), _CHUNK):
        scanner.feed(bytes(view[position : position + _CHUNK]))
    scanner.close()
    return scanner.paragraphs


# ---------------------------------------------------------------------------------------------
# Content types and relationships

_MAX_PACKAGE_XML = 8 * MB
_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    }
)
_HYPERLINK_TYPES = frozenset(
    {
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        "http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink",
    }
)
_CHART_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
        "application/vnd.ms-office.chartex+xml",  # Word 2016's newer charts (waterfall, …)
    }
)
_WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_WORKBOOK_MAIN_TYPES = frozenset(
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"}
)
# A document's chart (1) may itself hold a chart whose data is a workbook (2); no deeper.
_MAX_EMBEDDING_DEPTH = 2
_WORDPROCESSINGML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_UNTYPED = frozenset({"", "application/xml", "text/xml"})
_PLACES = {
    "document.main": "in the text",
    "header": "in a header",
    "footer": "in a footer",
    "footnotes": "in a footnote",
    "endnotes": "in an endnote",
    "comments": "in a comment",
    "document.glossary": "in a building block (the document's glossary)",
    "settings": "in the document's settings",
}
_MACRO_MARKERS = ("macroenabled", "vbaproject", "vbadata", "keymapcustomizations", "toolbars")
_MACRO_RELATIONSHIPS = frozenset(
    {"vbaproject", "wordvbadata", "keymapcustomizations", "attachedtoolbars", "vbaprojectsignature"}
)
_ACTIVEX_RELATIONSHIPS = frozenset({"control", "activexcontrol", "activexcontrolbinary"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass
class _Package:
    """One pass over an opened archive: content types and relationships first (so the most
    specific reason wins), then the embedded packages, each through the whole gate, then every
    other entry inflated and scanned."""

    data: bytes
    limits: Limits
    infos: dict[str, zipfile.ZipInfo]
    depth: int = 0  # 0 for the document, 1 for a package embedded in it, …
    main_types: frozenset[str] = _MAIN_TYPES
    uncompressed: int = 0  # the entries' declared total, which embedded packages share
    defaults: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    allowed_embeddings: set[str] = field(default_factory=set)
    paragraphs: int = 0

    def check(self) -> None:
        if "[Content_Types].xml" not in self.infos:
            raise _refuse(
                RefusalCode.NOT_DOCX,
                "The file is a zip archive but not a Word document: it lacks the list of "
                "contents ([Content_Types].xml) that every .docx has.",
            )
        self._read_content_types(self._read_xml("[Content_Types].xml"))
        # One relationships part in memory at a time; only the package's own is kept.
        package_relationships = None
        for name in [name for name in self.infos if name.lower().endswith(".rels")]:
            root = self._read_xml(name)
            self._check_relationships(name, root)
            if name == "_rels/.rels":
                package_relationships = root
        if package_relationships is None:
            raise self._no_main_part()
        self._check_main_part(package_relationships)
        self._check_embeddings()
        for name, info in self.infos.items():
            if name not in self.done and not name.endswith("/"):
                self._scan_entry(info)

    # -- reading ------------------------------------------------------------------------------

    def _read_xml(self, name: str) -> Any:
        """Inflate, scan and parse one of the small parts the gate must read: the content types
        and the relationships. This runs before the parsing limits apply, so these parts get a
        cap of their own (Word's are kilobytes; 10 000 hyperlinks make ~1.5 MB)."""
        info = self.infos[name]
        limit = min(self.limits.max_xml_part_bytes, _MAX_PACKAGE_XML)
        if info.file_size > limit:
            raise _xml_too_large(name, limit)
        scanner = _XmlScanner(name)
        chunks = []
        for chunk in _inflate(self.data, info):
            scanner.feed(chunk)
            chunks.append(chunk)
        scanner.close()
        self.done.add(name)
        return parse_xml(b"".join(chunks), name)

    def _scan_entry(self, info: zipfile.ZipInfo) -> None:
        name = info.orig_filename
        content_type = self.content_type(name)
        counts = content_type.startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml."
        )
        scanner: _XmlScanner | None = None
        head = b""
        decided = name.lower().endswith(_XML_EXTENSIONS) or content_type.endswith("xml")
        if decided:
            scanner = self._scanner(name, counts)
        produced = 0
        for chunk in _inflate(self.data, info):
            produced += len(chunk)
            if not decided:
                head += chunk
                if len(head) < _HEAD:
                    continue
                chunk, head, decided = head, b"", True
                scanner = self._scanner(name, counts) if _looks_like_xml(chunk) else None
            if scanner is not None:
                if produced > self.limits.max_xml_part_bytes:
                    raise _xml_too_large(name, self.limits.max_xml_part_bytes)
                scanner.feed(chunk)
        if not decided and _looks_like_xml(head):
            scanner = self._scanner(name, counts)
            scanner.feed(head)
        if scanner is not None:
            scanner.close()
            self.paragraphs += scanner.paragraphs

    def _scanner(self, name: str, counts: bool) -> _XmlScanner:
        content = self._content_scanner(name)
        if not counts:
            return _XmlScanner(name, content=content)
        # The limit is on the whole document: what the parts already scanned hold counts too.
        return _XmlScanner(
            name, max_paragraphs=self.limits.max_paragraphs - self.paragraphs, content=content
        )

    def _content_scanner(self, name: str) -> _ContentScanner | None:
        """Which parts are read for links and fields: WordprocessingML (where fields live), VML
        (shapes with links), and parts of no particular type, which a reader might still take
        for either. Pictures, charts, spreadsheets' cells and the like hold neither."""
        content_type = self.content_type(name)
        if content_type.startswith(_WORDPROCESSINGML):
            # Word requires its XML parts to be well-formed; its binary ones (printer settings)
            # reach here only if they look like XML, and are read the forgiving way.
            strict = content_type.endswith("+xml")
            return _ContentScanner(name, self._place(name), strict=strict)
        if "vmldrawing" in content_type or content_type in _UNTYPED:
            return _ContentScanner(name, self._place(name), strict=False)
        return None

    def _place(self, name: str) -> str:
        """Where a part is, as a delegate knows it: "in a footnote", "in a header"."""
        content_type = self.content_type(name)
        if content_type.startswith(_WORDPROCESSINGML):
            kind = content_type.removeprefix(_WORDPROCESSINGML).removesuffix("+xml")
            place = _PLACES.get(kind)
            if place is not None:
                return place
        return f"in its internal part {_show(name)}"

    # -- content types ------------------------------------------------------------------------

    def _read_content_types(self, root: Any) -> None:
        for element in root:
            tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
            content_type = (element.get("ContentType") or "").strip().lower()
            if tag == "Default":
                self.defaults[(element.get("Extension") or "").lower()] = content_type
            elif tag == "Override":
                part = unquote(element.get("PartName") or "").lstrip("/")
                self.overrides[part.lower()] = content_type
            else:
                continue
            if any(marker in content_type for marker in _MACRO_MARKERS):
                raise _macros()
            if "activex" in content_type:
                raise _activex()
            if "oleobject" in content_type:
                raise _ole_object(unquote(element.get("PartName") or "").lstrip("/") or None)
            if "externallink" in content_type:
                raise _external_link("in an embedded workbook")

    def content_type(self, name: str) -> str:
        found = self.overrides.get(name.lower())
        if found is not None:
            return found
        return self.defaults.get(_extension(name).lstrip("."), "")

    # -- relationships ------------------------------------------------------------------------

    def _check_relationships(self, rels_name: str, root: Any) -> None:
        folder, rels_file = posixpath.split(rels_name)
        source_folder = posixpath.dirname(folder)
        source = posixpath.join(source_folder, rels_file.removesuffix(".rels"))
        source_type = self.content_type(source) if rels_file != ".rels" else ""
        for element in root.iter():
            if not isinstance(element.tag, str) or etree.QName(element).localname != (
                "Relationship"
            ):
                continue
            full_type = (element.get("Type") or "").strip()
            kind = full_type.rsplit("/", 1)[-1].lower()
            target = (element.get("Target") or "").strip()
            external = (element.get("TargetMode") or "Internal").strip().lower() != "internal"
            external = external or bool(_SCHEME.match(target)) or target.startswith(("//", "\\"))
            if kind in _MACRO_RELATIONSHIPS:
                raise _macros()
            if kind in _ACTIVEX_RELATIONSHIPS:
                raise _activex()
            if kind == "oleobject":
                raise _ole_object(None if external else _resolve(source_folder, target))
            if kind == "afchunk":
                raise _refuse(
                    RefusalCode.ALT_CHUNK,
                    "The document imports content from another file (an “alternative format "
                    "chunk”), which the platform cannot check; paste that content into the "
                    "document itself and send it again.",
                )
            if kind == "subdocument":
                raise _refuse(
                    RefusalCode.SUB_DOCUMENT,
                    "The file is a master document that pulls in sub-documents; merge them into "
                    "one self-contained document and send it again.",
                )
            if kind == "externallink":
                raise _external_link("in an embedded workbook")
            if kind == "hyperlink":  # whatever the namespace or the case of its type
                problem = judge_link(element.get("Target") or "")
                if problem is not None:
                    where = self._place(source) if rels_file != ".rels" else "in the package"
                    raise _dangerous_link(problem, where, detail=f"hyperlink from {source}")
            if kind == "attachedtemplate" and external:
                raise _refuse(
                    RefusalCode.EXTERNAL_TEMPLATE,
                    "The document is attached to an external template, which Word fetches when "
                    "the file is opened, a known way of delivering malicious code; detach the "
                    "template (Developer ▸ Document Template) or paste the text into a new "
                    "document, and send it again.",
                    detail=f"attachedTemplate target {target[:200]!r}",
                )
            if external and full_type not in _HYPERLINK_TYPES:
                raise _refuse(
                    RefusalCode.EXTERNAL_RELATIONSHIP,
                    f"The document refers to an outside resource ({_describe(kind)}) that Word "
                    "would fetch when the file is opened; only hyperlinks may point outside the "
                    "document, so embed or remove it and send the document again.",
                    detail=f"{full_type[:200]!r} -> {target[:200]!r}",
                )
            if kind == "package" and not external:
                part = _resolve(source_folder, target)
                if source_type in _CHART_TYPES and self.content_type(part) == _WORKBOOK_TYPE:
                    # A Word chart keeps its data in an embedded workbook, which goes through
                    # this same gate (`_check_embedded`) before the chart is allowed.
                    self.allowed_embeddings.add(part.lower())
                else:
                    raise _ole_object(part)

    def _check_main_part(self, root: Any) -> None:
        targets = [
            element.get("Target") or ""
            for element in root.iter()
            if isinstance(element.tag, str)
            and etree.QName(element).localname == "Relationship"
            and (element.get("Type") or "").rsplit("/", 1)[-1] == "officeDocument"
        ]
        if len(targets) != 1:
            raise self._no_main_part()
        part = _resolve("", targets[0])
        if part not in self.infos:
            raise self._no_main_part()
        content_type = self.content_type(part)
        if content_type in self.main_types:
            return
        if "spreadsheetml" in content_type:
            what = "an Excel workbook renamed .docx"
        elif "presentationml" in content_type:
            what = "a PowerPoint presentation renamed .docx"
        elif "template" in content_type:
            what = "a Word template (.dotx), not a document"
        else:
            what = "not a Word document"
        raise _refuse(
            RefusalCode.NOT_DOCX,
            f"The file is {what}; save the proposal as a Word Document (.docx) and send it again.",
        )

    def _no_main_part(self) -> DocumentRefused:
        return _refuse(
            RefusalCode.NOT_DOCX,
            "The file is a zip archive but not a Word document: it has no main document part; "
            f"{_RESAVE}.",
        )

    def _check_embeddings(self) -> None:
        for name in self.infos:
            lower = name.lower()
            if "embeddings" not in lower.split("/")[:-1] or lower.endswith("/"):
                continue
            if _extension(lower) in _IMAGE_EXTENSIONS or lower in self.allowed_embeddings:
                continue
            raise _ole_object(name)
        for name in self.infos:  # a chart's workbook, wherever it is
            if name.lower() in self.allowed_embeddings:
                self._check_embedded(name)

    def _check_embedded(self, name: str) -> None:
        """An embedded package goes through the whole gate, with what is left of the budget of
        inflated bytes; what it holds (a chart of its own) is checked the same way, a few levels
        deep at most."""
        info = self.infos[name]
        if self.depth + 1 > _MAX_EMBEDDING_DEPTH:
            raise _refuse(
                RefusalCode.OLE_OBJECT,
                "The document embeds files inside embedded files more deeply than the platform "
                "checks; paste the chart as a picture or remove it, and send the document again.",
                detail=f"{name} at depth {self.depth + 1}",
            )
        if info.file_size > self.limits.max_bytes:
            raise _embedded(
                name, _refuse(RefusalCode.TOO_LARGE, "too large", f"{info.file_size} bytes")
            )
        data = b"".join(_inflate(self.data, info))
        self.done.add(name)
        budget = self.limits.max_uncompressed_total - self.uncompressed
        limits = dataclasses.replace(self.limits, max_uncompressed_total=max(1, budget))
        try:
            _check_package(data, limits, depth=self.depth + 1, main_types=_WORKBOOK_MAIN_TYPES)
        except DocumentRefused as refusal:
            raise _embedded(name, refusal) from None


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


def _embedded(name: str, refusal: DocumentRefused) -> DocumentRefused:
    """An embedded package's refusal, said of the document that embeds it; the code stays that
    of the reason (macros are counted as macros wherever they are)."""
    what = _EMBEDDED_WHAT.get(refusal.code, "content the platform cannot check")
    return _refuse(
        refusal.code,
        f"The document embeds a file ({_show(name)}, such as the data of a chart) that contains "
        f"{what}, so the file is not read; paste the chart as a picture or remove it, and send "
        "the document again.",
        detail=f"{name}: {refusal.code.value}: {refusal.detail or refusal.reason}"[:400],
    )


def _resolve(source_folder: str, target: str) -> str:
    """The part name a relationship's internal target points to, without its leading slash."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join("/", source_folder, target)).lstrip("/")


def _describe(kind: str) -> str:
    return {
        "image": "a linked picture",
        "frame": "a frame",
        "mailmergesource": "a mail-merge data source",
        "recipientdata": "a mail-merge recipient list",
        "font": "a linked font",
    }.get(kind, f"a link of type “{_show(kind)[:40]}”")


def _looks_like_xml(head: bytes) -> bool:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        head = head.removeprefix(bom)
    return head.lstrip(b" \t\r\n\x00").startswith(b"<")


# ---------------------------------------------------------------------------------------------
# Parsing XML safely


def parse_xml(data: bytes, part: str = "XML") -> Any:
    """Parse one XML part of an untrusted package into an lxml element, safely.

    No DTD is loaded, no entity resolved, nothing fetched from the network, and libxml2's default
    size and depth limits stay on (`huge_tree=False`); a markup declaration is refused before the
    parser sees it. A malformed part is a `DocumentRefused` ("corrupt") naming the part.
    """
    scanner = _XmlScanner(part)
    scanner.feed(data)
    scanner.close()
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise _refuse(
            RefusalCode.CORRUPT,
            f"The internal part {_show(part)} of the file is damaged (it is not well-formed XML); "
            f"{_RESAVE}.",
            detail=str(error)[:200],
        ) from None
    if root.getroottree().docinfo.doctype:  # unreachable after the scan; kept as a second lock
        raise _doctype(part)
    return root


# ---------------------------------------------------------------------------------------------
# Parsing in a child process with limits


def parse_with_limits(
    fn: Callable[..., T], *args: Any, limits: Limits = DEFAULT_LIMITS, **kwargs: Any
) -> T:
    """Run `fn(*args, **kwargs)` in a fresh child process limited to `limits.parse_memory_bytes`
    of address space and `limits.parse_seconds` of wall-clock time, and return its result.

    The child starts in a sandbox (`documents.sandbox`: no inherited descriptors, no
    environment, an empty working directory, an unprivileged user when the parent is root). `fn`
    must be a module-level function; its arguments go to the child as the parent's own data,
    and its result comes back as JSON, never a pickle (`documents.wire`: a result type of its
    own is declared with `@wire.returns`, anything else must be plain JSON).

    A `DocumentRefused` raised by `fn` comes back as it is; running out of time or memory becomes
    "timeout" or "too_much_memory"; another failure of reading "corrupt", with a plain sentence
    (the exception's type and message go to `detail`, never a traceback). A failure that is a
    bug of the platform rather than a damaged file (see `_FAULTS`) is logged, where it happened
    but never its message, and raised as `EngineFault`. Blocking: call it from a worker thread
    in asynchronous code.
    """
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    box = sandbox.sandbox_for_child()
    process = context.Process(
        target=_child,
        args=(sender, box, limits.parse_memory_bytes, limits.parse_seconds, fn, args, kwargs),
        name="plenaria-parse",
        daemon=True,
    )
    answer = b""
    timed_out = False
    started = False
    try:
        process.start()
        started = True
        sender.close()
        answer, timed_out = _read_answer(receiver, limits)
    finally:
        sender.close()
        receiver.close()
        exitcode = None
        if started:
            # The end of the answer is the child's end: give it a moment to be reaped.
            process.join(0.0 if timed_out else 1.0)
            if process.exitcode is None:
                process.kill()
                process.join()
            exitcode = process.exitcode
            process.close()
        sandbox.remove_workdir(box)
    if timed_out:
        message: dict[str, Any] = {"kind": "timeout"}
    else:
        message = _parse_answer(answer, exitcode)
    return cast(T, _outcome(message, fn, limits))


def _read_answer(receiver: Connection, limits: Limits) -> tuple[bytes, bool]:
    """Everything the child writes until it closes its end: (the bytes, whether time ran out).
    The child may be hostile: it gets `limits.parse_seconds` for the whole answer, not per
    read, and no more than it could have built in its own memory."""
    deadline = time.monotonic() + limits.parse_seconds
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not multiprocessing.connection.wait([receiver], remaining):
            return b"", True
        chunk = os.read(receiver.fileno(), 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        size += len(chunk)
        if size > limits.parse_memory_bytes:
            return (
                b'{"kind": "damaged", "detail": "an answer larger than the child\'s memory"}',
                False,
            )
        chunks.append(chunk)


_KINDS = frozenset({"ok", "refused", "timeout", "memory", "damaged", "fault", "unencodable"})


def _parse_answer(answer: bytes, exitcode: int | None) -> dict[str, Any]:
    """The child's JSON message; if there is none, what its end says (killed for its memory or
    its CPU time, or a crash), and if what it wrote is not its message, a hostile child."""
    if not answer:
        return _message_for_exit(exitcode)
    try:
        message = json.loads(answer)
    except (ValueError, RecursionError):
        message = None
    if isinstance(message, dict) and message.get("kind") in _KINDS:
        return message
    if exitcode is not None and exitcode < 0:  # cut short by a signal while it answered
        return _message_for_exit(exitcode)
    log.warning("the parsing child answered with something other than its JSON message")
    return {"kind": "damaged", "detail": "a malformed answer from the parsing child"}


def _outcome(message: dict[str, Any], fn: Callable[..., Any], limits: Limits) -> Any:
    """The child's message as a result, or the refusal or error it stands for."""
    kind = message["kind"]
    try:
        if kind == "ok":
            return wire.decode_result(fn, message.get("result"))
        if kind == "refused":
            raise DocumentRefused(
                RefusalCode(wire.field(message, "code", str)),
                wire.field(message, "reason", str)[:_MAX_REASON],
                (wire.optional(message, "detail", str) or "")[:300] or None,
            )
    except (WireError, ValueError) as error:  # ValueError: a refusal code that does not exist
        log.warning("the parsing child's answer is malformed: %s", str(error)[:200])
        kind, message = "damaged", {"detail": "a malformed answer from the parsing child"}
    if kind == "timeout":
        raise _refuse(
            RefusalCode.TIMEOUT,
            f"Reading the file took longer than {limits.parse_seconds:g} seconds, so it was "
            "stopped; a document this slow to read is damaged or built to overload the platform.",
        )
    if kind == "memory":
        raise _refuse(
            RefusalCode.TOO_MUCH_MEMORY,
            f"Reading the file needed more than {_mb(limits.parse_memory_bytes)} of memory, so "
            "it was stopped; a document this heavy to read is damaged or built to overload the "
            "platform.",
        )
    if kind == "fault":
        name = str(message.get("error"))[:100]
        where = [str(frame)[:200] for frame in message.get("where") or []][-_MAX_FRAMES:]
        log.error(
            "the documents engine failed in the parsing child (%s); traceback, innermost last: %s",
            name,
            " | ".join(where) or "none",
        )
        at = f" at {where[-1]}" if where else ""
        raise EngineFault(f"{name}{at}: a fault of the platform, not of the file")
    if kind == "unencodable":
        raise TypeError(
            f"parse_with_limits: the result of {fn!r} cannot be sent as JSON: "
            f"{str(message.get('detail'))[:300]}"
        )
    raise _refuse(
        RefusalCode.CORRUPT,
        f"The file could not be read as a Word document and may be damaged; {_RESAVE}.",
        detail=str(message.get("detail"))[:300],
    )


_MAX_REASON = 20_000  # a compilation's refusal lists every proposal's reason
_MAX_FRAMES = 12


def _message_for_exit(exitcode: int | None) -> dict[str, Any]:
    if exitcode == -signal.SIGXCPU:
        return {"kind": "timeout"}
    if exitcode == -signal.SIGKILL:  # the kernel's out-of-memory killer
        return {"kind": "memory"}
    return {"kind": "damaged", "detail": f"the parsing process ended with exit code {exitcode}"}


# A worker re-runs the parent's main module as `__mp_main__` to unpickle its job; when that
# module was preloaded in the fork server (see `_context`), runpy warns that it is already
# imported. Harmless, and said on standard error of every `python -m bot.cli.main` command:
# quiet it.
# This module is the fork server's first preload (through `documents.preload`), so its workers
# inherit the filter.
warnings.filterwarnings(
    "ignore",
    message=r".* found in sys\.modules after import of package .*",
    category=RuntimeWarning,
)


@functools.cache
def _context() -> ForkServerContext | SpawnContext:
    # Never "fork": the parent may hold threads (the bot's event loop, its executors) and a
    # forked copy of their locks. The fork server starts once, with the parser libraries
    # preloaded (`documents.preload`), and forks each child from that clean process in a few
    # milliseconds; each child then enters its sandbox (`_child`).
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        preload = ["documents.preload"]
        # A child unpickles its job by first importing the parent's main module: when that is
        # a module run with -m (`python -m bot.cli.main`), preloading it by name saves every child
        # re-importing the whole program (measured: 370 ms → 5 ms a child).
        main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if main_spec is not None and main_spec.name:
            preload.append(main_spec.name)
        context.set_forkserver_preload(preload)
        return context
    return multiprocessing.get_context("spawn")


# Exceptions that mean the engine itself is wrong (a bug), whatever the file: a damaged file
# makes the readers raise their own errors, `ValueError`, `KeyError`, lxml's and zipfile's.
_FAULTS = (
    AssertionError,
    AttributeError,
    ImportError,
    NameError,
    NotImplementedError,
    SyntaxError,
    TypeError,
)


def _child(
    connection: Connection,
    box: sandbox.Sandbox,
    memory_bytes: int,
    seconds: float,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    try:
        try:
            from documents import preload  # here: it imports this module

            preload.warm_up()  # a no-op in a child of the fork server, which did it
            _limit_resources(memory_bytes, seconds)
            sandbox.enter(box, keep=connection.fileno())
        except BaseException as error:  # the job never runs outside its sandbox
            message = _fault(error)
        else:
            message = _run(fn, args, kwargs)
        _send(connection, message)
    finally:
        connection.close()


def _run(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        result = fn(*args, **kwargs)
    except DocumentRefused as refusal:
        return {
            "kind": "refused",
            "code": refusal.code.value,
            "reason": refusal.reason,
            "detail": refusal.detail,
        }
    except MemoryError:
        return {"kind": "memory"}
    except _FAULTS as error:
        return _fault(error)
    except BaseException as error:  # the child reports every failure, and then it ends
        text = f"{type(error).__name__}: {error}"
        # libxml2 reports a failed allocation as a parse error, not a MemoryError.
        if "memory allocation failed" in text.lower():
            return {"kind": "memory"}
        return {"kind": "damaged", "detail": text[:300]}
    try:
        return {"kind": "ok", "result": wire.encode_result(fn, result)}
    except MemoryError:
        return {"kind": "memory"}
    except TypeError as error:  # the result has no JSON form: a programming error
        return {"kind": "unencodable", "detail": str(error)[:300]}


def _fault(error: BaseException) -> dict[str, Any]:
    """A bug's report: its type and where it was raised (file, line, function), never its
    message, which could quote the document."""
    # Without the source lines, which would be read from disk.
    frames = traceback.StackSummary.extract(
        traceback.walk_tb(error.__traceback__), lookup_lines=False
    )
    where = [f"{_short(frame.filename)}:{frame.lineno} in {frame.name}" for frame in frames]
    where = where[-_MAX_FRAMES:]
    return {"kind": "fault", "error": type(error).__name__, "where": where}


def _short(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    return "/".join(parts[-2:])


def _send(connection: Connection, message: dict[str, Any]) -> None:
    try:
        data = json.dumps(message, allow_nan=False).encode()
    except MemoryError:
        data = b'{"kind": "memory"}'
    except ValueError as error:  # NaN or infinity in a plain result
        data = json.dumps({"kind": "unencodable", "detail": str(error)[:300]}).encode()
    view = memoryview(data)
    fd = connection.fileno()
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _limit_resources(memory_bytes: int, seconds: float) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    memory = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # A backstop should the parent die before it can kill the child: CPU time cannot exceed
    # wall-clock time, so this never fires before the parent's timeout does. The hard limit
    # follows, so that the child cannot raise it once it is no longer root.
    _, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = int(seconds) + 2
    if hard_cpu != resource.RLIM_INFINITY:
        cpu = min(cpu, hard_cpu)
    resource.setrlimit(
        resource.RLIMIT_CPU,
        (cpu, cpu + 1 if hard_cpu == resource.RLIM_INFINITY else min(cpu + 1, hard_cpu)),
    )
    # No core dump: it would write the document (and the child's memory) to disk.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

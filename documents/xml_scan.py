"""Reading the XML parts of an untrusted package safely: a byte scan before any parser, and the
one parser configuration `documents/` uses.

`XmlScanner` streams one part: it decides the encoding the way a parser would and allows only
UTF-8 and UTF-16 (as Open Packaging Conventions require; an exotic encoding could hide a
DOCTYPE from a byte scan), refuses any markup declaration (billion laughs and XXE both need one),
counts paragraph start tags, and hands the bytes it has passed on to a `ContentScanner`
(`documents.content_scan`) when the part names anything that one looks for. `parse_xml` parses a
small part into a tree after the same scan; `count_paragraphs` counts a part's paragraphs
without building one.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from lxml import etree

from documents import refusals
from documents.content_scan import ContentScanner
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.refusals import RESAVE, quoted
from documents.zip_structure import CHUNK_BYTES

__all__ = ["HEAD_BYTES", "XmlScanner", "count_paragraphs", "parse_xml"]

# How much of a part is read before its encoding is decided.
HEAD_BYTES = 1024
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
_CARRY = 256  # longer than any match above can usefully be; see `XmlScanner._scan`
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_UTF16_NAMES = frozenset({"utf-16", "utf16", "utf-16le", "utf-16be"})


class XmlScanner:
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
        content: ContentScanner | None = None,
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
            if len(self._head) < HEAD_BYTES:
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
        text = head[:HEAD_BYTES].decode(encoding, errors="replace")
        declared = _ENCODING_DECLARATION.match(text)
        if declared and declared.group(1).strip().lower() not in allowed:
            raise self._bad_encoding(declared.group(1))
        return codecs.getincrementaldecoder(encoding)(errors="replace")

    def _bad_encoding(self, encoding: str) -> DocumentRefused:
        return DocumentRefused(
            RefusalCode.NOT_DOCX,
            f"The internal part {quoted(self.part)} is written in a character encoding Word "
            f"documents never use ({quoted(encoding)[:20]}), so the file is not read.",
            why=Reason.BAD_ENCODING,
            params={"part": quoted(self.part), "encoding": quoted(encoding)[:20]},
        )

    def _scan_raw(self, chunk: bytes) -> None:
        window = self._raw_carry + chunk
        if _RAW_DECLARATION.search(window):
            raise refusals.doctype(self.part)
        self._raw_carry = window[-8:]

    def _scan(self, text: str) -> None:
        window = self._carry + text
        if _DECLARATION.search(window):
            raise refusals.doctype(self.part)
        if self._content is not None and not self._marked:
            self._marked = any(marker in window for marker in _CONTENT_MARKERS)
        if self._count:
            carried = len(self._carry)
            # A match wholly inside the carried tail was counted with the previous chunk. A tag
            # split across chunks with a prefix longer than the tail is missed: at most one per
            # 64 KiB, which cannot matter against the limit.
            self.paragraphs += sum(1 for m in _PARAGRAPH.finditer(window) if m.end() > carried)
            if self._max_paragraphs is not None and self.paragraphs > self._max_paragraphs:
                raise refusals.too_many_paragraphs(self._max_paragraphs)
        self._carry = window[-_CARRY:]


def count_paragraphs(xml: bytes) -> int:
    """The number of paragraph start tags in one XML part, by a streaming scan that builds no
    tree (so a part with a million empty paragraphs costs a regular-expression pass, not a parse).

    Raises `DocumentRefused` if the part contains a DOCTYPE or uses an encoding other than UTF-8
    or UTF-16.
    """
    scanner = XmlScanner("XML", count=True)
    view = memoryview(xml)
    for position in range(0, len(xml), CHUNK_BYTES):
        scanner.feed(bytes(view[position : position + CHUNK_BYTES]))
    scanner.close()
    return scanner.paragraphs


def parse_xml(data: bytes, part: str = "XML") -> Any:
    """Parse one XML part of an untrusted package into an lxml element, safely.

    No DTD is loaded, no entity resolved, nothing fetched from the network, and libxml2's default
    size and depth limits stay on (`huge_tree=False`); a markup declaration is refused before the
    parser sees it. A malformed part is a `DocumentRefused` ("corrupt") naming the part.
    """
    scanner = XmlScanner(part)
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
        raise DocumentRefused(
            RefusalCode.CORRUPT,
            f"The internal part {quoted(part)} of the file is damaged (it is not well-formed XML); "
            f"{RESAVE}.",
            detail=str(error)[:200],
            why=Reason.PART_DAMAGED,
            params={"part": quoted(part)},
        ) from None
    if root.getroottree().docinfo.doctype:  # unreachable after the scan; kept as a second lock
        raise refusals.doctype(part)
    return root

"""The safety gate for untrusted `.docx` files: `check_package(data)` checks the package before
anything parses it, and raises a `DocumentRefused` that says why in a delegate's words.

It refuses anything a Word document never is. The zip container first (`documents.zip_structure`:
too big, not a zip, damaged, a zip bomb, encrypted, duplicate or unsafe entry names); then, here,
the content types and every relationship (macros, ActiveX, OLE embeddings, `altChunk`, `subDoc`,
an external relationship other than a hyperlink, an external `attachedTemplate`, a link other
than a web or e-mail one); then every other entry, inflated under a byte budget and scanned
(`documents.xml_scan`: a DOCTYPE in any XML part, more paragraphs than the engine reads;
`documents.content_scan`: a field that fetches or runs outside content, a dangerous link in a
`HYPERLINK` field or on a VML shape, a mail merge, a workbook's DDE or OLE link). A chart's
embedded workbook goes through this same gate, recursively (two levels at most); anything else
embedded is refused. Only `[Content_Types].xml` and the `.rels` parts are parsed into trees here,
with `parse_xml`; the WordprocessingML and VML parts are streamed, one paragraph at a time.

A file that passes is then read in a sandboxed child with limits (`documents.parsing_child`).
"""

from __future__ import annotations

import codecs
import dataclasses
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from lxml import etree

from documents import refusals
from documents.content_scan import ContentScanner
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.limits import DEFAULT_LIMITS, MB, Limits
from documents.links import judge_link
from documents.refusals import RESAVE, Where, quoted
from documents.xml_scan import HEAD_BYTES, XmlScanner, parse_xml
from documents.zip_structure import XML_EXTENSIONS, checked_entries, extension, inflate

__all__ = ["check_package"]


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
    infos, uncompressed = checked_entries(data, limits)
    package = _Package(
        data,
        limits,
        {info.filename: info for info in infos},
        depth=depth,
        main_types=main_types,
        uncompressed=uncompressed,
    )
    package.check()


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
    "document.main": Where("text", "in the text"),
    "header": Where("header", "in a header"),
    "footer": Where("footer", "in a footer"),
    "footnotes": Where("footnote", "in a footnote"),
    "endnotes": Where("endnote", "in an endnote"),
    "comments": Where("comment", "in a comment"),
    "document.glossary": Where("glossary", "in a building block (the document's glossary)"),
    "settings": Where("settings", "in the document's settings"),
}
_IN_WORKBOOK = Where("workbook", "in an embedded workbook")
_IN_PACKAGE = Where("package", "in the package")
_MACRO_MARKERS = ("macroenabled", "vbaproject", "vbadata", "keymapcustomizations", "toolbars")
_MACRO_RELATIONSHIPS = frozenset(
    {"vbaproject", "wordvbadata", "keymapcustomizations", "attachedtoolbars", "vbaprojectsignature"}
)
_ACTIVEX_RELATIONSHIPS = frozenset({"control", "activexcontrol", "activexcontrolbinary"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".gif", ".bmp", ".dib", ".tif", ".tiff", ".emf", ".wmf",
     ".emz", ".wmz", ".svg", ".ico", ".webp"}
)  # fmt: skip


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
            raise DocumentRefused(
                RefusalCode.NOT_DOCX,
                "The file is a zip archive but not a Word document: it lacks the list of "
                "contents ([Content_Types].xml) that every .docx has.",
                why=Reason.NO_CONTENT_TYPES,
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
            raise refusals.xml_too_large(name, limit)
        scanner = XmlScanner(name)
        chunks = []
        for chunk in inflate(self.data, info):
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
        scanner: XmlScanner | None = None
        head = b""
        decided = name.lower().endswith(XML_EXTENSIONS) or content_type.endswith("xml")
        if decided:
            scanner = self._scanner(name, counts)
        produced = 0
        for chunk in inflate(self.data, info):
            produced += len(chunk)
            if not decided:
                head += chunk
                if len(head) < HEAD_BYTES:
                    continue
                chunk, head, decided = head, b"", True
                scanner = self._scanner(name, counts) if _looks_like_xml(chunk) else None
            if scanner is not None:
                if produced > self.limits.max_xml_part_bytes:
                    raise refusals.xml_too_large(name, self.limits.max_xml_part_bytes)
                scanner.feed(chunk)
        if not decided and _looks_like_xml(head):
            scanner = self._scanner(name, counts)
            scanner.feed(head)
        if scanner is not None:
            scanner.close()
            self.paragraphs += scanner.paragraphs

    def _scanner(self, name: str, counts: bool) -> XmlScanner:
        content = self._content_scanner(name)
        if not counts:
            return XmlScanner(name, content=content)
        # The limit is on the whole document: what the parts already scanned hold counts too.
        return XmlScanner(
            name, max_paragraphs=self.limits.max_paragraphs - self.paragraphs, content=content
        )

    def _content_scanner(self, name: str) -> ContentScanner | None:
        """Which parts are read for links and fields: WordprocessingML (where fields live), VML
        (shapes with links), and parts of no particular type, which a reader might still take
        for either. Pictures, charts, spreadsheets' cells and the like hold neither."""
        content_type = self.content_type(name)
        if content_type.startswith(_WORDPROCESSINGML):
            # Word requires its XML parts to be well-formed; its binary ones (printer settings)
            # reach here only if they look like XML, and are read the forgiving way.
            strict = content_type.endswith("+xml")
            return ContentScanner(name, self._place(name), strict=strict)
        if "vmldrawing" in content_type or content_type in _UNTYPED:
            return ContentScanner(name, self._place(name), strict=False)
        return None

    def _place(self, name: str) -> Where:
        """Where a part is, as a delegate knows it: "in a footnote", "in a header"."""
        content_type = self.content_type(name)
        if content_type.startswith(_WORDPROCESSINGML):
            kind = content_type.removeprefix(_WORDPROCESSINGML).removesuffix("+xml")
            place = _PLACES.get(kind)
            if place is not None:
                return place
        return Where("part", f"in its internal part {quoted(name)}", name)

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
                raise refusals.macros()
            if "activex" in content_type:
                raise refusals.activex()
            if "oleobject" in content_type:
                raise refusals.ole_object(
                    unquote(element.get("PartName") or "").lstrip("/") or None
                )
            if "externallink" in content_type:
                raise refusals.external_link(_IN_WORKBOOK)

    def content_type(self, name: str) -> str:
        found = self.overrides.get(name.lower())
        if found is not None:
            return found
        return self.defaults.get(extension(name).lstrip("."), "")

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
                raise refusals.macros()
            if kind in _ACTIVEX_RELATIONSHIPS:
                raise refusals.activex()
            if kind == "oleobject":
                raise refusals.ole_object(None if external else _resolve(source_folder, target))
            if kind == "afchunk":
                raise DocumentRefused(
                    RefusalCode.ALT_CHUNK,
                    "The document imports content from another file (an “alternative format "
                    "chunk”), which the platform cannot check; paste that content into the "
                    "document itself and send it again.",
                    why=Reason.ALT_CHUNK,
                )
            if kind == "subdocument":
                raise DocumentRefused(
                    RefusalCode.SUB_DOCUMENT,
                    "The file is a master document that pulls in sub-documents; merge them into "
                    "one self-contained document and send it again.",
                    why=Reason.SUB_DOCUMENT,
                )
            if kind == "externallink":
                raise refusals.external_link(_IN_WORKBOOK)
            if kind == "hyperlink":  # whatever the namespace or the case of its type
                problem = judge_link(element.get("Target") or "")
                if problem is not None:
                    where = self._place(source) if rels_file != ".rels" else _IN_PACKAGE
                    raise refusals.dangerous_link(problem, where, detail=f"hyperlink from {source}")
            if kind == "attachedtemplate" and external:
                raise DocumentRefused(
                    RefusalCode.EXTERNAL_TEMPLATE,
                    "The document is attached to an external template, which Word fetches when "
                    "the file is opened, a known way of delivering malicious code; detach the "
                    "template (Developer ▸ Document Template) or paste the text into a new "
                    "document, and send it again.",
                    detail=f"attachedTemplate target {target[:200]!r}",
                    why=Reason.EXTERNAL_TEMPLATE,
                )
            if external and full_type not in _HYPERLINK_TYPES:
                raise refusals.outside_resource(kind, f"{full_type[:200]!r} -> {target[:200]!r}")
            if kind == "package" and not external:
                part = _resolve(source_folder, target)
                if source_type in _CHART_TYPES and self.content_type(part) == _WORKBOOK_TYPE:
                    # A Word chart keeps its data in an embedded workbook, which goes through
                    # this same gate (`_check_embedded`) before the chart is allowed.
                    self.allowed_embeddings.add(part.lower())
                else:
                    raise refusals.ole_object(part)

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
            what, why = "an Excel workbook renamed .docx", Reason.EXCEL
        elif "presentationml" in content_type:
            what, why = "a PowerPoint presentation renamed .docx", Reason.POWERPOINT
        elif "template" in content_type:
            what, why = "a Word template (.dotx), not a document", Reason.TEMPLATE
        else:
            what, why = "not a Word document", Reason.NOT_WORD
        raise DocumentRefused(
            RefusalCode.NOT_DOCX,
            f"The file is {what}; save the proposal as a Word Document (.docx) and send it again.",
            why=why,
        )

    def _no_main_part(self) -> DocumentRefused:
        return DocumentRefused(
            RefusalCode.NOT_DOCX,
            "The file is a zip archive but not a Word document: it has no main document part; "
            f"{RESAVE}.",
            why=Reason.NO_MAIN_PART,
        )

    def _check_embeddings(self) -> None:
        for name in self.infos:
            lower = name.lower()
            if "embeddings" not in lower.split("/")[:-1] or lower.endswith("/"):
                continue
            if extension(lower) in _IMAGE_EXTENSIONS or lower in self.allowed_embeddings:
                continue
            raise refusals.ole_object(name)
        for name in self.infos:  # a chart's workbook, wherever it is
            if name.lower() in self.allowed_embeddings:
                self._check_embedded(name)

    def _check_embedded(self, name: str) -> None:
        """An embedded package goes through the whole gate, with what is left of the budget of
        inflated bytes; what it holds (a chart of its own) is checked the same way, a few levels
        deep at most."""
        info = self.infos[name]
        if self.depth + 1 > _MAX_EMBEDDING_DEPTH:
            raise DocumentRefused(
                RefusalCode.OLE_OBJECT,
                "The document embeds files inside embedded files more deeply than the platform "
                "checks; paste the chart as a picture or remove it, and send the document again.",
                detail=f"{name} at depth {self.depth + 1}",
                why=Reason.EMBEDDED_TOO_DEEP,
            )
        if info.file_size > self.limits.max_bytes:
            too_large = DocumentRefused(
                RefusalCode.TOO_LARGE, "too large", f"{info.file_size} bytes", why=Reason.TOO_LARGE
            )
            raise refusals.embedded(name, too_large)
        data = b"".join(inflate(self.data, info))
        self.done.add(name)
        budget = self.limits.max_uncompressed_total - self.uncompressed
        limits = dataclasses.replace(self.limits, max_uncompressed_total=max(1, budget))
        try:
            _check_package(data, limits, depth=self.depth + 1, main_types=_WORKBOOK_MAIN_TYPES)
        except DocumentRefused as refusal:
            raise refusals.embedded(name, refusal) from None


def _resolve(source_folder: str, target: str) -> str:
    """The part name a relationship's internal target points to, without its leading slash."""
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join("/", source_folder, target)).lstrip("/")


def _looks_like_xml(head: bytes) -> bool:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        head = head.removeprefix(bom)
    return head.lstrip(b" \t\r\n\x00").startswith(b"<")

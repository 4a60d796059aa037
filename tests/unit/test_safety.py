"""The safety gate (issue #4, item 1, and "Hostile inputs" of its "Must show").

Each hostile file is refused with its code and a plain sentence, within a time guard and a
memory bound; real documents (hand-written, python-docx's, with a hyperlink, a picture, a chart)
pass; parsing in a child process turns a hang, a memory blow-up or a crash into a refusal; and
no byte sequence makes `check_package` fail in any other way.

The time guard is a tripwire for a hang or a quadratic path, not a benchmark (STYLE.md: tests do
not measure speed); it is far above what any case takes.
"""

from __future__ import annotations

import pickle
import signal
import tracemalloc
from collections.abc import Callable
from io import BytesIO

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.errors import DocumentRefused, RefusalCode
from documents.limits import DEFAULT_LIMITS, Limits
from documents.package_gate import check_package
from documents.parsing_child import parse_with_limits
from documents.xml_scan import count_paragraphs, parse_xml
from tests.unit import hostile_docx as hostile
from tests.unit.engine_words import assert_worded

MEMORY_BOUND = 100 * 1024 * 1024


def assert_plain_sentence(reason: str) -> None:
    assert reason.strip() == reason and reason
    assert reason.endswith(".") and "\n" not in reason
    assert "Traceback" not in reason and "Error" not in reason


def refused(data: bytes, limits: Limits = DEFAULT_LIMITS) -> DocumentRefused:
    """Run the gate on `data`, which must be refused, within the memory bound (tests assert no
    wall-clock time: the machine is shared; the gate's own budgets bound its work)."""
    tracemalloc.start()
    try:
        with pytest.raises(DocumentRefused) as caught:
            check_package(data, limits)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peaked at {peak / 2**20:.0f} MiB"
    assert_plain_sentence(caught.value.reason)
    assert_worded(caught.value)
    return caught.value


def python_docx_document(*texts: str) -> bytes:
    document = docx.Document()
    for text in texts:
        document.add_paragraph(text)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


HOSTILE: list[tuple[Callable[[], bytes], RefusalCode]] = [
    # The "Must show" list of issue #4.
    (hostile.zip_bomb, RefusalCode.ZIP_BOMB),
    (hostile.zip_bomb_lying, RefusalCode.ZIP_BOMB),
    (hostile.overlapping_entries, RefusalCode.ZIP_BOMB),
    (hostile.billion_laughs, RefusalCode.DOCTYPE),
    (hostile.xxe, RefusalCode.DOCTYPE),
    (hostile.plain_doctype, RefusalCode.DOCTYPE),
    (hostile.macro_enabled_renamed, RefusalCode.MACROS),
    (hostile.external_template, RefusalCode.EXTERNAL_TEMPLATE),
    (hostile.external_template_on_a_share, RefusalCode.EXTERNAL_TEMPLATE),
    (hostile.truncated, RefusalCode.CORRUPT),
    (hostile.not_zip_pdf, RefusalCode.NOT_ZIP),
    (hostile.empty, RefusalCode.EMPTY),
    (hostile.huge_paragraph_count, RefusalCode.TOO_MANY_PARAGRAPHS),
    # The rest of item 1.
    (hostile.doctype_utf16, RefusalCode.DOCTYPE),
    (hostile.doctype_in_relationships, RefusalCode.DOCTYPE),
    (hostile.doctype_utf16_big_endian, RefusalCode.DOCTYPE),
    (hostile.doctype_in_disguised_part, RefusalCode.DOCTYPE),
    (hostile.entity_without_doctype, RefusalCode.DOCTYPE),
    (hostile.utf7_encoded, RefusalCode.NOT_DOCX),
    (hostile.macro_project_only, RefusalCode.MACROS),
    (hostile.macro_content_type_only, RefusalCode.MACROS),
    (hostile.activex, RefusalCode.ACTIVEX),
    (hostile.ole_embedding, RefusalCode.OLE_OBJECT),
    (hostile.embedded_file_unreferenced, RefusalCode.OLE_OBJECT),
    (hostile.alt_chunk, RefusalCode.ALT_CHUNK),
    (hostile.sub_document, RefusalCode.SUB_DOCUMENT),
    (hostile.external_image, RefusalCode.EXTERNAL_RELATIONSHIP),
    (hostile.duplicate_entries, RefusalCode.DUPLICATE_ENTRY),
    (hostile.duplicate_entries_by_case, RefusalCode.DUPLICATE_ENTRY),
    (hostile.path_traversal, RefusalCode.PATH_TRAVERSAL),
    (lambda: hostile.path_traversal("/etc/evil.xml"), RefusalCode.PATH_TRAVERSAL),
    (lambda: hostile.path_traversal("word\\..\\..\\evil.xml"), RefusalCode.PATH_TRAVERSAL),
    (lambda: hostile.path_traversal("word/../../evil.xml"), RefusalCode.PATH_TRAVERSAL),
    (lambda: hostile.path_traversal("C:/evil.xml"), RefusalCode.PATH_TRAVERSAL),
    (hostile.encrypted_entry, RefusalCode.ENCRYPTED),
    (hostile.many_entries, RefusalCode.TOO_MANY_ENTRIES),
    (hostile.old_word_document, RefusalCode.NOT_DOCX),
    (hostile.excel_renamed, RefusalCode.NOT_DOCX),
    (lambda: hostile.zip_parts({"word/document.xml": b"<x/>"}), RefusalCode.NOT_DOCX),
    (lambda: b"PK\x03\x04" + bytes(DEFAULT_LIMITS.max_bytes), RefusalCode.TOO_LARGE),
]


@pytest.mark.parametrize(
    ("build", "code"),
    HOSTILE,
    ids=[
        getattr(build, "__name__", "case").replace("<lambda>", f"variant{i}")
        for i, (build, _) in enumerate(HOSTILE)
    ],
)
def test_hostile_file_is_refused_with_its_reason(
    build: Callable[[], bytes], code: RefusalCode
) -> None:
    refusal = refused(build())
    assert refusal.code is code, refusal.reason


def test_a_bomb_within_the_total_is_caught_by_its_ratio() -> None:
    # 64 MiB is under the total cap; its ~1000-fold ratio is what gives it away.
    refusal = refused(hostile.zip_bomb(mebibytes=64))
    assert refusal.code is RefusalCode.ZIP_BOMB
    assert "expand" in refusal.reason and "times" in refusal.reason


def test_limits_are_configurable() -> None:
    small = hostile.minimal_docx(hostile.paragraphs(["one", "two", "three"]))
    assert refused(small, Limits(max_bytes=100)).code is RefusalCode.TOO_LARGE
    assert refused(small, Limits(max_entries=3)).code is RefusalCode.TOO_MANY_ENTRIES
    assert refused(small, Limits(max_xml_part_bytes=200)).code is RefusalCode.TOO_LARGE
    check_package(small, Limits(max_paragraphs=3))
    refusal = refused(small, Limits(max_paragraphs=2))
    assert refusal.code is RefusalCode.TOO_MANY_PARAGRAPHS
    assert "2 paragraphs" in refusal.reason
    with pytest.raises(ValueError):
        Limits(max_ratio=0)


def test_an_attackers_address_is_not_repeated_to_the_delegate() -> None:
    refusal = refused(hostile.external_template())
    assert "attacker.example" not in refusal.reason
    assert refusal.detail is not None and "attacker.example" in refusal.detail


def test_an_embedded_workbook_not_behind_a_chart_is_refused() -> None:
    workbook = hostile.zip_parts({"x.xml": b"<x/>"})
    data = hostile.minimal_docx(
        document_rels=[hostile.Rel("rId9", hostile.REL + "package", "embeddings/book.xlsx")],
        defaults={"xlsx": hostile.WORKBOOK_TYPE},
        extra={"word/embeddings/book.xlsx": workbook},
    )
    assert refused(data).code is RefusalCode.OLE_OBJECT


# ---------------------------------------------------------------------------------------------
# Links, fields and embedded packages (issue #9, item 7)

# (id, a hyperlink's target as written in the relationship's XML attribute)
DANGEROUS_TARGETS = [
    ("file", "file:///C:/Windows/System32/calc.exe"),
    ("file-on-a-host", "file://attacker.example/share/x.docx"),
    ("file-upper-case", "FILE:///C:/x.hta"),
    ("unc", "\\\\attacker.example\\share\\x.docx"),
    ("unc-forward-slashes", "//attacker.example/share/x.docx"),
    ("unc-mixed-slashes", "\\/attacker.example/share"),
    ("drive-letter", "C:\\Users\\Public\\x.hta"),
    ("relative-path", "annex.docm"),
    ("javascript", "javascript:alert(1)"),
    ("javascript-case-and-spaces", "  JaVaScRiPt:alert(1)"),
    ("javascript-tab-inside", "java&#9;script:alert(1)"),
    ("javascript-line-breaks-before", "&#10;&#13;javascript:alert(1)"),
    ("javascript-c1-control-before", "&#x85;javascript:alert(1)"),
    ("javascript-zero-width-before", "&#x200B;&#xFEFF;javascript:alert(1)"),
    ("javascript-percent-encoded-colon", "javascript%3Aalert(1)"),
    ("vbscript", "vbscript:msgbox(1)"),
    ("data", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ("ms-word", "ms-word:ofe|u|https://attacker.example/x.docm"),
    ("ms-excel", "ms-excel:ofv|u|\\\\attacker.example\\s\\x.xlsm"),
    ("ms-msdt", "ms-msdt:/id PCWDiagnostic /skip force /param x"),
    ("search-ms", "search-ms:query=invoice&amp;crumb=location:\\\\attacker.example\\s"),
    ("smb", "smb://attacker.example/share"),
    ("percent-encoded-scheme", "%66ile:///C:/x.hta"),
    ("double-percent-encoded", "file%253A%252F%252Fattacker.example"),
    ("mailto-attach", "mailto:chair@oas.org?attach=C:\\Users\\x\\secret.docx"),
    ("mailto-attach-encoded", "mailto:chair@oas.org?subject=x&amp;%61ttach=/etc/passwd"),
]


@pytest.mark.parametrize(
    "target", [t for _, t in DANGEROUS_TARGETS], ids=[i for i, _ in DANGEROUS_TARGETS]
)
def test_a_hyperlink_other_than_web_or_mail_is_refused(target: str) -> None:
    refusal = refused(hostile.linked(target))
    assert refusal.code is RefusalCode.DANGEROUS_LINK, refusal.reason
    assert "in the text" in refusal.reason
    assert "attacker" not in refusal.reason and "calc" not in refusal.reason


LINKS_ELSEWHERE: list[tuple[Callable[[], bytes], str]] = [
    (hostile.link_in_footnote, "in a footnote"),
    (hostile.link_in_header, "in a header"),
    (hostile.link_in_comment, "in a comment"),
    (hostile.internal_mode_link, "in the text"),
    (lambda: hostile.vml_shape('href="file:///C:/x.hta"'), "in the text"),
]


@pytest.mark.parametrize(
    ("build", "where"),
    LINKS_ELSEWHERE,
    ids=["footnote", "header", "comment", "no-target-mode", "vml-shape-href"],
)
def test_a_dangerous_link_anywhere_in_the_document_is_refused(
    build: Callable[[], bytes], where: str
) -> None:
    refusal = refused(build())
    assert refusal.code is RefusalCode.DANGEROUS_LINK
    assert where in refusal.reason


# (id, the document) for fields that fetch or run outside content
EXTERNAL_FIELDS: list[tuple[str, Callable[[], bytes]]] = [
    ("includetext", lambda: hostile.with_field(' INCLUDETEXT "C:\\\\secret.docx" ')),
    ("includepicture", lambda: hostile.with_field(' INCLUDEPICTURE "http://a.example/p.png" \\d ')),
    ("include-legacy", lambda: hostile.with_field(' INCLUDE "C:\\\\x.doc" ')),
    ("dde", lambda: hostile.with_field(' DDE cmd "/c calc" ')),
    ("ddeauto", lambda: hostile.with_field(' DDEAUTO c:\\\\windows\\\\cmd.exe "/k calc" ')),
    ("link", lambda: hostile.with_field(' LINK Excel.Sheet.12 "C:\\\\b.xlsx" "R1C1" \\a ')),
    ("import", lambda: hostile.with_field(' IMPORT "C:\\\\p.wmf" ')),
    ("database", lambda: hostile.with_field(' DATABASE \\d "C:\\\\d.mdb" \\s "SELECT 1" ')),
    ("rd", lambda: hostile.with_field(' RD "C:\\\\chapter.docx" ')),
    ("split-across-runs", lambda: hostile.with_field(" DD", "EAU", 'TO cmd "/c calc" ')),
    ("lower-case", lambda: hostile.with_field(' includetext "x.docx" ')),
    ("no-space-before-argument", lambda: hostile.with_field('INCLUDETEXT"x.docx"')),
    ("character-reference", lambda: hostile.with_field(' &#73;NCLUDETEXT "x.docx" ')),
    ("comment-inside", lambda: hostile.with_field(' INCLUDE<!-- -->TEXT "x.docx" ')),
    ("cdata", lambda: hostile.with_field(' <![CDATA[INCLUDETEXT]]> "x.docx" ')),
    ("zero-width-inside", lambda: hostile.with_field(' DDE&#x200B;AUTO cmd "/c calc" ')),
    ("simple-field", lambda: hostile.with_simple_field("DDEAUTO cmd &quot;/c calc&quot;")),
    ("simple-field-includepicture", lambda: hostile.with_simple_field(" INCLUDEPICTURE x.png")),
    (
        "after-200-KiB-of-text",
        lambda: hostile.minimal_docx(
            hostile.paragraphs(f"Article {i}. " + "word " * 30 for i in range(1200))
            + "<w:p>"
            + hostile.complex_field(' DDEAUTO cmd "/c calc" ')
            + "</w:p>"
        ),
    ),
    ("nested-in-if", hostile.field_nested_in_if),
    (
        "keyword-built-by-quote",
        lambda: hostile.field_with_nested(" ", "{ QUOTE 68 68 69 65 85 84 79 }", ' cmd "/c x" '),
    ),
    (
        "keyword-completed-by-a-field",
        lambda: hostile.field_with_nested(" DD", '{ QUOTE "E" }', ' cmd "/c calc" '),
    ),
    ("in-a-tracked-deletion", hostile.field_in_tracked_deletion),
    ("hidden-by-tracked-changes", hostile.field_hidden_by_a_tracked_insertion),
    ("in-a-header", hostile.field_in_header),
]


@pytest.mark.parametrize(
    "build", [b for _, b in EXTERNAL_FIELDS], ids=[i for i, _ in EXTERNAL_FIELDS]
)
def test_a_field_that_fetches_outside_content_is_refused(build: Callable[[], bytes]) -> None:
    refusal = refused(build())
    assert refusal.code is RefusalCode.EXTERNAL_FIELD, refusal.reason
    assert "Ctrl+Shift+F9" in refusal.reason


HYPERLINK_FIELDS = [
    ("unc", ' HYPERLINK "\\\\\\\\attacker.example\\\\s\\\\x.docx" '),
    ("unc-unquoted", " HYPERLINK \\\\attacker.example\\s "),
    ("file", ' HYPERLINK "file:///C:/x.hta" \\o "The annex" '),
    ("javascript", ' HYPERLINK "javascript:alert(1)" '),
    ("ms-word", ' hyperlink "ms-word:ofe|u|https://attacker.example/x.docm" '),
    ("after-a-bookmark", ' HYPERLINK \\l "annex" "file:///C:/x.hta" '),
]


@pytest.mark.parametrize(
    "instruction", [i for _, i in HYPERLINK_FIELDS], ids=[i for i, _ in HYPERLINK_FIELDS]
)
def test_a_hyperlink_field_other_than_web_or_mail_is_refused(instruction: str) -> None:
    assert refused(hostile.with_field(instruction)).code is RefusalCode.DANGEROUS_LINK
    escaped = instruction.replace('"', "&quot;")
    assert refused(hostile.with_simple_field(escaped)).code is RefusalCode.DANGEROUS_LINK


def test_a_hyperlink_field_whose_target_another_field_builds_is_refused() -> None:
    data = hostile.field_with_nested(' HYPERLINK "', '{ QUOTE "file:///C:/x.hta" }', '" ')
    assert refused(data).code is RefusalCode.DANGEROUS_LINK


def test_a_mail_merge_and_a_picture_fetched_from_outside_are_refused() -> None:
    assert refused(hostile.mail_merge()).code is RefusalCode.EXTERNAL_RELATIONSHIP
    refusal = refused(hostile.vml_picture_from_a_share())
    assert refusal.code is RefusalCode.EXTERNAL_RELATIONSHIP
    assert "picture" in refusal.reason


EMBEDDED: list[tuple[str, Callable[[], bytes], RefusalCode]] = [
    ("macros", lambda: hostile.with_chart(hostile.workbook_with_macros()), RefusalCode.MACROS),
    (
        "external-link",
        lambda: hostile.with_chart(hostile.workbook_with_external_link()),
        RefusalCode.EXTERNAL_RELATIONSHIP,
    ),
    (
        "external-link-untyped",
        lambda: hostile.with_chart(hostile.workbook_with_external_link(typed=False)),
        RefusalCode.EXTERNAL_RELATIONSHIP,
    ),
    (
        "dde-link",
        lambda: hostile.with_chart(hostile.workbook_with_dde_link()),
        RefusalCode.EXTERNAL_RELATIONSHIP,
    ),
    (
        "hyperlink-to-a-share",
        lambda: hostile.with_chart(hostile.workbook_with_link_to_a_share()),
        RefusalCode.DANGEROUS_LINK,
    ),
    ("doctype", lambda: hostile.with_chart(hostile.workbook_with_doctype()), RefusalCode.DOCTYPE),
    ("not-a-zip", lambda: hostile.with_chart(b"MZ\x90\x00 not a workbook"), RefusalCode.NOT_ZIP),
    (
        "word-macros-as-workbook",
        lambda: hostile.with_chart(hostile.word_macros_as_workbook()),
        RefusalCode.MACROS,
    ),
    ("zip-bomb", lambda: hostile.with_chart(hostile.zip_bomb(64)), RefusalCode.ZIP_BOMB),
    ("outside-the-embeddings-folder", hostile.chart_with_macros_elsewhere, RefusalCode.MACROS),
    ("nested-too-deep", hostile.charts_nested_too_deep, RefusalCode.OLE_OBJECT),
]


@pytest.mark.parametrize(
    ("build", "code"), [(b, c) for _, b, c in EMBEDDED], ids=[i for i, _, _ in EMBEDDED]
)
def test_a_charts_workbook_goes_through_the_same_gate(
    build: Callable[[], bytes], code: RefusalCode
) -> None:
    refusal = refused(build())
    assert refusal.code is code, refusal.reason
    assert "embeds" in refusal.reason


def test_a_workbook_a_level_deeper_is_gated_too() -> None:
    check_package(hostile.with_chart(hostile.workbook_with_a_chart(hostile.workbook())))
    deeper = hostile.workbook_with_a_chart(hostile.workbook_with_macros())
    assert refused(hostile.with_chart(deeper)).code is RefusalCode.MACROS


BENIGN_LINKS_AND_FIELDS: list[tuple[str, Callable[[], bytes]]] = [
    ("https", lambda: hostile.linked("https://www.oas.org/en/")),
    ("http-upper-case", lambda: hostile.linked("HTTP://WWW.OAS.ORG/")),
    ("https-percent-encoded", lambda: hostile.linked("https://www.oas.org/docs/a%20b.pdf#p=2")),
    ("mailto", lambda: hostile.linked("mailto:secretariat@oas.org?subject=Plan%20of%20Action")),
    ("bookmark", lambda: hostile.linked("#_Toc123")),
    ("https-in-a-footnote", lambda: hostile.link_in_footnote("https://www.oas.org/")),
    ("mailto-in-a-header", lambda: hostile.link_in_header("mailto:chair@oas.org")),
    ("vml-shape-https", lambda: hostile.vml_shape('href="https://www.oas.org/"')),
    ("page", lambda: hostile.with_field(" PAGE ")),
    ("numpages", lambda: hostile.with_field(" NUMPAGES \\* MERGEFORMAT ")),
    ("toc", lambda: hostile.with_field(' TOC \\o "1-3" \\h \\z \\u ')),
    ("ref", lambda: hostile.with_field(" REF _Ref123 \\h ")),
    ("ref-to-a-bookmark-named-link", lambda: hostile.with_field(" REF LINK \\h ")),
    ("date", lambda: hostile.with_field(' DATE \\@ "d MMMM yyyy" ')),
    ("if-with-the-word-include", lambda: hostile.with_field(' IF 1 = 1 "Include it" "" ')),
    ("hyperlink-https", lambda: hostile.with_field(' HYPERLINK "https://www.oas.org/" ')),
    ("hyperlink-split", lambda: hostile.with_field(" HYPER", 'LINK "https://www.oas.org/" ')),
    ("hyperlink-tooltip", lambda: hostile.with_field(' HYPERLINK "https://oas.org" \\o "C:\\x" ')),
    ("hyperlink-bookmark", lambda: hostile.with_field(' HYPERLINK \\l "_Toc123" ')),
    (
        "hyperlink-mailto-simple",
        lambda: hostile.with_simple_field("HYPERLINK &quot;mailto:c@oas.org&quot;"),
    ),
    ("simple-field-page", lambda: hostile.with_simple_field(" PAGE ")),
    ("if-with-a-nested-ref", lambda: hostile.field_with_nested(" IF ", "{ REF x }", ' = "1" "a" ')),
    ("quote-with-a-nested-date", lambda: hostile.field_with_nested(" QUOTE ", "{ DATE }")),
    ("chart-with-its-workbook", hostile.with_chart),
]


@pytest.mark.parametrize(
    "build", [b for _, b in BENIGN_LINKS_AND_FIELDS], ids=[i for i, _ in BENIGN_LINKS_AND_FIELDS]
)
def test_web_and_mail_links_and_ordinary_fields_pass(build: Callable[[], bytes]) -> None:
    check_package(build())


@pytest.mark.parametrize(
    "build",
    [
        hostile.minimal_docx,
        python_docx_document,
        hostile.with_hyperlink,
        hostile.with_image,
        hostile.with_chart,
        hostile.utf16_document,
        hostile.comment_and_cdata,
    ],
)
def test_real_documents_pass(build: Callable[[], bytes]) -> None:
    check_package(build())


def test_a_python_docx_document_with_text_passes() -> None:
    check_package(python_docx_document("Article 1. Purpose.", "Article 2. Scope."))


# ---------------------------------------------------------------------------------------------
# The streaming scans and the safe parser


def test_count_paragraphs_counts_start_tags_only() -> None:
    body = (
        "<w:p/><w:p><w:pPr/><w:proofErr/></w:p>"
        '<w:p w:rsidR="00AB12CD"><w:r><w:t>p</w:t></w:r></w:p>'
        '<w:p\n w:rsidR="1"/><w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>'
    )
    assert count_paragraphs(hostile.document_xml(body)) == 5
    renamed = hostile.document_xml(body).replace(b"w:", b"ns0:").replace(b"xmlns:w=", b"xmlns:ns0=")
    assert count_paragraphs(renamed) == 5


def test_count_paragraphs_is_exact_across_chunk_boundaries_and_in_utf16() -> None:
    body = "".join(
        f'<w:p w:rsidR="{i:08X}"><w:r><w:t>x{i}</w:t></w:r></w:p>' for i in range(20_000)
    )
    xml = hostile.document_xml(body)
    assert len(xml) > 10 * 64 * 1024
    assert count_paragraphs(xml) == 20_000
    utf16 = xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert count_paragraphs(utf16) == 20_000


def test_parse_xml_is_safe() -> None:
    root = parse_xml(hostile.document_xml())
    assert root.tag == f"{{{hostile.W_NS}}}document"
    for data in (hostile.document_xml().replace(b"<w:document", b"<!DOCTYPE x><w:document"),):
        with pytest.raises(DocumentRefused) as caught:
            parse_xml(data, "word/document.xml")
        assert caught.value.code is RefusalCode.DOCTYPE
    with pytest.raises(DocumentRefused) as caught:
        parse_xml(b"<w:document><unclosed></w:document>", "word/document.xml")
    assert caught.value.code is RefusalCode.CORRUPT
    assert_plain_sentence(caught.value.reason)


def test_refusals_survive_pickling() -> None:
    refusal = DocumentRefused(RefusalCode.MACROS, "The file contains macros.", detail="vba")
    copy = pickle.loads(pickle.dumps(refusal))
    assert (copy.code, copy.reason, copy.detail) == (refusal.code, refusal.reason, refusal.detail)


# ---------------------------------------------------------------------------------------------
# Parsing in a child process with limits


def limited_call(fn: Callable[..., object], limits: Limits) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as caught:
        parse_with_limits(fn, b"data", limits=limits)
    assert_plain_sentence(caught.value.reason)
    return caught.value


def test_a_parse_that_hangs_is_stopped() -> None:
    refusal = limited_call(hostile.sleep_forever, Limits(parse_seconds=0.5))
    assert refusal.code is RefusalCode.TIMEOUT


def test_a_parse_that_eats_memory_is_stopped() -> None:
    refusal = limited_call(hostile.allocate_without_end, Limits(parse_memory_bytes=256 * 2**20))
    assert refusal.code is RefusalCode.TOO_MUCH_MEMORY


def test_a_parse_that_crashes_is_corrupt_without_a_traceback() -> None:
    # A crash is the file's doing as likely as the platform's; an exception of the engine's own
    # is a fault instead (`test_parsing_child`).
    refusal = limited_call(hostile.crash, DEFAULT_LIMITS)
    assert refusal.code is RefusalCode.CORRUPT
    assert refusal.detail is not None and str(-signal.SIGSEGV) in refusal.detail


def test_a_refusal_in_the_child_comes_back_as_it_is() -> None:
    refusal = limited_call(hostile.refuse_in_child, DEFAULT_LIMITS)
    assert refusal.code is RefusalCode.NO_TRACKED_CHANGES
    assert refusal.reason == "The proposal has no tracked changes."


def test_a_real_reader_runs_in_the_child() -> None:
    data = python_docx_document("Article 1. Purpose.", "Article 2. Scope.")
    check_package(data)
    assert parse_with_limits(hostile.paragraph_texts, data) == [
        "Article 1. Purpose.",
        "Article 2. Scope.",
    ]
    assert parse_with_limits(hostile.count_with_offset, b"abc", 2, scale=10) == 50


# ---------------------------------------------------------------------------------------------
# Properties: nothing but a refusal ever comes out


def gate_outcome(data: bytes) -> None:
    try:
        check_package(data)
    except DocumentRefused as refusal:
        assert_plain_sentence(refusal.reason)
        assert isinstance(refusal.code, RefusalCode)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_never_crash_the_gate(data: bytes) -> None:
    gate_outcome(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_behind_a_zip_signature_never_crash_the_gate(data: bytes) -> None:
    gate_outcome(b"PK\x03\x04" + data)


VALID = hostile.minimal_docx(hostile.paragraphs(["Article 1.", "Article 2."]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=6),
    st.integers(1, len(VALID)),
)
def test_damaged_documents_never_crash_the_gate(
    changes: list[tuple[int, int]], length: int
) -> None:
    data = bytearray(VALID)
    for position, value in changes:
        data[position] = value
    gate_outcome(bytes(data[:length]))

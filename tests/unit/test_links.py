"""`documents.links`: which link targets and field instructions a document may carry (issue #9).

The gate's tests (`test_safety.py`) hold the documents; these state the judgement itself, with
properties over arbitrary text: nothing added after a web address makes it dangerous, nothing
put before a dangerous one (white space, control or invisible characters, percent-encoding)
makes it pass.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.links import (
    EXTERNAL_FIELDS,
    MAIL_ATTACHMENT,
    FieldVerdict,
    hyperlink_targets,
    judge_field,
    judge_link,
    keyword_settled,
)

INVISIBLE = st.text(
    st.sampled_from(" \t\r\n\x00\x01\x1f\x7f\x85\xa0\u200b\u200e\u202e\u2028\ufeff"), max_size=6
)
DANGEROUS = [
    "file:///C:/x",
    "\\\\host\\share",
    "//host/share",
    "javascript:alert(1)",
    "vbscript:x",
    "data:text/html,x",
    "ms-word:ofe|u|https://x",
    "search-ms:query=x",
    "C:\\x.hta",
    "x.docm",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTPS://", "mailto:"]), st.text(max_size=60))
def test_whatever_follows_a_web_or_mail_scheme_passes(scheme: str, rest: str) -> None:
    verdict = judge_link(scheme + rest)
    if scheme == "mailto:":  # only a mail link that attaches a file is refused
        assert verdict in (None, MAIL_ATTACHMENT)
    else:
        assert verdict is None


@settings(max_examples=300, deadline=None)
@given(INVISIBLE, st.sampled_from(DANGEROUS), st.booleans(), st.booleans())
def test_nothing_put_before_a_dangerous_target_lets_it_pass(
    prefix: str, target: str, upper: bool, encode: bool
) -> None:
    if upper:
        target = target.upper()
    if encode:
        target = quote(target, safe="")
    assert judge_link(prefix + target) is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_a_target_passes_only_with_a_web_or_mail_scheme_or_within_the_document(
    target: str,
) -> None:
    if judge_link(target) is None:
        cleaned = "".join(c for c in target if c.isprintable() and not c.isspace()).lower()
        assert cleaned == "" or cleaned.startswith(("#", "http:", "https:", "mailto:")), target


def test_what_a_refused_target_points_to() -> None:
    assert judge_link("file:///C:/x") == "a file on a computer or a network share"
    assert judge_link("\\\\host\\share") == "a file on a computer or a network share"
    assert judge_link("JavaScript:x") == "a script"
    assert judge_link("data:,x") == "content written into the link itself"
    assert judge_link("ms-excel:ofv|u|x") == "a program on the reader's computer"
    assert judge_link("mailto:a@b.org?attach=/etc/passwd") is not None
    assert "gopher:" in (judge_link("gopher://x") or "")
    assert judge_link("mailto:a@b.org?subject=attachment%20list") is None


@pytest.mark.parametrize("keyword", sorted(EXTERNAL_FIELDS))
def test_every_external_field_is_refused_in_any_case(keyword: str) -> None:
    assert judge_field(f' {keyword} "x" ') == FieldVerdict(keyword)
    assert judge_field(f"\t{keyword.lower()}") == FieldVerdict(keyword)


@pytest.mark.parametrize(
    "instruction",
    [
        " PAGE ",
        ' TOC \\o "1-3" \\h ',
        " REF INCLUDE_note \\h ",
        ' IF 1 = 1 "Include the annex" "" ',
        ' HYPERLINK "https://www.oas.org/" \\o "C:\\\\tooltip" ',
        ' HYPERLINK \\l "_Toc1" ',
        " = 2 * 3 ",
        "",
    ],
)
def test_ordinary_fields_pass(instruction: str) -> None:
    assert judge_field(instruction) is None


def test_the_targets_of_a_hyperlink_field() -> None:
    assert hyperlink_targets(' HYPERLINK "https://x/" \\o "tip" \\l "b" ') == ["https://x/"]
    assert hyperlink_targets(' HYPERLINK "\\\\\\\\host\\\\s" ') == ["\\\\host\\s"]
    assert hyperlink_targets(" HYPERLINK \\\\host\\s \\n ") == ["\\\\host\\s"]
    assert hyperlink_targets('HYPERLINK"x"') == ["x"]
    verdict = judge_field(' HYPERLINK "file:///C:/x" ')
    assert verdict is not None and verdict.keyword == "HYPERLINK" and verdict.link is not None


def test_a_keyword_is_settled_once_something_follows_it() -> None:
    assert not keyword_settled("")
    assert not keyword_settled("   ")
    assert not keyword_settled(" DD")
    assert not keyword_settled(" DD\u200b")
    assert keyword_settled(" IF ")
    assert keyword_settled(" = ")
    assert keyword_settled(' QUOTE "')
    verdict = judge_field(' HYPERLINK "" ', nested=True)
    assert verdict is not None and verdict.link is not None

"""Unit tests for commands/reply.py: the plain and HTML renderings of a handler's reply."""

from __future__ import annotations

import dataclasses

import pytest

from commands.reply import Reply


def test_plain_keeps_the_text() -> None:
    assert Reply.plain("pong (3 ms)") == Reply(text="pong (3 ms)", html="pong (3 ms)")


def test_plain_escapes_html() -> None:
    reply = Reply.plain("<script>alert(\"x\")</script> & 'y'")
    assert reply.text == "<script>alert(\"x\")</script> & 'y'"
    assert reply.html == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;y&#x27;"


def test_plain_turns_newlines_into_breaks() -> None:
    reply = Reply.plain("one\ntwo <b>")
    assert reply.text == "one\ntwo <b>"
    assert reply.html == "one<br>two &lt;b&gt;"


def test_titled_structure() -> None:
    reply = Reply.titled("Commands:", ["!help — list", "!ping — check"])
    assert reply.text == "Commands:\n• !help — list\n• !ping — check"
    assert reply.html == (
        "<strong>Commands:</strong><ul><li>!help — list</li><li>!ping — check</li></ul>"
    )


def test_titled_without_lines_has_no_list() -> None:
    reply = Reply.titled("Nothing here", [])
    assert reply.text == "Nothing here"
    assert reply.html == "<strong>Nothing here</strong>"


def test_titled_escapes_title_and_lines() -> None:
    reply = Reply.titled("<Title & co>", ["usage: !publish <document> [--title <title>]"])
    assert reply.text == "<Title & co>\n• usage: !publish <document> [--title <title>]"
    assert reply.html == (
        "<strong>&lt;Title &amp; co&gt;</strong>"
        "<ul><li>usage: !publish &lt;document&gt; [--title &lt;title&gt;]</li></ul>"
    )


def test_reply_is_frozen() -> None:
    reply = Reply.plain("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reply.text = "y"  # type: ignore[misc]

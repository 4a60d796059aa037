"""Proposals' changes in the chat, in both renderings (issue #14): one place for all of them.

The engine cuts a proposal into marked pieces (`documents.excerpts`: `(text, kind)`, kind
"same", "inserted" or "deleted"); this renders them — `{+inserted+}` and `[-deleted-]` in the
plain body, `<u>` and `<del>` in HTML (tags of the Matrix specification's list for messages,
which Element renders) — for `!history`, a proposal's receipt, `!show` and the compile summary.
Every piece of text is escaped: a delegate's words are never markup. A line is `(plain, html)`;
`Text` builds a reply of headings and lists of lines, split into several messages (`Reply.more`)
when very long.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from commands.i18n import N_, Translate
from commands.reply import Reply
from documents.excerpts import MarkedParagraph

__all__ = [
    "MESSAGE_CHARACTERS",
    "RECEIPT_CHARACTERS",
    "RECEIPT_PARAGRAPHS",
    "Line",
    "Text",
    "changed_paragraphs",
    "escaped",
    "filled",
    "marked",
    "parts",
]

Line = tuple[str, str]  # (plain body, HTML)
_MARKS = {"inserted": ("{+", "+}", "u"), "deleted": ("[-", "-]", "del")}
MESSAGE_CHARACTERS = 12_000  # of plain text and HTML together in one message, about
# A receipt shows a screenful: the first paragraphs a proposal changes, up to so many of them
# and so many characters of their text (each paragraph's excerpt is cut by the engine).
RECEIPT_PARAGRAPHS = 8
RECEIPT_CHARACTERS = 1_600
_PARAGRAPH = N_("paragraph {number}: {change}")
_MORE = N_("and {count} more paragraph(s): {command} shows every change.")
_SLOT = "\x00"


def escaped(text: str) -> Line:
    return text, html.escape(text)


def marked(pieces: Sequence[tuple[str, str]]) -> Line:
    """Marked pieces on one line: insertions `{+…+}` / `<u>`, deletions `[-…-]` / `<del>`."""
    plain, rich = [], []
    for text, kind in pieces:
        text = text.replace("\n", " ")
        opening, closing, tag = _MARKS.get(kind, ("", "", ""))
        plain.append(f"{opening}{text}{closing}")
        rich.append(f"<{tag}>{html.escape(text)}</{tag}>" if tag else html.escape(text))
    return "".join(plain), "".join(rich)


def filled(template: str, **values: str | int | Line) -> Line:
    """A translated sentence with its values: text values are escaped in HTML, `Line` values
    (marked text) go in as they are rendered."""
    lines = {k: v for k, v in values.items() if isinstance(v, tuple)}
    plain = template.format(**{k: v[0] if isinstance(v, tuple) else v for k, v in values.items()})
    slots = {k: f"{_SLOT}{k}{_SLOT}" for k in lines}
    rich = html.escape(template.format(**{**values, **slots}))
    for name, slot in slots.items():
        rich = rich.replace(slot, lines[name][1])
    return plain, rich


def parts(pieces: Sequence[tuple[str, str]], most: int) -> list[list[tuple[str, str]]]:
    """Marked pieces cut into parts of at most about `most` characters of text each (a piece
    longer than that is cut too), for a change too long for one message."""
    out: list[list[tuple[str, str]]] = [[]]
    room = most
    for text, kind in pieces:
        while text:
            if room <= 0:
                out.append([])
                room = most
            out[-1].append((text[:room], kind))
            text, room = text[room:], room - len(text[:room])
    return [p for p in out if p]


def changed_paragraphs(
    changes: Sequence[MarkedParagraph],
    _: Translate,
    *,
    show: str,
    most: int | None = None,
    characters: int | None = None,
) -> list[Line]:
    """Each changed paragraph by its number with its marked text; after `most` paragraphs or
    about `characters` characters of text, "and N more paragraph(s)" and the command (`show`)
    that shows them all. A paragraph too long for one message is cut into several lines."""
    lines: list[Line] = []
    shown = 0
    for change in changes:
        length = sum(len(t) for t, _kind in change.pieces)
        full = (most is not None and shown >= most) or (
            characters is not None and shown > 0 and length > characters
        )
        if full:
            break
        if characters is not None:
            characters -= length
        shown += 1
        for part in parts(change.pieces, MESSAGE_CHARACTERS // 3):
            lines.append(filled(_(_PARAGRAPH), number=change.paragraph, change=marked(part)))
    if shown < len(changes):
        lines.append(escaped(_(_MORE).format(count=len(changes) - shown, command=show)))
    return lines


class Text:
    """A reply built block by block in both renderings; `reply()` splits it into messages of
    about `MESSAGE_CHARACTERS` at most, between blocks and between the lines of a list."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str, str]] = []  # (kind: heading/item, plain, html)

    def heading(self, text: str) -> None:
        self.blocks.append(("heading", text, html.escape(text)))

    def items(self, lines: Sequence[Line]) -> None:
        """(plain, html) lines, as a list."""
        self.blocks.extend(("item", plain, rich) for plain, rich in lines)

    def reply(self, most: int = MESSAGE_CHARACTERS) -> Reply:
        messages: list[list[tuple[str, str, str]]] = [[]]
        size = 0
        for block in self.blocks:
            length = len(block[1]) + len(block[2])
            if messages[-1] and size + length > most:
                messages.append([])
                size = 0
            messages[-1].append(block)
            size += length
        first, *more = (_rendered(m) for m in messages)
        return Reply(first.text, first.html, tuple(more))


def _rendered(blocks: list[tuple[str, str, str]]) -> Reply:
    plain: list[str] = []
    rich: list[str] = []
    items: list[str] = []
    for kind, text, markup in blocks:
        if kind == "item":
            plain.append(f"• {text}")
            items.append(f"<li>{markup}</li>")
            continue
        if items:
            rich.append("<ul>" + "".join(items) + "</ul>")
            items = []
        plain.append(text)
        rich.append(f"<p><strong>{markup}</strong></p>")
    if items:
        rich.append("<ul>" + "".join(items) + "</ul>")
    return Reply("\n".join(plain), "".join(rich))

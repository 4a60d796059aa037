"""What a handler returns: data the shell renders as a threaded, formatted m.notice."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """A reply in two renderings: `text` for the plain `body`, `html` for `formatted_body`;
    `more`: the messages that follow it when it is too long for one (`!show`)."""

    text: str
    html: str
    more: tuple[Reply, ...] = ()

    @classmethod
    def plain(cls, text: str) -> Reply:
        return cls(text=text, html=html.escape(text).replace("\n", "<br>"))

    @classmethod
    def titled(cls, title: str, lines: list[str]) -> Reply:
        """A bold title over a list: the shape of help, listings and receipts."""
        text = "\n".join([title, *(f"• {line}" for line in lines)])
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        body = f"<strong>{html.escape(title)}</strong>"
        if items:
            body += f"<ul>{items}</ul>"
        return cls(text=text, html=body)

"""A notice in several languages: what the platform posts to a room on its own (SPEC, languages).

A room is read by people of several delegations, so what the bot says there outside a reply
(a publication, a suggestion for the Chair, a breach report, an alarm) is worded once per working
language (`working_languages:` in the configuration), in one message: one block per language, in
the configured order. Plain bodies are separated by a blank line, a line "———" and a blank line;
HTML bodies by `<hr>`. With one language the message is that language's notice, exactly.

A notice is given as its wording, a function of the reader's translator (`Worded`), so that the
same data is worded in each language by the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from commands.i18n import SOURCE_LANGUAGE, Translate, translator
from commands.reply import Reply

__all__ = ["SEPARATOR", "Worded", "in_languages"]

Worded = Callable[[Translate], Reply]

# Between two languages' plain blocks (the HTML blocks are separated by <hr>).
SEPARATOR = "\n\n———\n\n"


def in_languages(worded: Worded, languages: Sequence[str]) -> Reply:
    """`worded` in each of `languages` (duplicates once, order kept), one block each; with no
    language, in English."""
    blocks = [worded(translator(language)) for language in dict.fromkeys(languages)]
    if not blocks:
        return worded(translator(SOURCE_LANGUAGE))
    if len(blocks) == 1:
        return blocks[0]
    return Reply(
        text=SEPARATOR.join(block.text for block in blocks),
        html="<hr>".join(block.html for block in blocks),
    )

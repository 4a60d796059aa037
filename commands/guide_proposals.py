"""The focal point's part of the guide (`commands/guide.py`): how to submit a proposal and how to
read its receipt.

The rules it tells are the platform's own: the file name is `documents.proposals.expected_name`
(`AG_Matriz.docx`), the base is a document published in the plan folder (SPEC §3), the upload
goes to the plenary (`bot/docflow/uploads.py`) and `!check` in the desk files nothing; the
receipt's lines are shown as `commands/receipts.py` words them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from commands.dates import when
from commands.documents_deps import ProposalInfo
from commands.i18n import Translate, language_of
from commands.marked_text import RECEIPT_PARAGRAPHS
from commands.receipts import receipt
from documents.excerpts import MarkedParagraph
from documents.proposals import expected_name
from room_policies.roles import UserId
from room_policies.roster import Roster

if TYPE_CHECKING:
    from commands.guide import Page

__all__ = ["EXAMPLE_BASE", "example_receipt", "proposal_sections"]

# The document the examples propose changes to (SPEC §3's own example).
EXAMPLE_BASE = "Matriz.docx"


def example_receipt(code: str) -> ProposalInfo:
    """A receipt's facts as the platform would give them for the example file."""
    return ProposalInfo(
        delegation=code,
        file_name=expected_name(code, EXAMPLE_BASE),
        base_file_name=EXAMPLE_BASE,
        base_version=2,
        changes=3,
        paragraphs=[4, 7],
        sha256="9f86d081884c7d65…",
        submitted_at=datetime(2026, 3, 2, 14, 5, 0, tzinfo=UTC),
        superseded=False,
        marked=(
            MarkedParagraph(
                "4",
                (
                    ("…the Parties ", "same"),
                    ("shall", "deleted"),
                    ("should", "inserted"),
                    (" cooperate…", "same"),
                ),
            ),
            MarkedParagraph(
                "7", (("…annual ", "same"), ("national ", "inserted"), ("report…", "same"))
            ),
        ),
    )


def proposal_sections(
    page: Page, roster: Roster, user: UserId, _: Translate, timezone: str = "UTC"
) -> None:
    code = str(roster.delegation_of(user) or "")
    page.heading(_("Submitting a proposal"))
    page.items(
        [
            _("Download the document from the folder room “{folder}” and open it in Word.").format(
                folder=roster.folders.plan
            ),
            _(
                "Turn on Track Changes (Review tab) before your first edit, and leave every "
                "change tracked: do not accept or reject any."
            ),
            _(
                "Save it under your delegation's code, an underscore and the document's own file "
                "name, unchanged: for example {example} for {document}."
            ).format(example=expected_name(code, EXAMPLE_BASE), document=EXAMPLE_BASE),
            _(
                "To try it first, send it in your desk with !check as its caption: the bot checks "
                "it and files nothing."
            ),
            _(
                "To submit it, upload it in the plenary, saying in your message that a file is "
                "attached. The bot answers in the file's thread: a receipt, or the reason it was "
                "refused, and then nothing was filed."
            ),
            _(
                "A later proposal of your delegation on the same document replaces the earlier "
                "one; both stay on record. !status lists your delegation's proposals."
            ),
        ],
        ordered=True,
    )
    page.heading(_("Reading a receipt"))
    sample = [
        line.removeprefix("• ")
        for line in receipt(
            example_receipt(code),
            _,
            lambda moment: when(moment, language_of(_), timezone, seconds=True),
        ).text.splitlines()
    ]
    page.paragraph(_("A receipt looks like this:"))
    page.items(sample)
    page.paragraph(_("Its lines mean:"))
    page.items(
        [
            _(
                "The first line names your file, your delegation, the document and the version "
                "your proposal was made on, and says that it is filed."
            ),
            _("“changes”: how many tracked changes the platform found in your file."),
            _(
                "“paragraphs touched”: the paragraphs of the document your changes touch, "
                "numbered as delegates cite them (the paragraphs with text, from 1)."
            ),
            _(
                "“sha256”: the fingerprint of the file received; it proves which file you "
                "submitted."
            ),
            _(
                "“received”: when the platform received it, in the working group's time zone "
                "({timezone})."
            ).format(timezone=timezone),
            _(
                "“paragraph 4: …”: each paragraph your changes touch, with the words around each "
                "change: {inserted} is inserted (underlined), {deleted} is deleted (struck "
                "through). A long proposal is cut after {count} paragraphs."
            ).format(inserted="{+should+}", deleted="[-shall-]", count=RECEIPT_PARAGRAPHS),
            _(
                "{command} shows every change of a delegation's standing proposal on a "
                "document, and {paragraph_command} only those on paragraph 4, in the plenary or "
                "your desk."
            ).format(
                command=f"!show {code} {EXAMPLE_BASE}",
                paragraph_command=f"!show {code} {EXAMPLE_BASE} 4",
            ),
        ]
    )

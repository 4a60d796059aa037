"""What the bot posts on its own about documents (SPEC §3), worded from the services' data.

A publication's notice in its folder and its announcement in the plenary, a suggestion shown to
the Chair, the answer told to the delegation's desk, and the welcome of a member who joins a
folder late. The services in `bot/docflow/` send these replies; they word nothing themselves.
"""

from __future__ import annotations

import html

from commands.documents_deps import PublishedInfo, SuggestionAccepted, SuggestionInfo
from commands.i18n import Translate
from commands.reply import Reply

__all__ = [
    "new_in_folder",
    "publication_notice",
    "revision_title",
    "suggestion_accepted",
    "suggestion_declined",
    "suggestion_for_the_chair",
    "welcome_to_folder",
]


def _describe(published: PublishedInfo, _: Translate) -> str:
    if published.symbol:
        return _("{title} — {file}, version {version}, {symbol}, {classification}.").format(
            title=published.title,
            file=published.file_name,
            version=published.version,
            symbol=published.symbol,
            classification=published.classification,
        )
    return _("{title} — {file}, version {version}, {classification}.").format(
        title=published.title,
        file=published.file_name,
        version=published.version,
        classification=published.classification,
    )


def publication_notice(published: PublishedInfo, _: Translate = str) -> Reply:
    """In the folder, in reply to the file."""
    return Reply.plain(_describe(published, _))


def new_in_folder(
    published: PublishedInfo, room_id: str, event_id: str, _: Translate = str
) -> Reply:
    """In the plenary, with a link to the file in its folder."""
    notice, folder = _describe(published, _), published.folder_name
    link = f"https://matrix.to/#/{room_id}/{event_id}"
    return Reply(
        text=_("New in {folder}: {document} {link}").format(
            folder=folder, document=notice, link=link
        ),
        html=html.escape(_("New in {folder}: {document}"), quote=False).format(
            folder=f"<b>{html.escape(folder)}</b>",
            document=f'<a href="{html.escape(link)}">{html.escape(notice)}</a>',
        ),
    )


def revision_title(base_title: str, _: Translate = str) -> str:
    """The title a distributed revision is published under, beside the revised text (in the
    working group's language: a title is worded once)."""
    return _("{title} — revision with the delegations' changes").format(title=base_title)


def suggestion_for_the_chair(suggestion: SuggestionInfo, _: Translate = str) -> Reply:
    """In the moderation room, in reply to the suggested file."""
    return Reply.plain(
        _(
            "Suggestion #{number} from {delegation}: {file}, as a reference document. "
            "!accept {number} or !decline {number} <reason>."
        ).format(
            number=suggestion.number, delegation=suggestion.delegation, file=suggestion.file_name
        )
    )


def suggestion_accepted(accepted: SuggestionAccepted, _: Translate = str) -> Reply:
    """In the suggesting delegation's desk."""
    suggestion, published = accepted.suggestion, accepted.published
    return Reply.plain(
        _(
            "Your suggestion #{number} ({file}) was accepted and published in {folder} "
            "(version {version})."
        ).format(
            number=suggestion.number,
            file=suggestion.file_name,
            folder=published.folder_name,
            version=published.version,
        )
    )


def suggestion_declined(suggestion: SuggestionInfo, _: Translate = str) -> Reply:
    """In the suggesting delegation's desk, with the Chair's reason."""
    return Reply.plain(
        _("Your suggestion #{number} ({file}) was declined: {reason}").format(
            number=suggestion.number, file=suggestion.file_name, reason=suggestion.reason
        )
    )


def welcome_to_folder(user_id: str, _: Translate = str) -> Reply:
    """In a folder someone joined, before its current documents are sent again."""
    return Reply.plain(
        _(
            "Welcome, {user}: the current documents of this folder follow (sent again, so that "
            "you can open them)."
        ).format(user=user_id)
    )

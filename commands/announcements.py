"""What the bot posts on its own about documents (SPEC §3), worded from the services' data.

A publication's notice in its folder and its announcement in the plenary, a suggestion shown to
the Chair, the answer told to the delegation's desk, and the welcome of a member who joins a
folder late. The services in `bot/docflow/` send these replies; they word nothing themselves.
"""

from __future__ import annotations

import html

from commands.documents_deps import PublishedInfo, SuggestionAccepted, SuggestionInfo
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


def _describe(published: PublishedInfo) -> str:
    symbol = f", {published.symbol}" if published.symbol else ""
    return (
        f"{published.title} — {published.file_name}, version {published.version}{symbol}, "
        f"{published.classification}."
    )


def publication_notice(published: PublishedInfo) -> Reply:
    """In the folder, in reply to the file."""
    return Reply.plain(_describe(published))


def new_in_folder(published: PublishedInfo, room_id: str, event_id: str) -> Reply:
    """In the plenary, with a link to the file in its folder."""
    notice, folder = _describe(published), published.folder_name
    link = f"https://matrix.to/#/{room_id}/{event_id}"
    return Reply(
        text=f"New in {folder}: {notice} {link}",
        html=(
            f"New in <b>{html.escape(folder)}</b>: "
            f'<a href="{html.escape(link)}">{html.escape(notice)}</a>'
        ),
    )


def revision_title(base_title: str) -> str:
    """The title a distributed revision is published under, beside the revised text."""
    return f"{base_title} — revision with the delegations' changes"


def suggestion_for_the_chair(suggestion: SuggestionInfo) -> Reply:
    """In the moderation room, in reply to the suggested file."""
    n = suggestion.number
    return Reply.plain(
        f"Suggestion #{n} from {suggestion.delegation}: {suggestion.file_name}, as a reference "
        f"document. !accept {n} or !decline {n} <reason>."
    )


def suggestion_accepted(accepted: SuggestionAccepted) -> Reply:
    """In the suggesting delegation's desk."""
    suggestion, published = accepted.suggestion, accepted.published
    return Reply.plain(
        f"Your suggestion #{suggestion.number} ({suggestion.file_name}) was accepted and "
        f"published in {published.folder_name} (version {published.version})."
    )


def suggestion_declined(suggestion: SuggestionInfo) -> Reply:
    """In the suggesting delegation's desk, with the Chair's reason."""
    return Reply.plain(
        f"Your suggestion #{suggestion.number} ({suggestion.file_name}) was declined: "
        f"{suggestion.reason}"
    )


def welcome_to_folder(user_id: str) -> Reply:
    """In a folder someone joined, before its current documents are sent again."""
    return Reply.plain(
        f"Welcome, {user_id}: the current documents of this folder follow (sent again, so that "
        "you can open them)."
    )

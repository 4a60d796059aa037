"""`!publish <folder> [--title T] [--symbol S] [--classification C] [--language L]`, on a file.

In the moderation room, as the caption of a file or as a reply to a file's message: the file is
posted, encrypted, in the folder room with a notice, and announced in the plenary (SPEC §3).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.documents_deps import Folders, Publication, PublishedInfo
from commands.i18n import N_
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Attachment, Invocation

SUMMARY = N_("publish a file (caption or reply) in a folder: reference, supporting or plan")


class Args(BaseArgs):
    positional = ("folder",)
    folder: str = Field(description=N_("reference, supporting or plan"))
    title: str | None = Field(default=None, description=N_("the title (default: the file name)"))
    symbol: str | None = Field(default=None, description=N_("e.g. OEA/Ser.G CP/GT/CPDP-12/11"))
    classification: str | None = Field(default=None, description=N_("e.g. public or restricted"))
    language: str | None = Field(default=None, description=N_("e.g. en, es, fr, pt"))


class Deps(Folders, Protocol):
    @property
    def classifications(self) -> tuple[str, ...]: ...

    async def attachment(self, invocation: Invocation) -> Attachment | None: ...

    async def publish(
        self, invocation: Invocation, attachment: Attachment, publication: Publication
    ) -> PublishedInfo:
        """Post the file in its folder, announce it; a `Refusal` if it fails the safety gate."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    folder = args.folder.lower()
    folders = await deps.folder_names()
    if folder not in folders:
        names = ", ".join(folders)
        return Reply.plain(f"There is no folder “{args.folder}”. The folders are: {names}.")
    classification = (args.classification or deps.classifications[0]).lower()
    if classification not in deps.classifications:
        allowed = ", ".join(deps.classifications)
        return Reply.plain(f"Refused: the classification must be one of: {allowed}.")
    attachment = await deps.attachment(invocation)
    if attachment is None:
        return Reply.plain(
            "Send !publish as the caption of a file, or as a reply to a file's message."
        )
    publication = Publication(folder, args.title, args.symbol, classification, args.language)
    published = await deps.publish(invocation, attachment, publication)
    lines = [
        f"title: {published.title}",
        f"version {published.version}",
        f"symbol: {published.symbol or '—'}",
        f"classification: {published.classification}",
        f"sha256: {published.sha256}",
    ]
    return Reply.titled(
        f"Published {published.file_name} in “{published.folder_name}” and announced in the "
        "plenary.",
        lines,
    )

"""`!publish <folder> [--title T] [--symbol S] [--classification C] [--language L]`, on a file.

In the moderation room, as the caption of a file or as a reply to a file's message: the file is
posted, encrypted, in the folder room with a notice, and announced in the plenary (SPEC §3).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.documents_deps import Folders, Publication, PublishedInfo
from commands.i18n import N_, translator
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
    _ = translator(invocation.language)
    folder = args.folder.lower()
    folders = await deps.folder_names()
    if folder not in folders:
        names = ", ".join(folders)
        return Reply.plain(
            _("There is no folder “{folder}”. The folders are: {folders}.").format(
                folder=args.folder, folders=names
            )
        )
    classification = (args.classification or deps.classifications[0]).lower()
    if classification not in deps.classifications:
        allowed = ", ".join(deps.classifications)
        return Reply.plain(
            _("Refused: the classification must be one of: {classifications}.").format(
                classifications=allowed
            )
        )
    attachment = await deps.attachment(invocation)
    if attachment is None:
        return Reply.plain(
            _("Send !publish as the caption of a file, or as a reply to a file's message.")
        )
    publication = Publication(folder, args.title, args.symbol, classification, args.language)
    published = await deps.publish(invocation, attachment, publication)
    lines = [
        _("title: {title}").format(title=published.title),
        _("version {version}").format(version=published.version),
        _("symbol: {symbol}").format(symbol=published.symbol or "—"),
        _("classification: {classification}").format(classification=published.classification),
        f"sha256: {published.sha256}",
    ]
    return Reply.titled(
        _("Published {file} in “{folder}” and announced in the plenary.").format(
            file=published.file_name, folder=published.folder_name
        ),
        lines,
    )

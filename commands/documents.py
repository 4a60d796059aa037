"""`!documents [folder]`: the current version of every published document."""

from __future__ import annotations

from pydantic import Field

from commands.dates import day
from commands.documents_deps import Folders
from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = N_("list the published documents (current versions), of one folder or all")


class Args(BaseArgs):
    positional = ("folder",)
    folder: str | None = Field(default=None, description=N_("reference, supporting or plan"))


Deps = Folders


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    folder = args.folder.lower() if args.folder else None
    folders = await deps.folder_names()
    if folder is not None and folder not in folders:
        return Reply.plain(
            _("There is no folder “{folder}”: {folders}.").format(
                folder=args.folder, folders=", ".join(folders)
            )
        )
    documents = await deps.current_documents(folder)
    if not documents:
        return Reply.plain(_("Nothing is published yet."))
    lines = [
        f"{d.folder_name}: {d.file_name} v{d.version} — {d.title}"
        + (f" ({d.symbol})" if d.symbol else "")
        + f", {d.classification}, {day(d.published_at, invocation.language, invocation.timezone)}"
        for d in documents
    ]
    return Reply.titled(_("Published documents (current versions):"), lines)

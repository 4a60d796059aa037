"""`!distribute [document]` (moderation room): publish the last compiled revision.

The revised text (every change accepted, conflicts in brackets) becomes the next version of the
document in the Inter-American Plan folder — the text the next proposals are made on — with the
revision that shows each delegation's tracked changes beside it; both are announced in the
plenary.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from commands.documents_deps import Distributed
from commands.i18n import N_, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = N_("publish the last compiled revision as the document's next version")


class Args(BaseArgs):
    positional = ("document",)
    document: str | None = Field(
        default=None, description=N_("the document, e.g. Matriz.docx (default: the only one)")
    )


class Deps(Protocol):
    async def distribute(self, invocation: Invocation, document: str | None) -> Distributed:
        """Publish the last compiled draft; a `Refusal` if there is none, or it is stale."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    done = await deps.distribute(invocation, args.document)
    return Reply.plain(
        _(
            "Distributed in {folder}: {file} version {version} (the revised text: every change "
            "accepted, conflicts in brackets; proposals are now made on it) and {revision} (the "
            "delegations' tracked changes). Both are announced in the plenary."
        ).format(
            folder=done.folder_name,
            file=done.file_name,
            version=done.version,
            revision=done.revision_name,
        )
    )

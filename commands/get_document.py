"""`!get DOCUMENT [VERSION]` (issue #14): a published document sent again, readable on the
asker's devices of now.

Megolm gives a device only the keys sent after it existed, so a session someone signs in on
later shows every earlier document as "Unable to decrypt". `!get Matriz.docx` (or `Matriz`,
with `2` for version 2) posts the file again in the room it was asked in — the desk, a direct
message with the bot, the moderation room — freshly encrypted, so the asker's sessions of now
receive its key. Only a document of a folder the asker reads (SPEC §2's table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import Field

from commands.document_refusals import DocumentRefusal
from commands.i18n import N_, Translate, translator
from commands.reply import Reply
from commands.table import Args as BaseArgs
from commands.table import Invocation

SUMMARY = N_("send you a published document again, readable on the sessions you have now")


class Args(BaseArgs):
    positional = ("document", "version")
    document: str = Field(description=N_("the document, e.g. Matriz.docx"))
    version: int | None = Field(
        default=None, ge=1, description=N_("the version (default: the current one)")
    )


@dataclass(frozen=True)
class SentDocument:
    """What `!get` sent: the file, its version, the current version, its folder's name."""

    file_name: str
    version: int
    current: int
    folder_name: str


class Deps(Protocol):
    async def send_document(
        self, invocation: Invocation, document: str, version: int | None
    ) -> SentDocument:
        """Post the document's file in the room asked in, encrypted to the asker's devices of
        now; a `Refusal` if there is no such document or version, or the asker may not read it."""
        ...


async def handle(deps: Deps, invocation: Invocation, args: Args) -> Reply:
    _ = translator(invocation.language)
    sent = await deps.send_document(invocation, args.document, args.version)
    if sent.version == sent.current:
        text = _(
            "{document}, version {version} (the current one), from the folder “{folder}”: sent "
            "again in this thread, readable on the sessions you have now."
        )
    else:
        text = _(
            "{document}, version {version} (the current one is version {current}), from the "
            "folder “{folder}”: sent again in this thread, readable on the sessions you have now."
        )
    return Reply.plain(
        text.format(
            document=sent.file_name,
            version=sent.version,
            current=sent.current,
            folder=sent.folder_name,
        )
    )


# -- refusals -----------------------------------------------------------------------------------


class NoSuchDocument(DocumentRefusal):
    def __init__(self, document: str) -> None:
        self.document = document
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "there is no published document “{document}”; !documents lists them, then send "
            "!get with the file name, e.g. !get Matriz.docx."
        ).format(document=self.document)


class NoSuchVersion(DocumentRefusal):
    def __init__(self, document: str, version: int, current: int) -> None:
        self.document, self.version, self.current = document, version, current
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "{document} has no version {version}; its versions are 1 to {current} "
            "(!get {document} sends the current one)."
        ).format(document=self.document, version=self.version, current=self.current)


class NotYourFolder(DocumentRefusal):
    def __init__(self, document: str, folder_name: str) -> None:
        self.document, self.folder_name = document, folder_name
        super().__init__()

    def worded(self, _: Translate = str) -> str:
        return _(
            "{document} is in the folder “{folder}”, which your role does not read; !get sends "
            "only the documents of the folders you read."
        ).format(document=self.document, folder=self.folder_name)

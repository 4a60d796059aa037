"""Files in and out of Matrix for the document flow, and the transaction ids of what it posts.

In: the file a command is about (its caption, or the file message it replies to), downloaded
and decrypted by the bot, refused above the size cap and when it was not end-to-end encrypted.
Out: a stored file posted anew, freshly encrypted. Every post carries a transaction id derived
from the Matrix event that caused it, so that handling that event twice (after a crash) posts
nothing twice: the homeserver drops the second copy.
"""

from __future__ import annotations

import hashlib
from typing import Any

from nio import MegolmEvent, RoomGetEventResponse

from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from commands.document_refusals import FileNotDownloaded, FileNotEncrypted, FileTooLarge
from commands.table import Attachment, Invocation

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def txn_id(kind: str, event_id: str) -> str:
    """The transaction id of what the bot posts because of `event_id` (one per `kind`)."""
    return f"plenaria-{kind}-" + hashlib.sha256(event_id.encode()).hexdigest()[:32]


class FileTransfer:
    def __init__(self, gateway: Gateway, max_bytes: int) -> None:
        self.gateway = gateway
        self.max_bytes = max_bytes

    async def attachment(self, invocation: Invocation) -> Attachment | None:
        """The file sent with the command, or the file message it replies to."""
        if invocation.attachment is not None:
            return invocation.attachment
        if invocation.reply_to is None:
            return None
        client = self.gateway.client
        resp = await client.room_get_event(invocation.room_id, invocation.reply_to)
        if not isinstance(resp, RoomGetEventResponse):
            return None
        event = resp.event
        if isinstance(event, MegolmEvent):
            try:
                event = client.decrypt_event(event)
            except Exception:  # an undecryptable file is no attachment
                return None
        return Attachment.from_content(invocation.reply_to, event.source.get("content", {}))

    async def download(self, attachment: Attachment) -> bytes:
        """The file's bytes, decrypted; a `Refusal` if it is too large, was not end-to-end
        encrypted, or cannot be fetched."""
        cap = self.max_bytes
        if attachment.size is not None and attachment.size > cap:
            raise FileTooLarge(cap, attachment.size)
        content = attachment.content
        try:
            if isinstance(content.get("file"), dict):
                return await self.gateway.download_encrypted(dict(content["file"]), cap)
        except MatrixError as exc:
            if exc.code == "too_large":
                raise FileTooLarge(cap) from None
            raise FileNotDownloaded() from None
        raise FileNotEncrypted()

    async def post_file(
        self,
        room_id: str,
        data: bytes,
        file_name: str,
        mimetype: str,
        txn: str,
        *,
        thread_root: str | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """A copy of the file, freshly encrypted, posted in the room: its event and file data."""
        file_info = await self.gateway.upload_encrypted(data, file_name, mimetype)
        event_id = await self.gateway.send_file(
            room_id,
            file_name,
            file_info,
            len(data),
            mimetype,
            txn_id=txn,
            thread_root=thread_root,
        )
        return event_id, file_info

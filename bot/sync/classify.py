"""Classification: which events of a sync are commands, uploads, or nothing for the bot.

Pure functions of nio's event objects and a few facts (the bot's own id, when it first started,
whether uploads are taken): no I/O, so the rules are unit-tested with events built from JSON.

- History from before the bot joined a room is never a command (`after_own_join`).
- A command is a text starting with `!` and a letter, or a file's caption that is one; a file
  uploaded alone (or with a caption that is not a command) is an upload when uploads are taken.
- The bot's own messages, edits of earlier messages (`m.replace`) and events older than the
  bot's first start are nothing.
- A command remembers its thread (to answer in it) and the event it replies to (a file, perhaps).
- In the Support room (R42), a text that is not a command but replies to a message, or is in a
  thread, is a support answer: the shell relays it if the message it answers is a ticket and the
  sender is of the Technical Secretariat. Its body is what the person wrote, without the reply
  fallback (the "> <@someone> …" quote some clients put before a reply).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from nio import Event, RoomEncryptedFile, RoomMemberEvent, RoomMessageFile, RoomMessageText

from commands.parsing import is_command
from commands.table import Attachment
from room_policies.trust import SenderProof

PLAINTEXT = SenderProof(encrypted=False)


@dataclass(frozen=True)
class CommandEvent:
    """A command to handle — or, with an empty body, a file uploaded on its own."""

    room_id: str
    event_id: str
    sender: str
    body: str
    sent_ms: int
    thread_root: str | None
    attachment: Attachment | None = None
    reply_to: str | None = None
    # How the bot's crypto received it (room_policies.trust): plaintext unless decrypted.
    proof: SenderProof = PLAINTEXT
    # A support answer: the message it answers (the thread's root, else the one it replies to).
    answers: str | None = None

    @property
    def is_upload(self) -> bool:
        return not self.body and self.attachment is not None and self.answers is None


def reply_txn_id(event_id: str) -> str:
    """Same command, same transaction id: the homeserver drops a reply sent twice."""
    return "plenaria-reply-" + hashlib.sha256(event_id.encode()).hexdigest()[:32]


def after_own_join(events: Iterable[Event], own_user_id: str) -> list[Event]:
    """Drop what a room held before the bot joined it: that is history, not a command."""
    events = list(events)
    for i in range(len(events) - 1, -1, -1):
        ev = events[i]
        if (
            isinstance(ev, RoomMemberEvent)
            and ev.state_key == own_user_id
            and ev.membership == "join"
            and ev.prev_membership != "join"
        ):
            return events[i + 1 :]
    return events


def joined_members(events: Iterable[Event], own_user_id: str) -> list[tuple[str, str]]:
    """(user id, event id) of everyone else who newly joined, in timeline order."""
    return [
        (event.state_key, event.event_id)
        for event in events
        if isinstance(event, RoomMemberEvent)
        and event.membership == "join"
        and event.prev_membership != "join"
        and event.state_key != own_user_id
    ]


def as_command(
    room_id: str,
    event: Event,
    *,
    own_user_id: str,
    first_start_ms: int,
    takes_uploads: bool,
    proof: SenderProof = PLAINTEXT,
    support_room: str | None = None,
) -> CommandEvent | None:
    """A command (a text, or a file's caption), a file uploaded alone, or a support answer in
    the Support room (`support_room`, its id once it exists); else None."""
    is_file = isinstance(event, (RoomEncryptedFile, RoomMessageFile))
    if not (isinstance(event, RoomMessageText) or is_file):
        return None
    if event.sender == own_user_id or event.server_timestamp < first_start_ms:
        return None
    content = event.source.get("content", {})
    relates = content.get("m.relates_to") or {}
    if relates.get("rel_type") == "m.replace":
        return None  # an edit of an earlier command is not a new command
    thread_root = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
    reply_to = None
    if not relates.get("is_falling_back"):
        reply_to = (relates.get("m.in_reply_to") or {}).get("event_id")
    attachment = None
    body = str(getattr(event, "body", ""))
    if is_file:
        attachment = Attachment.from_content(event.event_id, content)
        # A file's body is its caption when the file name is given apart (MSC2530).
        filename = content.get("filename")
        body = body if filename and body != filename else ""
        if body and not is_command(body):
            body = ""
    elif not is_command(body):
        answered = thread_root or (relates.get("m.in_reply_to") or {}).get("event_id")
        if room_id != support_room or not isinstance(answered, str):
            return None
        # A thread's message only falls back on a reply (`is_falling_back`): it quotes nothing.
        text = without_reply_fallback(body) if reply_to is not None else body.strip()
        if not text:
            return None
        return CommandEvent(
            room_id=room_id,
            event_id=event.event_id,
            sender=event.sender,
            body=text,
            sent_ms=event.server_timestamp,
            thread_root=thread_root,
            reply_to=reply_to,
            proof=proof,
            answers=answered,
        )
    if attachment is None and not body:
        return None
    if not body and not takes_uploads:
        return None
    return CommandEvent(
        room_id=room_id,
        event_id=event.event_id,
        sender=event.sender,
        body=body,
        sent_ms=event.server_timestamp,
        thread_root=thread_root,
        attachment=attachment,
        reply_to=reply_to,
        proof=proof,
    )


def without_reply_fallback(body: str) -> str:
    """A reply's own text: the leading quote of the message it replies to ("> <@sender> …"
    and the "> " lines after it, the reply fallback of the Matrix spec) and the blank line after
    it removed. A reply that quotes something of its own, without a fallback, stays whole."""
    lines = body.splitlines()
    if not lines or not lines[0].startswith(("> <", "> * <")):
        return body.strip()
    quoted = 0
    while quoted < len(lines) and lines[quoted].startswith(">"):
        quoted += 1
    return "\n".join(lines[quoted:]).strip()


def command_word(body: str) -> str:
    """The command's name as the audit log records it, from a body that may not parse."""
    word = body.strip().split(maxsplit=1)[0] if body.strip() else "?"
    return word.lstrip("!")[:32] or "?"

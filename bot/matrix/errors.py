"""What a failed homeserver call raises: `MatrixError` (the errcode or HTTP status), and its two
kinds that callers treat apart: `HomeserverUnreachable` (retry later) and `NotEncrypted` (the
platform would not send plaintext into a room)."""

from __future__ import annotations


class MatrixError(Exception):
    """A homeserver call that failed; `code` is the Matrix errcode or HTTP status."""

    def __init__(self, what: str, code: str, message: str = "") -> None:
        super().__init__(f"{what} failed: {code} {message}".strip())
        self.code = code


class HomeserverUnreachable(MatrixError):
    pass


class NotEncrypted(MatrixError):
    """The platform sends into a room only if it sees the room as end-to-end encrypted (SPEC §2):
    a room whose `m.room.encryption` it has not seen, or sees redacted, gets no plaintext."""

    def __init__(self, room_id: str) -> None:
        super().__init__(
            "send",
            "not_encrypted",
            f"{room_id} is not end-to-end encrypted as the platform sees it",
        )
        self.room_id = room_id

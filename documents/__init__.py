"""The pure .docx engine: bytes in, bytes out, no Matrix (built in issue #4)."""

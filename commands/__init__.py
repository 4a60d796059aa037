"""The chat command table: parsing, authorisation, handlers, help (no Matrix here)."""

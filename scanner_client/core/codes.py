"""Scanned input made safe to keep and to send, before any rule looks at it."""

from __future__ import annotations

# Far more than any ticket code; longer input is noise and is not worth normalising.
MAX_SCAN_LENGTH = 2000


def printable_code(raw: str) -> str:
    """The code as scanned, made storable everywhere: cut to the contract's limit (longer input is
    noise anyway), without NUL characters or unpaired surrogates, which PostgreSQL text and JSON
    cannot carry. The verdict is not affected: such input is never a ticket code."""
    code = raw[:MAX_SCAN_LENGTH].replace("\x00", "\ufffd")
    return code.encode("utf-8", "replace").decode("utf-8")

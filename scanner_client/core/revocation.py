"""A device that learns from the service that it was revoked wipes its store.

Only the service's explicit answer counts (a 401 whose problem `code` is `device_revoked`,
core/remote.py): a token replaced by `admission tokens rotate`, or one the service does not know,
never wipes anything. What goes: the catalogue snapshot, the ticket hashes and the venue's hashing
key, the issuer keys, every log, the configuration, the token file (and the till's signing key).
What stays: the device's name, the time of the revocation and where the records it had not yet
uploaded were saved (the gate writes its admissions to a file `admission import-scans` reads, the
till its unsent sales to a JSON file), so a mistaken revocation loses nothing. From then on the
device refuses to work and says why, until it is enrolled again with a new device's token.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from admission.i18n import _
from scanner_client.core.database import StoreBase
from scanner_client.core.token_file import token_path

REVOKED_AT = "revoked_at"
REVOKED_KEPT = "revoked_kept"  # the files the unsent records were saved to, one per line
# Configuration that survives a wipe: who the device was (its name is in every nonce it made) and
# the installation's id (part of the till's sale nonces).
# Also kept: the gate's name and the venue's time zone, to say when and where in the status.
_KEPT_CONFIG = ("device", "install_id", "gate", "timezone", REVOKED_AT, REVOKED_KEPT)
_WIPED_TABLES = (
    "templates",
    "events",
    "gates",
    "notices",
    "issuer_keys",
    "cards",
    "tickets",
    "feed_passages",
    "passages",
    "sales",
    "outages",
)


class DeviceRevoked(RuntimeError):
    """This device was revoked: it may not scan or sell until it is enrolled again."""


def revoked_words(kept: list[Path]) -> str:
    """What the person at a revoked device reads, and what to do next."""
    words = _(
        "This device was revoked by the venue: its data was wiped and it no longer scans or sells. "
        "Enrol this PC again with a new device's token."
    )
    if kept:
        words += " " + _("Records not yet uploaded were saved for a manager to register: {files}").format(
            files=", ".join(str(path) for path in kept)
        )
    return words


class RevocationStore(StoreBase):
    """The revocation part of the local store."""

    @property
    def revoked_at(self) -> datetime | None:
        value = self.get_config(REVOKED_AT)
        return datetime.fromisoformat(value) if value else None

    @property
    def revoked_kept(self) -> list[Path]:
        return [Path(line) for line in (self.get_config(REVOKED_KEPT) or "").splitlines() if line]

    def wipe(self, at: datetime, kept: list[Path]) -> None:
        """Forget everything but the device's name, when it was revoked and where its unsent
        records went. Deleted rows are overwritten (secure_delete), and the write-ahead log that
        still holds their pages is emptied into the file and truncated."""
        write_token_gone(self.path)
        with self.transaction() as db:
            for table in _WIPED_TABLES:
                db.execute(f"DELETE FROM {table}")  # table names: the constants above
            db.execute(
                f"DELETE FROM config WHERE key NOT IN ({', '.join('?' for _ in _KEPT_CONFIG)})", _KEPT_CONFIG
            )
            db.execute(
                "INSERT OR REPLACE INTO config(key, value) VALUES (?, ?), (?, ?)",
                (REVOKED_AT, at.isoformat(), REVOKED_KEPT, "\n".join(str(p) for p in kept)),
            )
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def clear_revocation(self) -> None:
        """Enrolled again: the new device starts from an empty store."""
        self.set_config(**{REVOKED_AT: None, REVOKED_KEPT: None})


def write_private(path: Path, data: bytes) -> None:
    """A file for this user only, on disk before this returns (what it saves must survive)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_token_gone(store_path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        token_path(store_path).unlink()

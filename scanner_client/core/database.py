"""The device's SQLite file: one connection, explicit transactions, the configuration table and
named counters. Its schema comes from the ordered migrations in `migrations.py`.

The client is a single process with one writing connection, so the stdlib driver is enough. WAL
with synchronous=FULL makes every committed record survive a power cut: a passage is committed
before its verdict is shown, a sale before its tickets are printed. A second, read-only
connection (`read_only=True`) lets a screen read figures in a thread while the writer goes on.

Times are stored as UTC epoch seconds (REAL): compact, and cheap to compare in SQL.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from scanner_client.core.migrations import migrate
from scanner_client.core.token_file import read_token, token_path, write_token

_WRITER_PRAGMAS = (
    "secure_delete=ON",  # what is deleted (a moved token, wiped numbers) is overwritten, not left
    "journal_mode=WAL",
    "synchronous=FULL",
    "busy_timeout=5000",
    "cache_size=-16000",  # 16 MB: lookups are index point reads
)


class StoreError(RuntimeError):
    pass


def private_file(path: Path) -> None:
    """The store's file for this user only, before SQLite writes anything to it (and its folder)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    path.chmod(0o600)


def to_epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def instant(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class StoreBase:
    """One SQLite file of one device. Not thread-safe: use each instance from one thread at a time."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only:
            # A reader never migrates: the device's writer opened (and migrated) the file first.
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout=5000")
            return
        private_file(self.path)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) below.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in _WRITER_PRAGMAS:
            self._db.execute(f"PRAGMA {pragma}")
        migrate(self._db)
        for companion in ("-wal", "-shm"):  # SQLite gives them the database's mode; older ones not
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{companion}").chmod(0o600)

    @property
    def token(self) -> str | None:
        """The device token, from its own file beside the store (token_file.py)."""
        return read_token(token_path(self.path))

    @token.setter
    def token(self, value: str | None) -> None:
        write_token(token_path(self.path), value)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one committed state (figures that belong together)."""
        self._db.execute("BEGIN")
        try:
            yield self._db
        finally:
            self._db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def get_config(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_config(self, **values: str | None) -> None:
        """Set configuration values in one transaction; None removes a key."""
        with self.transaction() as db:
            for key, value in values.items():
                if value is None:
                    db.execute("DELETE FROM config WHERE key = ?", (key,))
                else:
                    put_config(db, key, value)

    @staticmethod
    def next_number(db: sqlite3.Connection, counter: str) -> int:
        """The counter's next value, inside the caller's transaction (so it is never handed out twice)."""
        row = db.execute(
            "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", (counter,)
        ).fetchone()
        return int(row[0])


def put_config(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO config(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )

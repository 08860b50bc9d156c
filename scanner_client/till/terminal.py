"""The till's card-terminal switch (seed 001, "the card terminal is down").

The seller turns it on (a key in the footer, or `terminal-down`) with the cause and a note;
while it is on, the till refuses the bank-card tender whatever its connection, lists the other
methods, and shows the line to say to guests. Each incident is kept in the till's store under a
nonce made here and registered at the service by the sync loop, when the switch goes on and again
when it goes off: offline it waits, like a sale, and the service keeps one incident per nonce.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from admission.contract.payments import TerminalIncidentIn
from scanner_client.core.database import StoreBase, epoch, instant

_COLUMNS = "nonce, started_at, ended_at, cause, note, version, posted"


@dataclass(frozen=True, slots=True)
class LocalIncident:
    nonce: str
    started_at: datetime
    ended_at: datetime | None
    cause: str
    note: str | None
    version: int
    posted: int

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> LocalIncident:
        nonce, started, ended, cause, note, version, posted = row
        assert isinstance(started, float)
        return cls(
            nonce=str(nonce),
            started_at=instant(started),
            ended_at=instant(ended) if isinstance(ended, float) else None,
            cause=str(cause),
            note=None if note is None else str(note),
            version=int(str(version)),
            posted=int(str(posted)),
        )

    def request(self) -> TerminalIncidentIn:
        return TerminalIncidentIn(
            started_at=self.started_at, ended_at=self.ended_at, cause=self.cause, note=self.note
        )


class TerminalIncidentStore(StoreBase):
    """The terminal-incidents part of the till's store."""

    def open_incident(self) -> LocalIncident | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM terminal_incidents WHERE ended_at IS NULL "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        return None if row is None else LocalIncident.from_row(row)

    def incidents(self) -> list[LocalIncident]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM terminal_incidents ORDER BY started_at").fetchall()
        return [LocalIncident.from_row(r) for r in rows]

    def start_incident(self, nonce: str, at: datetime, cause: str, note: str | None) -> LocalIncident:
        """The terminal went down now; an incident still open is kept (one switch, one incident)."""
        with self.transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM terminal_incidents WHERE ended_at IS NULL").fetchone()
            if row is None:
                row = db.execute(
                    f"INSERT INTO terminal_incidents(nonce, started_at, cause, note) VALUES (?,?,?,?) "
                    f"RETURNING {_COLUMNS}",
                    (nonce, epoch(at), cause, note),
                ).fetchone()
        return LocalIncident.from_row(row)

    def end_incident(self, at: datetime, note: str | None) -> LocalIncident | None:
        """The terminal works again: the open incident ends now (None if none was open)."""
        with self.transaction() as db:
            row = db.execute(
                "UPDATE terminal_incidents SET ended_at = max(?, started_at), note = coalesce(?, note), "
                f"version = version + 1 WHERE ended_at IS NULL RETURNING {_COLUMNS}",
                (epoch(at), note),
            ).fetchone()
        return None if row is None else LocalIncident.from_row(row)

    def incidents_to_post(self) -> list[LocalIncident]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM terminal_incidents WHERE posted < version ORDER BY started_at"
        ).fetchall()
        return [LocalIncident.from_row(r) for r in rows]

    def mark_incident_posted(self, nonce: str, version: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE terminal_incidents SET posted = max(posted, ?) WHERE nonce = ?", (version, nonce)
            )

    def incidents_unposted(self) -> int:
        row = self._db.execute("SELECT count(*) FROM terminal_incidents WHERE posted < version").fetchone()
        return int(row[0])

"""The outage log: every period in which a device worked without the service, with what it
recorded meanwhile, until the service has been told about it in its final form.

An outage is opened when the device goes offline (or stays open across a restart), closed when
the service answers again, and registered once none of the records made during it waits in an
upload queue (the gate's passages, the till's sales). It is posted to the service when it ends
and again when it is registered, under a reference made on the device, so the service keeps
one report whatever is re-sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from admission.contract import OutageIn
from scanner_client.core.database import StoreBase, epoch, from_epoch, instant

_COLUMNS = (
    "id, client_ref, started_at, ended_at, passages_offline, sales_offline, registered_at, posted, "
    "limit_extended_at, limit_extension_reason"
)

OfflineRecord = Literal["passages_offline", "sales_offline"]


@dataclass(frozen=True, slots=True)
class Outage:
    id: int
    client_ref: str
    started_at: datetime
    ended_at: datetime | None
    passages_offline: int
    sales_offline: int
    registered_at: datetime | None
    posted: str | None  # None | partial (posted while not yet registered) | final
    limit_extended_at: datetime | None = None  # a supervisor extended the offline limit
    limit_extension_reason: str | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Outage:
        (id_, client_ref, started_at, ended_at, passages, sales, registered_at, posted,
         extended_at, extension_reason) = row  # fmt: skip
        return cls(
            id=int(id_),
            client_ref=str(client_ref),
            started_at=instant(started_at),
            ended_at=from_epoch(ended_at),
            passages_offline=int(passages),
            sales_offline=int(sales),
            registered_at=from_epoch(registered_at),
            posted=posted,
            limit_extended_at=from_epoch(extended_at),
            limit_extension_reason=extension_reason,
        )

    def report(self) -> OutageIn:
        return OutageIn(
            client_ref=self.client_ref,
            started_at=self.started_at,
            ended_at=self.ended_at,
            passages_offline=self.passages_offline,
            sales_offline=self.sales_offline,
            registered_at=self.registered_at,
            limit_extended_at=self.limit_extended_at,
            limit_extension_reason=self.limit_extension_reason,
        )


class OutageLog(StoreBase):
    """The outages part of the local store."""

    def open_outage(self, reference_prefix: str, at: datetime) -> Outage:
        """The current offline period, started now unless one is still open (e.g. across a restart)."""
        with self.transaction() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM outages WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                number = self.next_number(db, "outage")
                row = db.execute(
                    f"INSERT INTO outages(id, client_ref, started_at) VALUES (?, ?, ?) RETURNING {_COLUMNS}",
                    (number, f"{reference_prefix}-outage-{number}", epoch(at)),
                ).fetchone()
        return Outage.from_row(row)

    def log_limit_extension(self, outage_id: int, at: datetime, reason: str) -> None:
        """A supervisor extended the offline limit during this outage: reported with it."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outages SET limit_extended_at = ?, limit_extension_reason = ?, posted = NULL "
                "WHERE id = ?",
                (epoch(at), reason[:300], outage_id),
            )

    def current_outage(self) -> Outage | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM outages WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else Outage.from_row(row)

    def close_outage(self, at: datetime) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outages SET ended_at = ? WHERE ended_at IS NULL", (epoch(at),))
            self._settle_outages(db, at)

    @staticmethod
    def _count_offline(db: sqlite3.Connection, outage_id: int | None, record: OfflineRecord) -> None:
        """One more record made during this outage (inside the transaction that records it)."""
        if outage_id is not None:
            db.execute(f"UPDATE outages SET {record} = {record} + 1 WHERE id = ?", (outage_id,))

    def settle_outages(self, at: datetime) -> None:
        with self.transaction() as db:
            self._settle_outages(db, at)

    @staticmethod
    def _settle_outages(db: sqlite3.Connection, at: datetime) -> None:
        """An ended outage is registered once none of its records waits in an upload queue."""
        db.execute(
            "UPDATE outages SET registered_at = ? WHERE ended_at IS NOT NULL AND registered_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM passages WHERE passages.outage_id = outages.id AND upload = 1) "
            "AND NOT EXISTS (SELECT 1 FROM sales WHERE sales.outage_id = outages.id "
            "AND state IN ('queued', 'unknown', 'attempting'))",
            (epoch(at),),
        )

    def outages(self) -> list[Outage]:
        return [Outage.from_row(r) for r in self._db.execute(f"SELECT {_COLUMNS} FROM outages ORDER BY id")]

    def outages_to_post(self) -> list[Outage]:
        """Ended outages the server has not heard of in their final form."""
        return [o for o in self.outages() if o.ended_at is not None and o.posted != "final"]

    def mark_outage_posted(self, outage_id: int, final: bool) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outages SET posted = ? WHERE id = ?", ("final" if final else "partial", outage_id)
            )

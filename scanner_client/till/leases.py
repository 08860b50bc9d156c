"""The capacity leases this till holds: event seats a manager lent it, to sell offline.

The till keeps its active leases as the service last listed them. What it has left on a lease is
counted from its own sales log: every offline sale of the lease's event since the grant, whatever
became of it (a ticket handed out is a seat gone, even if the service refused the sale), and never
less than the service counted (a store restored from an older copy). The till never sells more
than that, nor after the lease expired by its own clock.

Once back online, the till gives a lease back when every sale it made on it is acknowledged and it
sold on it offline (the outage it was for is over), or when it has expired: the unused seats go
back on sale at once. Returning is exactly once at the service, so a return whose answer was lost
is simply sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from admission.contract import SaleIn
from admission.contract.leases import LeaseOut
from admission.i18n import _, ngettext
from admission.i18n.formatting import short_clock
from scanner_client.core.database import StoreBase

PENDING = ("queued", "unknown", "attempting")


class LeaseStore(StoreBase):
    """The leases part of the till's store."""

    def keep_leases(self, leases: Sequence[LeaseOut]) -> None:
        """The service's list of this till's active leases replaces the one kept."""
        with self.transaction() as db:
            db.execute("DELETE FROM leases")
            rows = [(lease.id, msgspec.json.encode(lease)) for lease in leases]
            db.executemany("INSERT INTO leases(id, data) VALUES (?, ?)", rows)

    def forget_lease(self, lease_id: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM leases WHERE id = ?", (lease_id,))

    def leases(self) -> list[LeaseOut]:
        rows = self._db.execute("SELECT data FROM leases ORDER BY id").fetchall()
        return [msgspec.json.decode(data, type=LeaseOut) for (data,) in rows]

    def lease_for(self, event_id: int) -> LeaseOut | None:
        return next((lease for lease in self.leases() if lease.event_id == event_id), None)

    def seats_sold_offline(self, event_id: int, since: datetime, *, pending_only: bool = False) -> int:
        """Seats of the event this till sold offline from `since` on (only those not yet
        acknowledged, with `pending_only`)."""
        query = "SELECT request, state FROM sales WHERE mode = 'offline'"
        seats = 0
        for raw, state in self._db.execute(query).fetchall():
            if pending_only and state not in PENDING:
                continue
            request = msgspec.json.decode(raw, type=SaleIn)
            if request.sold_at is None or request.sold_at < since:
                continue
            seats += sum(line.quantity for line in request.lines if line.event_id == event_id)
        return seats

    def lease_left(self, lease: LeaseOut) -> int:
        sold = max(self.seats_sold_offline(lease.event_id, lease.granted_at), lease.sold)
        return max(lease.seats - sold, 0)

    def leases_to_return(self, now: datetime) -> list[LeaseOut]:
        """Leases to give back now: nothing sold on them is waiting to be posted, and they have
        served an outage (sold on offline) or expired."""
        due = []
        for lease in self.leases():
            if self.seats_sold_offline(lease.event_id, lease.granted_at, pending_only=True):
                continue
            if now >= lease.expires_at or self.seats_sold_offline(lease.event_id, lease.granted_at):
                due.append(lease)
        return due


def lease_words(lease: LeaseOut, left: int, tz: ZoneInfo) -> str:
    """What a lease has left, as the seller reads it: "12 seats left on the lease for Concert 19:00"."""
    event = f"{lease.event} {short_clock(lease.event_starts_at, tz)}"
    return ngettext(
        "{count} seat left on the lease for {event}", "{count} seats left on the lease for {event}", left
    ).format(count=left, event=event)


def refusal(
    lease: LeaseOut | None, left: int, wanted: int, event: str, now: datetime, tz: ZoneInfo
) -> str | None:
    """Why these seats cannot be sold offline on the lease, or None when they can."""
    if lease is None:
        return None  # no lease: the caller offers the fallback entry ticket
    if now >= lease.expires_at:
        expired = _("The lease for {event} expired at {time}: event tickets cannot be sold offline now.")
        return expired.format(event=event, time=short_clock(lease.expires_at, tz))
    if wanted > left:
        return ngettext(
            "Only {count} seat is left on the lease for {event}.",
            "Only {count} seats are left on the lease for {event}.",
            left,
        ).format(count=left, event=event)
    return None

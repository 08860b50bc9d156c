"""An offline sale's event seats, counted when the sale is registered (once: the sale's nonce
makes the registration itself exactly once).

Seats the holder's lease covers count within it: the lease reserved them when it was granted,
so nothing more is reserved. Seats it does not cover (no lease, too few seats left on it, sold
after it expired, or posted after it was returned or revoked) were sold all the same: the guests
hold tickets. They are added to `events.sold` as they are, even beyond capacity, since that is the
truth of the house, and recorded as a conflict for a manager with the overbooking it caused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.models import Event, Lease, LeaseSale, Sale
from admission.services.devices import Principal

# Why seats were beyond a lease; the manager's tools put them in words.
NO_LEASE = "no_lease"
LEASE_FULL = "lease_full"
LEASE_EXPIRED = "lease_expired"
LEASE_ENDED = "lease_ended"


async def count_offline_seats(
    session: AsyncSession,
    sale: Sale,
    who: Principal,
    seats_by_event: Mapping[int, int],
    *,
    forwarded_by: Principal | None = None,
) -> list[LeaseSale]:
    """Count the sale's seats per event against the lease of the device that sold them (or, for a
    sale a venue hub forwarded, the hub's lease). The events are locked in id order, as an online
    sale locks them, so the two cannot deadlock."""
    holder = forwarded_by.device_id if forwarded_by is not None else who.device_id
    counted = []
    for event_id in sorted(seats_by_event):
        await session.execute(select(Event.id).where(Event.id == event_id).with_for_update())
        counted.append(await _count(session, sale, holder, event_id, seats_by_event[event_id]))
    session.add_all(counted)
    return counted


async def _count(session: AsyncSession, sale: Sale, holder: int, event_id: int, seats: int) -> LeaseSale:
    lease = await session.scalar(
        select(Lease)
        .where(Lease.device_id == holder, Lease.event_id == event_id, Lease.state == "active")
        .order_by(Lease.id)
        .limit(1)
        .with_for_update()
    )
    within, reason = 0, None
    if lease is None:
        reason = LEASE_ENDED if await _ended_lease(session, holder, event_id) else NO_LEASE
    elif sale.sold_at > lease.expires_at:
        reason = LEASE_EXPIRED
    else:
        within = min(seats, lease.seats - lease.used)
        lease.used += within
        reason = LEASE_FULL if within < seats else None
    beyond, overbooked = seats - within, 0
    if beyond:
        sold, capacity = (
            await session.execute(
                update(Event)
                .where(Event.id == event_id)
                .values(sold=Event.sold + beyond)
                .returning(Event.sold, Event.capacity)
            )
        ).one()
        overbooked = 0 if capacity is None else max(sold - capacity, 0)
    return LeaseSale(
        sale_id=sale.id,
        event_id=event_id,
        lease_id=lease.id if lease is not None else await _ended_lease(session, holder, event_id),
        seats=seats,
        beyond=beyond,
        overbooked=overbooked,
        reason=reason,
        recorded_at=datetime.now(UTC),
    )


async def _ended_lease(session: AsyncSession, holder: int, event_id: int) -> int | None:
    """The holder's latest ended lease for the event, if any: a sale posted after it ended."""
    return await session.scalar(
        select(Lease.id)
        .where(Lease.device_id == holder, Lease.event_id == event_id, Lease.state != "active")
        .order_by(Lease.id.desc())
        .limit(1)
    )

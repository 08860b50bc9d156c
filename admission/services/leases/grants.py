"""Granting, listing and ending capacity leases.

A grant takes its seats from the event with the same conditional update as a sale
(`tickets.reserve_capacity`), so leases and online sales together never go beyond capacity.
Ending a lease (returned by its holder, revoked by a manager) gives back its unused seats under
the lease's row lock, once: a retried return finds the lease ended and frees nothing more.

Expiry frees nothing: a till may post sales it made before the lease expired long after, and
those seats must still be there. Seats come back only when the lease is returned or revoked.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract.leases import LeaseConflictOut, LeaseIn, LeaseOut
from admission.db.models import Device, Event, Lease, LeaseSale, Sale
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.services import catalog
from admission.services.devices import Principal
from admission.services.tickets import reserve_capacity

# Devices that sell: a till, or a venue hub that sells for its tills.
HOLDER_ROLES = ("box_office", "hub")


async def grant_lease(session: AsyncSession, data: LeaseIn, granted_by: Principal | None) -> LeaseOut:
    catalog.require_aware(*(m for m in (data.expires_at,) if m is not None))
    # Grants for one event take turns (PostgreSQL; SQLite writers take turns anyway), so two
    # cannot both find no active lease of the device and both grant one.
    await session.execute(select(Event.id).where(Event.id == data.event_id).with_for_update())
    event = await catalog.get_event(session, data.event_id)
    device = await session.scalar(select(Device).where(Device.name == data.device))
    if device is None:
        raise NotFoundError(f"no device is named {data.device!r}")
    if device.role not in HOLDER_ROLES or device.revoked_at is not None:
        raise InvalidRequestError(
            f"{device.name!r} cannot hold a lease: only a box office or a hub device in service can"
        )
    now = datetime.now(UTC)
    expires_at = data.expires_at or event.ends_at
    if expires_at > event.ends_at:
        raise InvalidRequestError(
            f"a lease ends at the latest when {event.name!r} ends ({event.ends_at:%Y-%m-%d %H:%M} UTC)"
        )
    if expires_at <= now:
        raise InvalidRequestError("the lease would have expired already: give a later end")
    held = await session.scalar(
        select(Lease.id).where(
            Lease.device_id == device.id, Lease.event_id == event.id, Lease.state == "active"
        )
    )
    if held is not None:
        raise ConflictError(f"{device.name!r} holds lease {held} for {event.name!r} already: return it first")
    await reserve_capacity(session, event.id, data.seats)  # a 409 when too few seats are left
    lease = Lease(
        event_id=event.id,
        device_id=device.id,
        seats=data.seats,
        used=0,
        state="active",
        granted_at=now,
        granted_by=granted_by.device_id if granted_by else None,
        expires_at=expires_at,
        returned=0,
    )
    session.add(lease)
    await session.flush()
    return _lease_out(lease, event, device)


async def list_leases(
    session: AsyncSession, holder: int | None = None, *, active_only: bool = False
) -> list[LeaseOut]:
    """Leases, newest first: every device's, or `holder`'s own."""
    query = (
        select(Lease, Event, Device)
        .join(Event, Event.id == Lease.event_id)
        .join(Device, Device.id == Lease.device_id)
        .order_by(Lease.id.desc())
    )
    if holder is not None:
        query = query.where(Lease.device_id == holder)
    if active_only:
        query = query.where(Lease.state == "active")
    return [_lease_out(lease, event, device) for lease, event, device in (await session.execute(query)).all()]


async def end_lease(
    session: AsyncSession, lease_id: int, *, holder: int | None, revoke: bool = False
) -> LeaseOut:
    """Return (its `holder`, or a manager: `holder` None) or revoke (a manager: a lost till) a
    lease: its unused seats go back to the event. Ending an ended lease answers it as it stands
    and frees nothing."""
    lease = await session.get(Lease, lease_id, with_for_update=True)
    if lease is None or (holder is not None and lease.device_id != holder):
        raise NotFoundError(f"lease {lease_id} does not exist")
    if lease.state == "active":
        unused = lease.seats - lease.used
        lease.state, lease.returned, lease.ended_at = (
            ("revoked" if revoke else "returned"),
            unused,
            datetime.now(UTC),
        )
        await session.execute(
            update(Event).where(Event.id == lease.event_id).values(sold=Event.sold - unused)
        )
        await session.flush()
    event = await catalog.get_event(session, lease.event_id)
    await session.refresh(event)
    device = await session.get(Device, lease.device_id)
    assert device is not None
    return _lease_out(lease, event, device)


async def list_conflicts(session: AsyncSession) -> list[LeaseConflictOut]:
    """Offline sales whose event seats no lease covered, newest first."""
    query = (
        select(LeaseSale, Sale, Event, Device)
        .join(Sale, Sale.id == LeaseSale.sale_id)
        .join(Event, Event.id == LeaseSale.event_id)
        .join(Device, Device.id == Sale.device_id)
        .where(LeaseSale.beyond > 0)
        .order_by(LeaseSale.id.desc())
    )
    return [
        LeaseConflictOut(
            sale_id=sale.id,
            device=device.name,
            event_id=event.id,
            event=event.name,
            sold_at=sale.sold_at,
            recorded_at=row.recorded_at,
            seats=row.seats,
            beyond=row.beyond,
            overbooked=row.overbooked,
            lease_id=row.lease_id,
            reason=row.reason or "",
        )
        for row, sale, event, device in (await session.execute(query)).all()
    ]


def _lease_out(lease: Lease, event: Event, device: Device) -> LeaseOut:
    return LeaseOut(
        id=lease.id,
        event_id=event.id,
        event=event.name,
        event_starts_at=event.starts_at,
        device_id=device.id,
        device=device.name,
        seats=lease.seats,
        sold=lease.used,
        left=lease.seats - lease.used if lease.state == "active" else 0,
        returned=lease.returned,
        state=lease.state,  # type: ignore[arg-type]
        granted_at=lease.granted_at,
        expires_at=lease.expires_at,
        ended_at=lease.ended_at,
    )

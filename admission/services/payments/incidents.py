"""Card-terminal incidents (seed 001: "document the incident"): when a till's terminal went down,
why, what the seller noted, and how guests paid meanwhile.

A till registers an incident under its own nonce, when the switch goes on and again when it goes
off (from its outbox when it was offline): the same nonce updates the one row, so re-sending
counts nothing twice, and a late copy of the start never reopens an ended incident.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract.payments import MethodUse, TerminalIncidentIn, TerminalIncidentOut
from admission.db.models import Device, Sale, SaleTender, TerminalIncident
from admission.domain.errors import InvalidRequestError
from admission.services.devices import Principal


async def record_incident(
    session: AsyncSession, who: Principal, nonce: str, data: TerminalIncidentIn
) -> TerminalIncidentOut:
    if any(m is not None and m.tzinfo is None for m in (data.started_at, data.ended_at)):
        raise InvalidRequestError("times must carry a UTC offset")
    if data.ended_at is not None and data.ended_at < data.started_at:
        raise InvalidRequestError("an incident cannot end before it starts")
    incident = await session.scalar(
        select(TerminalIncident)
        .where(TerminalIncident.device_id == who.device_id, TerminalIncident.nonce == nonce)
        .with_for_update()
    )
    if incident is None:
        incident = TerminalIncident(device_id=who.device_id, nonce=nonce, received_at=datetime.now(UTC))
        session.add(incident)
    elif incident.ended_at is not None and data.ended_at is None:
        # The start re-sent after the end (a retry that crossed it) is older news: keep the end.
        return await incident_out(session, incident, who.device_name)
    incident.started_at, incident.cause, incident.ended_at = data.started_at, data.cause, data.ended_at
    incident.note = data.note if data.note is not None else incident.note
    await session.flush()
    return await incident_out(session, incident, who.device_name)


async def incident_out(
    session: AsyncSession, incident: TerminalIncident, device: str, tz: tzinfo = UTC
) -> TerminalIncidentOut:
    ended = incident.ended_at
    return TerminalIncidentOut(
        id=incident.id,
        device=device,
        nonce=incident.nonce,
        started_at=incident.started_at.astimezone(tz),
        ended_at=ended.astimezone(tz) if ended else None,
        duration_seconds=(ended - incident.started_at).total_seconds() if ended else None,
        cause=incident.cause,
        note=incident.note,
        received_at=incident.received_at.astimezone(tz),
        paid_with=await _paid_with(session, incident),
    )


async def _paid_with(session: AsyncSession, incident: TerminalIncident) -> list[MethodUse]:
    """The till's sales while its terminal was down, per method (an ongoing incident: until now)."""
    end = incident.ended_at or datetime.now(UTC)
    rows = await session.execute(
        select(SaleTender.method, func.count(), func.coalesce(func.sum(SaleTender.amount_cents), 0))
        .join(Sale, Sale.id == SaleTender.sale_id)
        .where(
            Sale.device_id == incident.device_id,
            Sale.sold_at >= incident.started_at,
            Sale.sold_at <= end,
        )
        .group_by(SaleTender.method)
        .order_by(SaleTender.method)
    )
    return [MethodUse(method=str(m), sales=int(n), cents=int(c)) for m, n, c in rows.all()]


async def list_incidents(
    session: AsyncSession,
    tz: tzinfo = UTC,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[TerminalIncidentOut]:
    """Incidents overlapping [start, end) (all without bounds), newest first."""
    query = select(TerminalIncident, Device.name).join(Device, Device.id == TerminalIncident.device_id)
    if end is not None:
        query = query.where(TerminalIncident.started_at < end)
    if start is not None:
        query = query.where((TerminalIncident.ended_at.is_(None)) | (TerminalIncident.ended_at >= start))
    rows = (await session.execute(query.order_by(TerminalIncident.started_at.desc()))).all()
    return [await incident_out(session, incident, name, tz) for incident, name in rows]

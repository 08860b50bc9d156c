"""Outage log: offline periods reported by gate and box-office clients."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import OutageIn, OutageOut
from admission.db.models import Device, Outage
from admission.domain.errors import InvalidRequestError
from admission.services.devices import Principal


def outage_out(outage: Outage, device_name: str, tz: tzinfo = UTC) -> OutageOut:
    """An outage as the API and the reports show it, its times in `tz`."""

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz) if moment else None

    ended = outage.ended_at
    return OutageOut(
        id=outage.id,
        device=device_name,
        started_at=outage.started_at.astimezone(tz),
        ended_at=local(ended),
        duration_seconds=(ended - outage.started_at).total_seconds() if ended else None,
        passages_offline=outage.passages_offline,
        sales_offline=outage.sales_offline,
        registered_at=local(outage.registered_at),
        note=outage.note,
        limit_extended_at=local(outage.limit_extended_at),
        limit_extension_reason=outage.limit_extension_reason,
    )


async def record_outage(session: AsyncSession, principal: Principal, data: OutageIn) -> OutageOut:
    """Create or update (by the device's own reference) an outage; re-posting is harmless."""
    moments = (data.started_at, data.ended_at, data.registered_at, data.limit_extended_at)
    if any(m is not None and m.tzinfo is None for m in moments):
        raise InvalidRequestError("times must carry a UTC offset")
    if data.ended_at is not None and data.ended_at < data.started_at:
        raise InvalidRequestError("an outage cannot end before it starts")
    ref = f"{principal.device_id}:{data.client_ref}"
    outage = await session.scalar(select(Outage).where(Outage.client_ref == ref))
    if outage is None:
        outage = Outage(client_ref=ref, device_id=principal.device_id, received_at=datetime.now(UTC))
        session.add(outage)
    outage.started_at, outage.ended_at = data.started_at, data.ended_at
    outage.passages_offline, outage.sales_offline = data.passages_offline, data.sales_offline
    outage.registered_at, outage.note = data.registered_at, data.note
    outage.limit_extended_at = data.limit_extended_at
    outage.limit_extension_reason = data.limit_extension_reason
    await session.flush()
    return outage_out(outage, principal.device_name)


async def list_outages(session: AsyncSession) -> list[OutageOut]:
    rows = await session.execute(
        select(Outage, Device.name)
        .join(Device, Device.id == Outage.device_id)
        .order_by(Outage.started_at.desc())
    )
    return [outage_out(outage, name) for outage, name in rows]

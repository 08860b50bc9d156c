"""Look-ups by a number or code that named no ticket, per device and address: guessing shows as a
long row (the misses themselves are recorded by `admission.services.lookup_misses`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import LookupMissesReport, LookupMissRow
from admission.db.models import Device, LookupMiss
from admission.services.reports.periods import Period, report_heading


async def lookup_misses_report(session: AsyncSession, period: Period) -> LookupMissesReport:
    """Misses in the period per device and address, most first: guessing shows as a long row."""
    statement = (
        select(
            Device.name,
            LookupMiss.address,
            func.count(),
            func.min(LookupMiss.at),
            func.max(LookupMiss.at),
            func.max(LookupMiss.id),
        )
        .join(Device, Device.id == LookupMiss.device_id)
        .where(LookupMiss.at >= period.start, LookupMiss.at < period.end)
        .group_by(Device.name, LookupMiss.address)
    )
    groups = (await session.execute(statement)).all()
    last_ids = [row[5] for row in groups]
    last_tried = select(LookupMiss.id, LookupMiss.tried).where(LookupMiss.id.in_(last_ids))
    tried: dict[int, str] = {i: t for i, t in (await session.execute(last_tried)).all()} if last_ids else {}
    tz = period.tz
    rows = [
        LookupMissRow(
            device=device,
            address=address,
            misses=count,
            first_at=first.astimezone(tz),
            last_at=last.astimezone(tz),
            last_tried=tried.get(last_id, ""),
        )
        for device, address, count, first, last, last_id in groups
    ]
    rows.sort(key=lambda r: (-r.misses, r.device, r.address))
    return LookupMissesReport(**report_heading("lookup-misses", period, tz), rows=rows)

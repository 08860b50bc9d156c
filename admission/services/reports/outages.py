"""The outage log that gate and box-office clients post, as a report with its summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import OutageRow, OutagesReport, OutageSummary
from admission.db.models import Device, Outage
from admission.services.outages import outage_out
from admission.services.reports.periods import Period, report_heading


def summarise_outages(rows: Sequence[OutageRow], now: datetime) -> OutageSummary:
    durations = [
        r.duration_seconds if r.duration_seconds is not None else max((now - r.started_at).total_seconds(), 0)
        for r in rows
    ]
    registered = [r.registered_at for r in rows if r.registered_at is not None]
    return OutageSummary(
        outages=len(rows),
        ongoing=sum(1 for r in rows if r.ended_at is None),
        devices=len({r.device for r in rows}),
        total_duration_seconds=round(float(sum(durations)), 3),
        longest_seconds=round(max(durations, default=0.0), 3),
        passages_offline=sum(r.passages_offline for r in rows),
        sales_offline=sum(r.sales_offline for r in rows),
        not_yet_registered=sum(
            1 for r in rows if r.registered_at is None and (r.passages_offline or r.sales_offline)
        ),
        last_registered_at=max(registered, default=None),
    )


async def outages_report(
    session: AsyncSession, tz: ZoneInfo, period: Period | None = None, now: datetime | None = None
) -> OutagesReport:
    """The outage log posted by gate and box-office clients: the outages that overlap the
    period (all of them without one), oldest first, and their summary."""
    now = now or datetime.now(UTC)
    statement = select(Outage, Device.name).join(Device, Device.id == Outage.device_id)
    if period is not None:
        statement = statement.where(
            Outage.started_at < period.end,
            (Outage.ended_at.is_(None)) | (Outage.ended_at > period.start),
        )
    outages = await session.execute(statement.order_by(Outage.started_at, Outage.id))
    rows = [outage_out(outage, device, tz) for outage, device in outages]
    return OutagesReport(
        **report_heading("outages", period, tz), summary=summarise_outages(rows, now), rows=rows
    )

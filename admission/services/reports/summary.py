"""The headline figures of a period: the dashboard's tiles."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SummaryReport
from admission.db.models import Gate, Scan
from admission.services.reports.counting import (
    ADMITTED,
    ENTRY,
    EXIT,
    MISREAD,
    REFUSED,
    count_if,
    in_scope,
    share_of,
)
from admission.services.reports.occupancy import zone_steps
from admission.services.reports.outages import outages_report
from admission.services.reports.periods import Period, report_heading


async def _inside_now_and_open_conflicts(session: AsyncSession) -> tuple[dict[str, int], int]:
    """People inside each zone now (as `scanning.occupancy` counts them) and the conflicts not
    yet reviewed, in one pass over the admitted scans (a conflict is always an admission)."""
    rows = await session.execute(
        select(
            Scan.zone,
            Scan.from_zone,
            Scan.direction,
            count_if(Scan.ticket_serial.is_not(None)),
            count_if(and_(Scan.conflict.is_(True), Scan.conflict_reviewed_at.is_(None))),
        )
        .where(ADMITTED, Scan.annulled_at.is_(None))
        .group_by(Scan.zone, Scan.from_zone, Scan.direction)
    )
    balance: dict[str, int] = defaultdict(int)
    open_conflicts = 0
    for zone, from_zone, direction, passages, conflicts in rows:
        open_conflicts += int(conflicts)
        for name, entered, left in zone_steps(zone, from_zone, direction, int(passages)):
            balance[name] += entered - left
    zones = {*balance, *(await session.scalars(select(Gate.zone))).all()}
    return {zone: max(balance.get(zone, 0), 0) for zone in sorted(zones)}, open_conflicts


async def summary_report(session: AsyncSession, period: Period, now: datetime | None = None) -> SummaryReport:
    """The headline figures of a period (the dashboard's tiles)."""
    now = now or datetime.now(UTC)
    retroactive = and_(ADMITTED, Scan.source.in_(("offline", "import")))
    row = (
        await session.execute(
            select(
                func.count(),
                count_if(ENTRY),
                count_if(EXIT),
                count_if(ADMITTED),
                count_if(REFUSED),
                count_if(MISREAD),
                count_if(retroactive),
            ).where(*in_scope(period))
        )
    ).one()
    scans, entries, exits, admitted, refused, misreads, late = (int(v or 0) for v in row)
    outages = await outages_report(session, period.tz, period, now)
    inside_now, open_conflicts = await _inside_now_and_open_conflicts(session)
    return SummaryReport(
        **report_heading("summary", period, period.tz),
        scans=scans,
        entries=entries,
        exits=exits,
        refused=refused,
        misreads=misreads,
        occupancy_now=inside_now,
        open_conflicts=open_conflicts,
        outages=len(outages.rows),
        offline_share=share_of(late, admitted),
    )

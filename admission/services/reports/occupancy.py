"""Occupancy per zone over a period: entered, left and inside per bucket, the peak and now,
counted exactly as `scanning.occupancy` counts them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import OccupancyReport, OccupancyRow
from admission.db.models import Gate, Scan
from admission.services.reports.buckets import Granularity, bucket_slot, make_buckets
from admission.services.reports.counting import ADMITTED
from admission.services.reports.periods import Period, report_heading


def zone_steps(zone: str, from_zone: str | None, direction: str, count: int) -> list[tuple[str, int, int]]:
    """(zone, entered, left) effects of `count` admitted passages, as `scanning.occupancy` counts
    them: going in through a gate enters its zone and leaves the zone it comes from."""
    inward = direction == "in"
    steps = [(zone, count, 0) if inward else (zone, 0, count)]
    if from_zone:
        steps.append((from_zone, 0, count) if inward else (from_zone, count, 0))
    return steps


_COUNTED = (ADMITTED, Scan.annulled_at.is_(None), Scan.ticket_serial.is_not(None))  # as scanning.occupancy


async def _zone_balance(session: AsyncSession, *conditions: ColumnElement[bool]) -> dict[str, int]:
    """Entries minus exits per zone for the admitted passages matching `conditions`."""
    balance: dict[str, int] = defaultdict(int)
    rows = await session.execute(
        select(Scan.zone, Scan.from_zone, Scan.direction, func.count())
        .where(*_COUNTED, *conditions)
        .group_by(Scan.zone, Scan.from_zone, Scan.direction)
    )
    for zone, from_zone, direction, count in rows:
        for name, entered, left in zone_steps(zone, from_zone, direction, int(count)):
            balance[name] += entered - left
    return balance


async def occupancy_report(
    session: AsyncSession, period: Period, granularity: Granularity, now: datetime | None = None
) -> OccupancyReport:
    """Per zone and bucket: entered, left and inside at the bucket's end; and inside now.

    "Now" is what `scanning.occupancy` answers, assembled from the passages before, during
    and after the period, so the table is read once rather than twice.
    """
    now = now or datetime.now(UTC)
    buckets = make_buckets(period, granularity)
    before = await _zone_balance(session, Scan.scanned_at < period.start)
    after = await _zone_balance(session, Scan.scanned_at >= period.end)
    slot = bucket_slot(Scan.scanned_at, buckets).label("slot")
    during = await session.execute(  # the slot first: rows arrive in time order, the sort is cheap
        select(slot, Scan.zone, Scan.from_zone, Scan.direction, func.count())
        .where(*_COUNTED, Scan.scanned_at >= period.start, Scan.scanned_at < period.end)
        .group_by(slot, Scan.zone, Scan.from_zone, Scan.direction)
    )
    moves: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for slot_value, zone, from_zone, direction, count in during:
        index = buckets.index(slot_value)
        for name, entered, left in zone_steps(zone, from_zone, direction, int(count)):
            moves[(index, name)][0] += entered
            moves[(index, name)][1] += left
    zones = sorted(
        {*before, *after, *(z for _, z in moves), *(await session.scalars(select(Gate.zone))).all()}
    )
    inside = {zone: before.get(zone, 0) for zone in zones}
    total = {zone: inside[zone] + after.get(zone, 0) for zone in zones}
    for (_, zone), (entered, left) in moves.items():
        total[zone] += entered - left
    rows: list[OccupancyRow] = []
    peak = dict.fromkeys(zones, 0)
    for index in range(len(buckets)):
        if buckets.start(index) > now:
            break  # the future has no occupancy yet
        for zone in zones:
            entered, left = moves.get((index, zone), (0, 0))
            inside[zone] += entered - left
            current = max(inside[zone], 0)  # as scanning.occupancy: never below zero
            peak[zone] = max(peak[zone], current)
            start = buckets.start(index)
            rows.append(OccupancyRow(bucket=start, zone=zone, entered=entered, left=left, inside=current))
    return OccupancyReport(
        **report_heading("occupancy", period, period.tz, granularity=granularity),
        now={zone: max(count, 0) for zone, count in total.items()},
        peak=peak,
        rows=rows,
    )

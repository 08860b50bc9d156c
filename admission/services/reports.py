"""Reports for venue managers, derived from the scan facts and aggregated in SQL.

Time buckets (15 minutes, hours, days) are cut in the venue's time zone. Their edges are
computed here, in Python, where the time-zone rules live; the database only groups each scan
into a uniform slot: whole seconds since the first edge, divided by the greatest common
divisor of the edge offsets (the bucket width, or one hour for days across a DST change).
Each slot then lies inside exactly one bucket, so a report costs one GROUP BY pass, the same
on SQLite and PostgreSQL, however long the range.

Annulled passages (the turnstile did not turn) count nowhere: they did not happen.
"""

from __future__ import annotations

import csv
import io
import math
import sqlite3
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import BigInteger, ColumnElement, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from admission.contract import (
    ConflictRow,
    ConflictsReport,
    OccupancyReport,
    OccupancyRow,
    OutageRow,
    OutagesReport,
    OutageSummary,
    PassageRow,
    PassagesReport,
    ReasonRow,
    ReasonsReport,
    SourceRow,
    SourcesReport,
    SummaryReport,
    TemplateRow,
    TemplatesReport,
)
from admission.db.models import Device, Event, Gate, Outage, Scan, Template, Ticket
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError

Granularity = Literal["15min", "hour", "day"]
GRANULARITIES: tuple[Granularity, ...] = ("15min", "hour", "day")
ConflictStatus = Literal["open", "reviewed", "all"]
MAX_BUCKETS = 10_000
SOURCE_LABELS = {
    "online": "online at the gate",
    "offline": "retroactive from gate clients",
    "import": "imported scan logs",
    "override": "supervisor override",
    "auto_exit": "automatic exit at closing",
}


# ------------------------------------------------------------------ period -----------


@dataclass(frozen=True)
class Period:
    """The half-open range [start, end) a report covers, in the venue's time zone."""

    start: datetime
    end: datetime
    tz: ZoneInfo


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def parse_moment(text: str, tz: ZoneInfo, *, is_end: bool, now: datetime) -> datetime:
    """A report boundary: `today`, `yesterday`, a date (a whole local day: its start, or for
    an end its end) or a date-time (without an offset it is venue time)."""
    value = text.strip().lower()
    today = now.astimezone(tz).date()
    named = {"today": today, "yesterday": today - timedelta(days=1), "tomorrow": today + timedelta(days=1)}
    try:
        day = named.get(value) or date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        return _local_midnight(day + timedelta(days=1) if is_end else day, tz)
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise InvalidRequestError(
            f"cannot read the time {text!r}: use a date (2026-06-01), a date-time "
            "(2026-06-01T10:00, venue time, or with an offset), today or yesterday"
        ) from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def resolve_period(tz: ZoneInfo, start: str | None, end: str | None, now: datetime | None = None) -> Period:
    """The period named by optional `from`/`to` texts; both missing: today, in venue time."""
    now = now or datetime.now(UTC)
    begin = parse_moment(start, tz, is_end=False, now=now) if start else None
    finish = parse_moment(end, tz, is_end=True, now=now) if end else None
    if begin is None:
        reference = (finish - timedelta(microseconds=1)) if finish else now
        begin = _local_midnight(reference.astimezone(tz).date(), tz)
    if finish is None:
        end_of_today = _local_midnight(now.astimezone(tz).date() + timedelta(days=1), tz)
        end_of_begin_day = _local_midnight(begin.astimezone(tz).date() + timedelta(days=1), tz)
        finish = max(end_of_today, end_of_begin_day)
    if finish <= begin:
        raise InvalidRequestError("the report period is empty: 'to' must come after 'from'")
    return Period(start=begin.astimezone(tz), end=finish.astimezone(tz), tz=tz)


# ------------------------------------------------------------------ buckets ----------


def _floor_to_bucket(moment: datetime, granularity: Granularity, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    if granularity == "day":
        return _local_midnight(local.date(), tz)
    minute = local.minute - local.minute % 15 if granularity == "15min" else 0
    return local.replace(minute=minute, second=0, microsecond=0)


def _next_edge(edge: datetime, granularity: Granularity, tz: ZoneInfo) -> datetime:
    if granularity == "day":  # a local day: 23 or 25 hours across a DST change
        return _local_midnight(edge.astimezone(tz).date() + timedelta(days=1), tz)
    width = timedelta(minutes=15) if granularity == "15min" else timedelta(hours=1)
    return (edge.astimezone(UTC) + width).astimezone(tz)  # absolute time: DST hours stay hours


@dataclass(frozen=True)
class Buckets:
    """Bucket edges in epoch seconds and the uniform slot the database groups by."""

    edges: list[int]  # bucket i is [edges[i], edges[i+1])
    unit: int
    tz: ZoneInfo

    @property
    def origin(self) -> int:
        return self.edges[0]

    def index(self, slot: int) -> int:
        return bisect_right(self.edges, self.origin + int(slot) * self.unit) - 1

    def start(self, index: int) -> datetime:
        return datetime.fromtimestamp(self.edges[index], self.tz)

    def __len__(self) -> int:
        return len(self.edges) - 1


def make_buckets(period: Period, granularity: Granularity) -> Buckets:
    if granularity not in GRANULARITIES:
        raise InvalidRequestError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    seconds = {"15min": 900, "hour": 3600, "day": 86400}[granularity]
    if (period.end - period.start).total_seconds() / seconds > MAX_BUCKETS:
        raise InvalidRequestError(
            f"the period is too long for {granularity} buckets (at most {MAX_BUCKETS}): "
            "choose a coarser granularity or a shorter period"
        )
    edge = _floor_to_bucket(period.start, granularity, period.tz)
    edges = [int(edge.timestamp())]
    while edge < period.end:
        edge = _next_edge(edge, granularity, period.tz)
        edges.append(int(edge.timestamp()))
    unit = 0
    for offset in edges[1:]:
        unit = math.gcd(unit, offset - edges[0])
    return Buckets(edges=edges, unit=unit or seconds, tz=period.tz)


class _BucketSlot(FunctionElement[int]):
    """(whole epoch seconds of a timestamp - origin) // unit, for SQLite and PostgreSQL."""

    type = BigInteger()
    name = "bucket_slot"
    inherit_cache = True


def bucket_slot(column: Any, buckets: Buckets) -> ColumnElement[int]:
    return _BucketSlot(column, literal(buckets.origin, BigInteger()), literal(buckets.unit, BigInteger()))


# The column holds naive UTC text ("2026-06-12 07:59:59.999999"). Only its first 19
# characters are read, because SQLite rounds the fraction to milliseconds, which would carry
# the last instant of a bucket into the next. unixepoch() is the faster way (SQLite 3.38 and
# later); strftime('%s') works everywhere.
_SQLITE_EPOCH = (
    "unixepoch(substr({}, 1, 19))"
    if sqlite3.sqlite_version_info >= (3, 38)
    else "CAST(strftime('%s', substr({}, 1, 19)) AS INTEGER)"
)


@compiles(_BucketSlot, "sqlite")
def _bucket_slot_sqlite(element: _BucketSlot, compiler: SQLCompiler, **kw: Any) -> str:
    column, origin, unit = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({_SQLITE_EPOCH.format(column)} - {origin}) / {unit})"


@compiles(_BucketSlot)
def _bucket_slot_default(element: _BucketSlot, compiler: SQLCompiler, **kw: Any) -> str:
    column, origin, unit = (compiler.process(clause, **kw) for clause in element.clauses)
    # date_part() is double precision, several times faster than EXTRACT's numeric; epoch
    # seconds with microseconds stay exact enough in a double for floor() to find the slot.
    return f"CAST(FLOOR((date_part('epoch', {column}) - {origin}) / {unit}) AS BIGINT)"


# ------------------------------------------------------------------ query helpers ----

_ADMITTED = Scan.verdict == "admit"
_REJECTED = Scan.verdict == "reject"
_ENTRY = and_(_ADMITTED, Scan.direction == "in")
_EXIT = and_(_ADMITTED, Scan.direction == "out")


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _scope(period: Period | None, gate: str | None = None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Scan.annulled_at.is_(None)]
    if period is not None:
        conditions += [Scan.scanned_at >= period.start, Scan.scanned_at < period.end]
    if gate is not None:
        conditions.append(Scan.gate == gate)
    return conditions


async def check_gate(session: AsyncSession, gate: str | None) -> None:
    """A gate filter must name a gate that exists or once scanned: a typo is an error, not 0."""
    if gate is None:
        return
    known = await session.scalar(select(Gate.id).where(Gate.name == gate))
    if known is None and await session.scalar(select(Scan.id).where(Scan.gate == gate).limit(1)) is None:
        raise InvalidRequestError(f"unknown gate {gate!r}")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _base(kind: str, period: Period | None, tz: ZoneInfo, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "timezone": tz.key,
        "start": period.start if period else None,
        "end": period.end if period else None,
        **extra,
    }


# ------------------------------------------------------------------ passages ---------


async def passages_report(
    session: AsyncSession, period: Period, granularity: Granularity, gate: str | None = None
) -> PassagesReport:
    """Entries, exits and rejected scans per gate and time bucket (only buckets with scans)."""
    await check_gate(session, gate)
    buckets = make_buckets(period, granularity)
    slot = bucket_slot(Scan.scanned_at, buckets).label("slot")
    rows = await session.execute(
        select(slot, Scan.gate, _count_if(_ENTRY), _count_if(_EXIT), _count_if(_REJECTED))
        .where(*_scope(period, gate))
        .group_by(slot, Scan.gate)  # the slot first: rows arrive in time order, the sort is cheap
    )
    merged: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for slot_value, gate_name, entries, exits, rejected in rows:
        counts = merged[(buckets.index(slot_value), gate_name)]
        counts[0] += int(entries)
        counts[1] += int(exits)
        counts[2] += int(rejected)
    result = [
        PassageRow(bucket=buckets.start(index), gate=name, entries=c[0], exits=c[1], rejected=c[2])
        for (index, name), c in sorted(merged.items())
    ]
    return PassagesReport(
        **_base("passages", period, period.tz, gate=gate, granularity=granularity), rows=result
    )


# ------------------------------------------------------------------ templates --------


async def templates_report(
    session: AsyncSession, period: Period, granularity: Granularity | None = None, gate: str | None = None
) -> TemplatesReport:
    """Entries, exits and rejections per ticket template and event (per bucket if asked).

    Scans of codes that named no ticket (invalid) belong to no template: see `reasons`.
    """
    await check_gate(session, gate)
    buckets = make_buckets(period, granularity) if granularity else None
    # Count per ticket first, then join the (far fewer) tickets: one lookup per ticket, not per scan.
    slot_key = [bucket_slot(Scan.scanned_at, buckets).label("slot")] if buckets is not None else []
    per_ticket = (
        select(
            *slot_key,
            Scan.ticket_serial,
            _count_if(_ENTRY).label("entries"),
            _count_if(_EXIT).label("exits"),
            _count_if(_REJECTED).label("rejected"),
        )
        .where(*_scope(period, gate), Scan.ticket_serial.is_not(None))
        .group_by(*slot_key, Scan.ticket_serial)
        .subquery()
    )
    keys: list[Any] = [Ticket.template_id, Ticket.event_id, *([per_ticket.c.slot] if buckets else [])]
    rows = await session.execute(
        select(
            *keys,
            func.sum(per_ticket.c.entries),
            func.sum(per_ticket.c.exits),
            func.sum(per_ticket.c.rejected),
        )
        .join_from(per_ticket, Ticket, Ticket.serial == per_ticket.c.ticket_serial)
        .group_by(*keys)
    )
    merged: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        template_id, event_id = int(row[0]), int(row[1] or 0)
        index = buckets.index(row[2]) if buckets is not None else -1
        counts = merged[(index, template_id, event_id)]
        for position, value in enumerate(row[-3:]):
            counts[position] += int(value)
    templates = dict((await session.execute(select(Template.id, Template.name))).all())
    events = dict((await session.execute(select(Event.id, Event.name))).all())
    result = [
        TemplateRow(
            bucket=buckets.start(index) if buckets is not None else None,
            template_id=template_id,
            template=templates.get(template_id, f"template {template_id}"),
            event_id=event_id or None,
            event=events.get(event_id) if event_id else None,
            entries=c[0],
            exits=c[1],
            rejected=c[2],
        )
        for (index, template_id, event_id), c in sorted(merged.items())
    ]
    return TemplatesReport(
        **_base("templates", period, period.tz, gate=gate, granularity=granularity), rows=result
    )


# ------------------------------------------------------------------ occupancy --------


def _zone_steps(zone: str, from_zone: str | None, direction: str, count: int) -> list[tuple[str, int, int]]:
    """(zone, entered, left) effects of `count` admitted passages, as `scanning.occupancy` counts
    them: going in through a gate enters its zone and leaves the zone it comes from."""
    inward = direction == "in"
    steps = [(zone, count, 0) if inward else (zone, 0, count)]
    if from_zone:
        steps.append((from_zone, 0, count) if inward else (from_zone, count, 0))
    return steps


_COUNTED = (_ADMITTED, Scan.annulled_at.is_(None), Scan.ticket_serial.is_not(None))  # as scanning.occupancy


async def _zone_balance(session: AsyncSession, *conditions: ColumnElement[bool]) -> dict[str, int]:
    """Entries minus exits per zone for the admitted passages matching `conditions`."""
    balance: dict[str, int] = defaultdict(int)
    rows = await session.execute(
        select(Scan.zone, Scan.from_zone, Scan.direction, func.count())
        .where(*_COUNTED, *conditions)
        .group_by(Scan.zone, Scan.from_zone, Scan.direction)
    )
    for zone, from_zone, direction, count in rows:
        for name, entered, left in _zone_steps(zone, from_zone, direction, int(count)):
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
        for name, entered, left in _zone_steps(zone, from_zone, direction, int(count)):
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
        **_base("occupancy", period, period.tz, granularity=granularity),
        now={zone: max(count, 0) for zone, count in total.items()},
        peak=peak,
        rows=rows,
    )


# ------------------------------------------------------------------ verdicts ---------


async def reasons_report(session: AsyncSession, period: Period, gate: str | None = None) -> ReasonsReport:
    """Scans admitted and rejected, by reason."""
    await check_gate(session, gate)
    rows = (
        await session.execute(
            select(Scan.verdict, Scan.reason, func.count())
            .where(*_scope(period, gate))
            .group_by(Scan.verdict, Scan.reason)
        )
    ).all()
    total = sum(int(count) for *_, count in rows)
    ordered = sorted(rows, key=lambda r: (r[0] != "admit", -int(r[2]), r[1]))
    return ReasonsReport(
        **_base("reasons", period, period.tz, gate=gate),
        admitted=sum(int(c) for v, _, c in rows if v == "admit"),
        rejected=sum(int(c) for v, _, c in rows if v == "reject"),
        rows=[
            ReasonRow(verdict=v, reason=r, scans=int(c), share=_share(int(c), total)) for v, r, c in ordered
        ],
    )


async def sources_report(session: AsyncSession, period: Period, gate: str | None = None) -> SourcesReport:
    """How scans reached the service: online, retroactively from gate clients, imported, ..."""
    await check_gate(session, gate)
    rows = await session.execute(
        select(Scan.source, _count_if(_ADMITTED), _count_if(_REJECTED), func.count())
        .where(*_scope(period, gate))
        .group_by(Scan.source)
    )
    counts = {source: (int(a), int(r), int(n)) for source, a, r, n in rows}
    total = sum(n for *_, n in counts.values())
    order = [*SOURCE_LABELS, *sorted(set(counts) - set(SOURCE_LABELS))]
    return SourcesReport(
        **_base("sources", period, period.tz, gate=gate),
        rows=[
            SourceRow(
                source=source,
                label=SOURCE_LABELS.get(source, source),
                scans=counts.get(source, (0, 0, 0))[2],
                admitted=counts.get(source, (0, 0, 0))[0],
                rejected=counts.get(source, (0, 0, 0))[1],
                share=_share(counts.get(source, (0, 0, 0))[2], total),
            )
            for source in order
            if source in counts or source in ("online", "offline", "import")
        ],
    )


# ------------------------------------------------------------------ conflicts --------


def _conflict_row(scan: Scan, device: str | None, number: str | None, tz: ZoneInfo) -> ConflictRow:
    return ConflictRow(
        nonce=scan.nonce,
        scanned_at=scan.scanned_at.astimezone(tz),
        received_at=scan.received_at.astimezone(tz),
        gate=scan.gate,
        device=device,
        ticket_serial=str(scan.ticket_serial) if scan.ticket_serial is not None else None,
        ticket_number=number,
        reason=scan.reason,
        message=scan.message,
        reviewed_at=scan.conflict_reviewed_at.astimezone(tz) if scan.conflict_reviewed_at else None,
        note=scan.conflict_note,
    )


def _conflicts_query(status: ConflictStatus, period: Period | None) -> Any:
    statement = (
        select(Scan, Device.name, Ticket.number)
        .outerjoin(Device, Device.id == Scan.device_id)
        .outerjoin(Ticket, Ticket.serial == Scan.ticket_serial)
        .where(Scan.conflict.is_(True), *_scope(period))
        .order_by(Scan.scanned_at, Scan.id)
    )
    if status == "open":
        statement = statement.where(Scan.conflict_reviewed_at.is_(None))
    elif status == "reviewed":
        statement = statement.where(Scan.conflict_reviewed_at.is_not(None))
    return statement


async def conflicts_report(
    session: AsyncSession, tz: ZoneInfo, status: ConflictStatus = "open", period: Period | None = None
) -> ConflictsReport:
    """Passages admitted offline that the service would have rejected (e.g. the same
    single-entry ticket at two offline gates). Without a period: all of them, ever."""
    if status not in ("open", "reviewed", "all"):
        raise InvalidRequestError("status must be open, reviewed or all")
    rows = await session.execute(_conflicts_query(status, period))
    return ConflictsReport(
        **_base("conflicts", period, tz),
        status=status,
        rows=[_conflict_row(scan, device, number, tz) for scan, device, number in rows],
    )


async def review_conflict(
    session: AsyncSession, tz: ZoneInfo, nonce: str, note: str, now: datetime | None = None
) -> ConflictRow:
    """Mark a conflict reviewed with a note. The passage itself stays as it was: a fact."""
    scan = await session.scalar(select(Scan).where(Scan.nonce == nonce).with_for_update())
    if scan is None:
        raise NotFoundError(f"no scan with nonce {nonce!r}")
    if not scan.conflict:
        raise ConflictError("this scan is not a conflict: there is nothing to review")
    if scan.conflict_reviewed_at is not None:
        raise ConflictError(f"this conflict was reviewed already: {scan.conflict_note or '(no note)'}")
    scan.conflict_reviewed_at = now or datetime.now(UTC)
    scan.conflict_note = note.strip()[:300] or None
    await session.flush()
    device = await session.scalar(select(Device.name).where(Device.id == scan.device_id))
    number = await session.scalar(select(Ticket.number).where(Ticket.serial == scan.ticket_serial))
    return _conflict_row(scan, device, number, tz)


# ------------------------------------------------------------------ outages ----------


def _outage_row(outage: Outage, device: str, tz: ZoneInfo) -> OutageRow:
    ended = outage.ended_at
    return OutageRow(
        id=outage.id,
        device=device,
        started_at=outage.started_at.astimezone(tz),
        ended_at=ended.astimezone(tz) if ended else None,
        duration_seconds=(ended - outage.started_at).total_seconds() if ended else None,
        passages_offline=outage.passages_offline,
        sales_offline=outage.sales_offline,
        registered_at=outage.registered_at.astimezone(tz) if outage.registered_at else None,
        note=outage.note,
    )


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
    rows = [_outage_row(outage, device, tz) for outage, device in outages]
    return OutagesReport(**_base("outages", period, tz), summary=summarise_outages(rows, now), rows=rows)


# ------------------------------------------------------------------ summary ----------


async def _inside_now_and_open_conflicts(session: AsyncSession) -> tuple[dict[str, int], int]:
    """People inside each zone now (as `scanning.occupancy` counts them) and the conflicts not
    yet reviewed, in one pass over the admitted scans (a conflict is always an admission)."""
    rows = await session.execute(
        select(
            Scan.zone,
            Scan.from_zone,
            Scan.direction,
            _count_if(Scan.ticket_serial.is_not(None)),
            _count_if(and_(Scan.conflict.is_(True), Scan.conflict_reviewed_at.is_(None))),
        )
        .where(_ADMITTED, Scan.annulled_at.is_(None))
        .group_by(Scan.zone, Scan.from_zone, Scan.direction)
    )
    balance: dict[str, int] = defaultdict(int)
    open_conflicts = 0
    for zone, from_zone, direction, passages, conflicts in rows:
        open_conflicts += int(conflicts)
        for name, entered, left in _zone_steps(zone, from_zone, direction, int(passages)):
            balance[name] += entered - left
    zones = {*balance, *(await session.scalars(select(Gate.zone))).all()}
    return {zone: max(balance.get(zone, 0), 0) for zone in sorted(zones)}, open_conflicts


async def summary_report(session: AsyncSession, period: Period, now: datetime | None = None) -> SummaryReport:
    """The headline figures of a period (the dashboard's tiles)."""
    now = now or datetime.now(UTC)
    retroactive = and_(_ADMITTED, Scan.source.in_(("offline", "import")))
    row = (
        await session.execute(
            select(
                func.count(),
                _count_if(_ENTRY),
                _count_if(_EXIT),
                _count_if(_ADMITTED),
                _count_if(_REJECTED),
                _count_if(retroactive),
            ).where(*_scope(period))
        )
    ).one()
    scans, entries, exits, admitted, rejected, late = (int(v or 0) for v in row)
    outages = await outages_report(session, period.tz, period, now)
    inside_now, open_conflicts = await _inside_now_and_open_conflicts(session)
    return SummaryReport(
        **_base("summary", period, period.tz),
        scans=scans,
        entries=entries,
        exits=exits,
        admitted=admitted,
        rejected=rejected,
        occupancy_now=inside_now,
        open_conflicts=open_conflicts,
        outages=len(outages.rows),
        offline_share=_share(late, admitted),
    )


# ------------------------------------------------------------------ tables and CSV ---

AnyReport = (
    PassagesReport
    | TemplatesReport
    | OccupancyReport
    | ReasonsReport
    | SourcesReport
    | ConflictsReport
    | OutagesReport
)


def columns(report: AnyReport) -> list[str]:
    row_type: Any = type(report).row_type
    return [field.name for field in msgspec.structs.fields(row_type)]


def cell(value: Any, tz: ZoneInfo) -> str:
    """One value as text: times in the venue zone, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))
    return str(value)


def table(report: AnyReport) -> tuple[list[str], list[list[Any]]]:
    names = columns(report)
    rows: Sequence[Any] = report.rows
    return names, [[getattr(row, name) for name in names] for row in rows]


def to_csv(report: AnyReport) -> str:
    tz = ZoneInfo(report.timezone)
    names, rows = table(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerows([cell(value, tz) for value in row] for row in rows)
    return out.getvalue()

"""Time buckets of a report (15 minutes, hours, days) and the SQL that puts each scan in one.

Buckets are cut in the venue's time zone. Their edges are computed here, in Python, where the
time-zone rules live; the database only groups each scan into a uniform slot: whole seconds
since the first edge, divided by the greatest common divisor of the edge offsets (the bucket
width, or one hour for days across a DST change). Each slot then lies inside exactly one
bucket, so a report costs one GROUP BY pass, the same on SQLite and PostgreSQL, however long
the range.
"""

from __future__ import annotations

import math
import sqlite3
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from admission.domain.errors import InvalidRequestError
from admission.services.reports.periods import Period, local_midnight

Granularity = Literal["15min", "hour", "day"]
GRANULARITIES: tuple[Granularity, ...] = ("15min", "hour", "day")
MAX_BUCKETS = 10_000


def _floor_to_bucket(moment: datetime, granularity: Granularity, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    if granularity == "day":
        return local_midnight(local.date(), tz)
    minute = local.minute - local.minute % 15 if granularity == "15min" else 0
    return local.replace(minute=minute, second=0, microsecond=0)


def _next_edge(edge: datetime, granularity: Granularity, tz: ZoneInfo) -> datetime:
    if granularity == "day":  # a local day: 23 or 25 hours across a DST change
        return local_midnight(edge.astimezone(tz).date() + timedelta(days=1), tz)
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

"""A scripted day of scans at the demo venue, with totals worked out by hand.

The facts are written straight into the scans table: reports derive from facts, and a
fixed day (with known times, sources, conflicts and an annulled passage) is what makes the
figures checkable. The rules that produce such facts are tested elsewhere.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from admission.db.engine import Database
from admission.db.models import Device, Outage, Scan
from admission.demo import DemoVenue

TZ = ZoneInfo("Europe/Copenhagen")  # the demo venue's zone; on DAY it is UTC+2
DAY = date(2026, 6, 12)
ZONES = {"Main gate": ("zoo", None), "North gate": ("zoo", None), "Arena door": ("arena", "zoo")}
DEVICES = {"Main gate": "gate-main", "North gate": "gate-north", "Arena door": "gate-arena"}


@dataclass(frozen=True)
class Batch:
    at: str  # local time on DAY; "-1 " / "+1 " prefixes mean the day before / after
    gate: str
    direction: str
    verdict: str
    reason: str
    source: str
    count: int
    template: str | None  # None: a code that named no ticket
    conflict: bool = False
    annulled: bool = False


SCRIPT = [
    Batch("-1 20:00", "Main gate", "in", "admit", "ok", "online", 1, "Day ticket"),
    Batch("09:05", "Main gate", "in", "admit", "ok", "online", 10, "Day ticket"),
    Batch("09:20", "Main gate", "in", "admit", "ok", "offline", 5, "Weekend pass"),
    Batch("10:00", "North gate", "in", "admit", "ok", "import", 4, "10-visit card"),
    Batch("10:14:59.999999", "North gate", "in", "reject", "already_used", "online", 2, "Day ticket"),
    Batch("11:30", "North gate", "in", "reject", "invalid", "online", 3, None),
    Batch("12:40", "Main gate", "out", "admit", "ok", "online", 3, "Day ticket"),
    Batch("18:30", "Arena door", "in", "admit", "ok", "online", 6, "Concert ticket"),
    Batch(
        "18:31", "Arena door", "in", "admit", "already_used", "offline", 1, "Concert ticket", conflict=True
    ),
    Batch("21:50", "Arena door", "out", "admit", "ok", "override", 2, "Concert ticket"),
    Batch("22:00", "Main gate", "in", "admit", "ok", "online", 1, "Day ticket", annulled=True),
    Batch("+1 08:00", "Main gate", "in", "admit", "ok", "online", 7, "Day ticket"),
]

# Worked out by hand from SCRIPT, for DAY (the annulled passage counts nowhere).
ENTRIES = {"Main gate": 15, "North gate": 4, "Arena door": 7}
EXITS = {"Main gate": 3, "North gate": 0, "Arena door": 2}
REJECTED = {"Main gate": 0, "North gate": 5, "Arena door": 0}
SCANS = 36  # 31 admitted + 5 rejected
INSIDE_AT_END_OF_DAY = {"zoo": 12, "arena": 5}  # 1 from the day before +15 +4 -3 -7 +2; 7 - 2
INSIDE_NOW = {"zoo": 19, "arena": 5}  # plus the 7 entries of the next morning
CONFLICT_NONCE = "day-arena-door-18:31-0"


def local(at: str) -> datetime:
    day = DAY
    if at[:3] in ("-1 ", "+1 "):
        day += timedelta(days=int(at[:2]))
        at = at[3:]
    return datetime.combine(day, time.fromisoformat(at), tzinfo=TZ)


def scan_rows(venue: DemoVenue, device_ids: dict[str, int]) -> list[dict[str, object]]:
    serials: dict[str, list[int]] = {}
    for ticket in venue.tickets:
        serials.setdefault(ticket.template, []).append(int(ticket.serial))
    rows: list[dict[str, object]] = []
    for batch in SCRIPT:
        zone, from_zone = ZONES[batch.gate]
        scanned_at = local(batch.at)
        own = serials.get(batch.template or "", [])
        for i in range(batch.count):
            rows.append(
                {
                    "nonce": f"day-{batch.gate.lower().replace(' ', '-')}-{batch.at}-{i}",
                    "nonce_scope": device_ids[DEVICES[batch.gate]],
                    "code": "0000000000000",
                    "ticket_serial": own[i % len(own)] if own else None,
                    "device_id": device_ids[DEVICES[batch.gate]],
                    "gate": batch.gate,
                    "zone": zone,
                    "from_zone": from_zone,
                    "direction": batch.direction,
                    "verdict": batch.verdict,
                    "reason": batch.reason,
                    "message": "Admitted offline, but: Already used" if batch.conflict else batch.reason,
                    "source": batch.source,
                    "scanned_at": scanned_at,
                    "received_at": scanned_at + timedelta(minutes=30),
                    "conflict": batch.conflict,
                    "annulled_at": scanned_at + timedelta(seconds=5) if batch.annulled else None,
                    "answer": "{}",
                }
            )
    return rows


def outage_rows(device_ids: dict[str, int]) -> list[dict[str, object]]:
    refs = count(1)

    def outage(device: str, start: str, end: str | None, passages: int, sales: int, registered: str | None):
        return {
            "device_id": device_ids[device],
            "client_ref": f"{device_ids[device]}:scripted-{next(refs)}",
            "started_at": local(start),
            "ended_at": local(end) if end else None,
            "passages_offline": passages,
            "sales_offline": sales,
            "registered_at": local(registered) if registered else None,
            "received_at": datetime.now(UTC),
        }

    return [
        outage("gate-north", "-1 16:00", "-1 16:10", 2, 0, "-1 16:15"),  # the day before: not on DAY
        outage("gate-north", "10:00", "10:45", 4, 0, "10:50"),
        outage("box-office-1", "14:00", "14:20", 0, 3, "14:30"),
    ]


async def _insert(venue: DemoVenue) -> None:
    db = Database(venue.database_url)
    try:
        async with db.session() as session:
            device_ids = dict((await session.execute(select(Device.name, Device.id))).all())
            await session.execute(insert(Scan), scan_rows(venue, device_ids))
            await session.execute(insert(Outage), outage_rows(device_ids))
    finally:
        await db.dispose()


def insert_scripted_day(venue: DemoVenue) -> DemoVenue:
    asyncio.run(_insert(venue))
    return venue

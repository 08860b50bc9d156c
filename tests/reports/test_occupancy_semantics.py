"""The reports' occupancy must be `scanning.occupancy`, however the facts fall."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from admission.db.engine import Database
from admission.db.models import Scan
from admission.demo import DemoVenue
from admission.services import reports, scanning
from tests.reports.scripted_day import TZ

GATES = [("Main gate", "zoo", None), ("Arena door", "arena", "zoo"), ("Lost gate", "unknown", None)]


def random_facts(seed: int, count: int, around: datetime) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        gate, zone, from_zone = rng.choice(GATES)
        at = around + timedelta(minutes=rng.randrange(-3000, 3000))
        rows.append(
            {
                "nonce": f"random-{seed}-{i}",
                "nonce_scope": 0,
                "code": "x",
                "ticket_serial": rng.choice([None, 1, 2, 3]),
                "gate": gate,
                "zone": zone,
                "from_zone": from_zone,
                "direction": rng.choice(["in", "in", "out"]),
                "verdict": rng.choice(["admit", "admit", "reject"]),
                "reason": "ok",
                "message": "",
                "source": "online",
                "scanned_at": at,
                "received_at": at,
                "conflict": rng.random() < 0.1,
                "annulled_at": at if rng.random() < 0.1 else None,
                "answer": "{}",
            }
        )
    return rows


def test_report_occupancy_equals_the_scanning_rule(demo_venue: DemoVenue) -> None:
    async def scenario() -> list[tuple[dict[str, int], dict[str, int], dict[str, int]]]:
        db = Database(demo_venue.database_url)
        outcomes = []
        day_start = datetime(2026, 6, 12, tzinfo=TZ)
        try:
            for seed in range(4):
                async with db.session() as session:
                    await session.execute(
                        insert(Scan), random_facts(seed, 150, day_start + timedelta(hours=12))
                    )
                async with db.read_session() as session:
                    expected = await scanning.occupancy(session)
                    period = reports.resolve_period(TZ, "2026-06-12", "2026-06-12", now=datetime.now(UTC))
                    report = await reports.occupancy_report(session, period, "hour")
                    summary = await reports.summary_report(session, period)
                outcomes.append((expected, report.now, summary.occupancy_now))
        finally:
            await db.dispose()
        return outcomes

    for expected, from_report, from_summary in asyncio.run(scenario()):
        assert expected  # the random facts put people somewhere
        for zone in {*expected, *from_report, *from_summary}:
            assert from_report.get(zone, 0) == from_summary.get(zone, 0) == expected.get(zone, 0), zone

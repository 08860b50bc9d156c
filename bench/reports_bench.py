"""Benchmark: reports over 1,000,000 passages must answer in under 2 s.

Seeds a demo venue, writes N scan facts straight into the database (realistic rows: codes,
messages and the stored JSON answer, in time order, over one busy day by default so that a
day report really covers all of them), starts the real service and times every report
through HTTP. Prints each run and the median per report.

    .venv/bin/python bench/reports_bench.py                      # SQLite, 1,000,000 scans
    .venv/bin/python bench/reports_bench.py --backend postgres   # PostgreSQL
    .venv/bin/python bench/reports_bench.py --scans 200000 --days 30 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `tests.support` lives beside the package
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from admission import contract  # noqa: E402
from admission.demo import DEMO_TIMEZONE, DemoVenue, seed_demo  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

console = Console(highlight=False)
TARGET_SECONDS = 2.0
GATES = [("Main gate", "zoo", None), ("North gate", "zoo", None), ("Arena door", "arena", "zoo")]
SOURCES = ["online"] * 85 + ["offline"] * 10 + ["import"] * 4 + ["override"]
REJECT_REASONS = ["already_used", "invalid", "expired", "wrong_gate", "not_yet_valid", "void"]
COLUMNS = [
    "nonce", "code", "ticket_serial", "device_id", "gate", "zone", "from_zone", "direction", "verdict",
    "reason", "message", "source", "scanned_at", "received_at", "local_verdict", "local_reason",
    "override_reason", "conflict", "conflict_reviewed_at", "conflict_note", "annulled_at", "answer",
]  # fmt: skip


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--scans", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1, help="days the scans spread over (ending yesterday)")
    parser.add_argument("--tickets", type=int, default=50_000, help="day tickets the scans are spread over")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per report (the median counts)")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder")
    return parser.parse_args()


# ------------------------------------------------------------------ data -------------


def scan_rows(venue: DemoVenue, count: int, days: int, device_ids: list[int]) -> Iterator[tuple[object, ...]]:
    """`count` scans over `days` days, in time order, shaped like a real day at the gates."""
    rng = random.Random(5)
    tz = ZoneInfo(DEMO_TIMEZONE)
    first_day = datetime.now(tz).date() - timedelta(days=days)
    opening = 9 * 3600
    tickets = [(int(t.serial), t.number) for t in venue.tickets]
    moments = sorted(rng.betavariate(2, 3) * 13 * 3600 for _ in range(count))  # busy late morning
    for i, second in enumerate(moments):
        day = first_day + timedelta(days=i * days // count)
        at = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(seconds=opening + second)
        gate, zone, from_zone = GATES[rng.randrange(10) % 3]
        serial, number = tickets[rng.randrange(len(tickets))]
        rejected = rng.random() < 0.08
        reason = rng.choice(REJECT_REASONS) if rejected else "ok"
        message = (
            f"Already used at {gate} at {at:%H:%M}"
            if reason == "already_used"
            else ("Welcome" if not rejected else reason)
        )
        source = rng.choice(SOURCES)
        conflict = source == "offline" and not rejected and rng.random() < 0.002
        answer = json.dumps(
            {
                "verdict": "reject" if rejected else "admit",
                "reason": reason,
                "message": message,
                "nonce": f"dev-{i}",
                "scanned_at": at.isoformat(),
                "ticket": {"serial": str(serial), "number": number, "template_id": 1, "template": "Day ticket",
                           "event_id": None, "status": "valid", "entries_left": 0, "valid_from": None,
                           "valid_until": None},
            }
        )  # fmt: skip
        utc = at.astimezone(UTC)
        yield (
            f"gate-{rng.randrange(3)}-{i:09d}", number, None if reason == "invalid" else serial,
            device_ids[rng.randrange(len(device_ids))], gate, zone, from_zone,
            "out" if rng.random() < 0.3 else "in", "reject" if rejected else "admit", reason, message,
            source, utc, utc + timedelta(seconds=rng.randrange(1, 600) if source != "online" else 0),
            None, None, None, conflict, None, None, None, answer,
        )  # fmt: skip


def fill_sqlite(venue: DemoVenue, count: int, days: int) -> None:
    path = make_url(venue.database_url).database
    assert path
    db = sqlite3.connect(path)
    try:
        device_ids = [row[0] for row in db.execute("SELECT id FROM devices")]
        placeholders = ", ".join("?" for _ in COLUMNS)
        statement = f"INSERT INTO scans ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        batch: list[tuple[object, ...]] = []
        for row in scan_rows(venue, count, days, device_ids):
            # The service stores naive UTC text on SQLite (see UTCDateTime).
            batch.append(
                tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row)
            )
            if len(batch) == 50_000:
                db.executemany(statement, batch)
                batch.clear()
        db.executemany(statement, batch)
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


async def fill_postgres(venue: DemoVenue, count: int, days: int) -> None:
    import asyncpg

    dsn = make_url(venue.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        device_ids = [r["id"] for r in await connection.fetch("SELECT id FROM devices")]
        batch: list[tuple[object, ...]] = []
        for row in scan_rows(venue, count, days, device_ids):
            batch.append(row)
            if len(batch) == 50_000:
                await connection.copy_records_to_table("scans", records=batch, columns=COLUMNS)
                batch.clear()
        await connection.copy_records_to_table("scans", records=batch, columns=COLUMNS)
        await connection.execute("ANALYZE scans")
    finally:
        await connection.close()


# ------------------------------------------------------------------ venue ------------


async def issue_day_tickets(venue: DemoVenue, count: int) -> None:
    """More tickets, through the service layer, so reports join a realistic tickets table."""
    from sqlalchemy import select

    from admission.db.engine import Database
    from admission.db.models import Template
    from admission.demo import DemoTicket
    from admission.services import tickets
    from admission.services.keys import KeyRing

    db = Database(venue.database_url)
    try:
        async with db.read_session() as session:
            ring = await KeyRing.load(session, Path(venue.data_dir))
            template_id = await session.scalar(select(Template.id).where(Template.name == "Day ticket"))
        assert template_id is not None
        while count > 0:
            chunk = min(count, contract.MAX_ISSUE)
            async with db.session() as session:
                request = contract.IssueRequest(template_id=template_id, count=chunk)
                issued = await tickets.issue_tickets(session, ring, ZoneInfo(DEMO_TIMEZONE), request)
            venue.tickets += [
                DemoTicket(template="Day ticket", number=t.number or "", code=t.code, serial=str(t.serial))
                for t in issued
            ]
            count -= chunk
    finally:
        await db.dispose()


async def _pg_admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def database_url(args: argparse.Namespace, folder: Path) -> str:
    if args.backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'admission.db'}"
    asyncio.run(_pg_admin(args.pg_url, 'DROP DATABASE IF EXISTS "bench_admission_reports" WITH (FORCE)'))
    asyncio.run(_pg_admin(args.pg_url, 'CREATE DATABASE "bench_admission_reports"'))
    return make_url(args.pg_url).set(database="bench_admission_reports").render_as_string(hide_password=False)


def drop(args: argparse.Namespace, folder: Path) -> None:
    if args.keep:
        console.print(f"[dim]kept {folder}[/]")
        return
    if args.backend == "postgres":
        asyncio.run(_pg_admin(args.pg_url, 'DROP DATABASE IF EXISTS "bench_admission_reports" WITH (FORCE)'))
    shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ timing -----------


def report_requests(first: date, last: date) -> list[tuple[str, str, dict[str, str]]]:
    period = {"from": first.isoformat(), "to": last.isoformat()}
    return [
        ("summary", "/api/v1/reports/summary", period),
        ("passages per 15 min", "/api/v1/reports/passages", {**period, "granularity": "15min"}),
        (
            "passages per hour, CSV",
            "/api/v1/reports/passages",
            {**period, "granularity": "hour", "format": "csv"},
        ),
        ("passages per day", "/api/v1/reports/passages", {**period, "granularity": "day"}),
        ("passages, one gate", "/api/v1/reports/passages", {**period, "gate": "North gate"}),
        ("templates and events", "/api/v1/reports/templates", period),
        ("occupancy per 15 min", "/api/v1/reports/occupancy", {**period, "granularity": "15min"}),
        ("reasons", "/api/v1/reports/reasons", period),
        ("sources", "/api/v1/reports/sources", period),
        ("open conflicts", "/api/v1/reports/conflicts", {}),
        ("outages", "/api/v1/reports/outages", period),
    ]


def time_reports(server: LiveServer, token: str, args: argparse.Namespace) -> list[tuple[str, list[float]]]:
    tz = ZoneInfo(DEMO_TIMEZONE)
    last = datetime.now(tz).date() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)
    results = []
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        for label, path, params in report_requests(first, last):
            client.get(path, params=params).raise_for_status()  # warm the page cache once
            seconds = []
            for _ in range(args.runs):
                start = time.perf_counter()
                response = client.get(path, params=params)
                seconds.append(time.perf_counter() - start)
                response.raise_for_status()
            results.append((label, seconds))
            console.print(f"[dim]{label}: median {statistics.median(seconds):.3f} s[/]")
    return results


def print_results(results: list[tuple[str, list[float]]], args: argparse.Namespace) -> bool:
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    table = Table(
        title=f"Reports over {args.scans:,} scans ({args.days} day(s)), {args.backend}, load {load}",
        title_justify="left",
    )
    table.add_column("report")
    for i in range(args.runs):
        table.add_column(f"run {i + 1}", justify="right")
    table.add_column("median s", justify="right")
    table.add_column(f"< {TARGET_SECONDS:g} s")
    met = True
    for label, seconds in results:
        median = statistics.median(seconds)
        met &= median < TARGET_SECONDS
        verdict = "[green]yes[/]" if median < TARGET_SECONDS else "[red]NO[/]"
        table.add_row(label, *(f"{s:.3f}" for s in seconds), f"[bold]{median:.3f}[/]", verdict)
    console.print(table)
    return met


def main() -> int:
    args = arguments()
    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        url = database_url(args, folder)
        console.print(f"[dim]seeding a demo venue with {args.tickets:,} day tickets on {args.backend}[/]")
        venue = asyncio.run(seed_demo(url, folder, 100))
        asyncio.run(issue_day_tickets(venue, args.tickets))
        started = time.perf_counter()
        if args.backend == "sqlite":
            fill_sqlite(venue, args.scans, args.days)
        else:
            asyncio.run(fill_postgres(venue, args.scans, args.days))
        console.print(f"[dim]wrote {args.scans:,} scans in {time.perf_counter() - started:.0f} s[/]")
        server = LiveServer(venue, workers=1)
        server.start(timeout=60)
        try:
            results = time_reports(server, venue.viewer_token, args)
        finally:
            server.stop()
        met = print_results(results, args)
        console.print(
            f"target: every report's median under {TARGET_SECONDS:g} s -> {'met' if met else 'MISSED'}"
        )
        return 0 if met else 1
    finally:
        drop(args, folder)


if __name__ == "__main__":
    sys.exit(main())

"""Where a request's cost goes: SQL statements and CPU per operation, in-process.

The app runs in this process (httpx.ASGITransport, no sockets, one request at a time), and
every SQL statement is counted with a SQLAlchemy event, so the figures do not depend on
how busy the machine is the way the throughput benchmarks do. Use it to check a fix: the
statement count per scan should drop, and the CPU per scan with it.

    python bench/breakdown.py --backend sqlite|postgres [--size 1000]
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from common import arguments, bench_venue, console, header, issue_in_process, template_id, utc_now
from rich.table import Table
from sqlalchemy import event
from sqlalchemy.engine import Engine

GATE = "Main gate"


@dataclass
class StatementLog:
    statements: Counter[str] = field(default_factory=Counter)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements[" ".join(statement.split()[:4])[:60]] += 1


@dataclass
class Row:
    operation: str
    per: str
    count: int
    cpu_ms: float
    wall_ms: float
    statements: Counter[str]


async def timed(
    name: str, per: str, count: int, log: StatementLog, work: Callable[[], Awaitable[None]]
) -> Row:
    log.statements.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    await work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Row(name, per, count, cpu / count * 1000, wall / count * 1000, Counter(log.statements))


async def measure(venue: Any, size: int, log: StatementLog) -> list[Row]:
    from admission.api.app import create_app
    from admission.config import Settings

    codes = [t.code for t in await issue_in_process(venue, "Day ticket", 2 * size + 1500)]
    day = await template_id(venue, "Day ticket")
    app = create_app(Settings(database_url=venue.database_url, data_dir=Path(venue.data_dir)))
    gate = {"Authorization": f"Bearer {venue.gate_tokens[GATE]}"}
    office = {"Authorization": f"Bearer {venue.box_office_token}"}
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://a") as c,
    ):

        async def scans(batch: list[str]) -> None:
            for code in batch:
                body = {"code": code, "gate": GATE, "nonce": uuid.uuid4().hex}
                response = await c.post("/api/v1/scans", json=body, headers=gate)
                assert response.status_code == 200 and response.json()["verdict"] == "admit", response.text

        async def health() -> None:
            for _ in range(size):
                await c.get("/health")

        async def batch(batch_codes: list[str]) -> None:
            response = await c.post("/api/v1/passages/batch", content=batch_body(batch_codes), headers=gate)
            assert response.status_code == 200, response.text

        async def issue() -> None:
            response = await c.post(
                "/api/v1/tickets/issue", json={"template_id": day, "count": 10_000}, headers=office
            )
            assert response.status_code in (200, 201), response.text

        await scans(codes[:200])  # warm caches and pools
        rows = [await timed("GET /health", "request", size, log, health)]
        rows.append(await timed("POST /scans", "scan", size, log, lambda: scans(codes[200 : 200 + size])))
        rest = codes[200 + size :]
        await batch(rest[:500])
        rows.append(await timed("POST /passages/batch", "passage", 500, log, lambda: batch(rest[500:1000])))
        rows.append(await timed("POST /tickets/issue", "ticket", 10_000, log, issue))
    return rows


def batch_body(codes: list[str]) -> bytes:
    start = utc_now() - timedelta(minutes=30)
    passages = [
        {
            "nonce": uuid.uuid4().hex,
            "code": code,
            "gate": GATE,
            "direction": "in",
            "scanned_at": (start + timedelta(seconds=i)).isoformat(),
            "local_verdict": "admit",
            "local_reason": "ok",
        }
        for i, code in enumerate(codes)
    ]
    return json.dumps({"device": "gate-main", "passages": passages}).encode()


def show(rows: list[Row], backend: str) -> None:
    table = Table(
        title=f"Cost per operation on {backend}, in-process, one request at a time", title_justify="left"
    )
    for column in ("operation", "per", "CPU ms", "wall ms", "SQL statements", "which"):
        table.add_column(column, justify="left" if column in ("operation", "per", "which") else "right")
    for row in rows:
        total = sum(row.statements.values()) / row.count
        which = "; ".join(f"{n / row.count:.2g}x {s}" for s, n in row.statements.most_common(12))
        table.add_row(
            row.operation, row.per, f"{row.cpu_ms:.3f}", f"{row.wall_ms:.3f}", f"{total:.2f}", which
        )
    console.print(table)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], size=1000, runs=1)
    header("cost breakdown", args)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    log = StatementLog()
    event.listen(Engine, "before_cursor_execute", log)
    with bench_venue(args, "breakdown") as venue:
        rows = asyncio.run(measure(venue, args.size, log))
    show(rows, args.backend)


if __name__ == "__main__":
    main()

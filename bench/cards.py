"""Card payments: online payments per second, and the upload rate of an offline ledger backlog.

Online: `--clients` box offices pay at the same time, each from a card of its own (one
connection each, one payment after another, as a till does), every payment answered only after
it is committed under the card's row lock. Offline backlog: a till that was offline uploads the
card payments it took (`offline: true`, the time it took them), one request per entry as its
outbox does, over `--uploaders` connections. Every answer must be 200.

The backlog runs all pay from the same card(s), so each run starts on a longer ledger (its label
says how long); bench/card_ledger.py measures that cost alone.

    python bench/cards.py --backend sqlite|postgres [--workers 2] [--size 2000] [--runs 5]
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from datetime import timedelta

from common import (
    CpuMeter,
    RawHttp,
    RunResult,
    arguments,
    bench_venue,
    console,
    header,
    live_server,
    profiled,
    report,
    server_group,
    utc_now,
)


async def sell_cards(url: str, admin: str, count: int, amount: int) -> list[str]:
    connection = await RawHttp.open(url, admin)
    numbers = []
    try:
        body = json.dumps({"name": "Bench card", "kind": "stored_value"}).encode()
        await connection.request("POST", "/api/v1/cards/types", body)
        for _ in range(count):
            sale = {"nonce": uuid.uuid4().hex, "card_type": "Bench card", "amount_cents": amount}
            status, content = await connection.request("POST", "/api/v1/cards", json.dumps(sale).encode())
            if status != 201:
                raise RuntimeError(f"selling a card failed: {status} {content[:200]!r}")
            numbers.append(json.loads(content)["card"]["number"])
    finally:
        await connection.close()
    return numbers


async def pay_many(url: str, token: str, bodies: list[tuple[str, bytes]]) -> tuple[list[float], Counter[int]]:
    connection = await RawHttp.open(url, token)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    try:
        for path, body in bodies:
            sent = time.perf_counter()
            status, _content = await connection.request("POST", path, body)
            latencies.append((time.perf_counter() - sent) * 1000)
            statuses[status] += 1
    finally:
        await connection.close()
    return latencies, statuses


def payment_bodies(number: str, count: int, *, offline: bool) -> list[tuple[str, bytes]]:
    start = utc_now() - timedelta(hours=1)
    bodies = []
    for i in range(count):
        payment: dict[str, object] = {"nonce": f"bench-{uuid.uuid4().hex}", "amount_cents": 1}
        if offline:
            payment |= {"offline": True, "occurred_at": (start + timedelta(seconds=i)).isoformat()}
        bodies.append((f"/api/v1/cards/{number}/pay", json.dumps(payment).encode()))
    return bodies


async def measured(url: str, token: str, work: list[list[tuple[str, bytes]]]) -> tuple[float, list[float], Counter[int]]:
    started = time.perf_counter()
    results = await asyncio.gather(*(pay_many(url, token, bodies) for bodies in work))
    elapsed = time.perf_counter() - started
    latencies = [ms for lat, _ in results for ms in lat]
    statuses: Counter[int] = Counter()
    for _, counted in results:
        statuses.update(counted)
    return sum(len(b) for b in work) / elapsed, latencies, statuses


def main() -> None:
    args = arguments(__doc__ or "", size=2000, runs=5, clients=32, uploaders=1)
    header("card payments", args)
    with bench_venue(args, "cards") as venue, live_server(venue, args.workers) as server:
        per_run = args.runs + 1  # a warm-up run first
        cards = asyncio.run(sell_cards(server.url, venue.admin_token, args.clients + args.uploaders, 10**8))
        online_cards, backlog_cards = cards[: args.clients], cards[args.clients :]
        online: list[RunResult] = []
        uploads: list[RunResult] = []
        with profiled(server, args.profile):
            for run in range(per_run):
                work = [payment_bodies(n, args.size // args.clients, offline=False) for n in online_cards]
                meter = CpuMeter(server_group(server))
                meter.start()
                rate, latencies, statuses = asyncio.run(measured(server.url, venue.box_office_token, work))
                meter.stop()
                if set(statuses) != {200}:
                    raise SystemExit(f"payments failed: {dict(statuses)}")
                if run:
                    online.append(RunResult(f"run {run}", rate, latencies, meter.cores()))
            for run in range(per_run):
                per_uploader = args.size // args.uploaders
                work = [payment_bodies(n, per_uploader, offline=True) for n in backlog_cards]
                meter = CpuMeter(server_group(server))
                meter.start()
                rate, latencies, statuses = asyncio.run(measured(server.url, venue.box_office_token, work))
                meter.stop()
                if set(statuses) != {200}:
                    raise SystemExit(f"uploads failed: {dict(statuses)}")
                if run:
                    ledger = run * per_uploader + 1  # entries on each backlog card as the run starts
                    uploads.append(RunResult(f"run {run}, ledger {ledger:,}", rate, latencies, meter.cores()))
        paid = report(f"online card payments, {args.clients} clients, a card each", "payments/s", online)
        uploaded = report(f"offline ledger backlog, {args.uploaders} uploader(s)", "entries/s", uploads)
        console.print(f"[bold]card payments online[/]: {paid:,.0f}/s; [bold]offline backlog upload[/]: {uploaded:,.0f}/s")


if __name__ == "__main__":
    main()

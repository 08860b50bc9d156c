"""Bulk issue over the API: tickets/s for POST /api/v1/tickets/issue with count=10000.

A box-office device issues Day tickets, `--concurrency` requests at a time (1 by default:
one seller's bulk order after another). Each answer lists every ticket with its signed code
and number; barcodes are not rendered (they are rendered lazily, on request).

    python bench/issue.py --backend sqlite|postgres [--workers 2] [--size 50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import msgspec
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
    template_id,
    verdict,
)

TARGET = 10_000
PER_REQUEST = 10_000


async def issue_requests(url: str, token: str, body: bytes, requests: int) -> tuple[list[float], int]:
    connection = await RawHttp.open(url, token)
    latencies: list[float] = []
    issued = 0
    try:
        for _ in range(requests):
            sent = time.perf_counter()
            status, answer = await connection.request("POST", "/api/v1/tickets/issue", body)
            latencies.append((time.perf_counter() - sent) * 1000)
            if status not in (200, 201):
                raise RuntimeError(f"issue answered {status}: {answer[:300]!r}")
            issued += len(msgspec.json.decode(answer, type=list[msgspec.Raw]))
    finally:
        await connection.close()
    return latencies, issued


async def issue_all(
    url: str, token: str, body: bytes, requests: int, concurrency: int
) -> tuple[list[float], int]:
    shares = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
    done = await asyncio.gather(*(issue_requests(url, token, body, n) for n in shares if n))
    return [ms for latencies, _ in done for ms in latencies], sum(n for _, n in done)


def measure(url: str, token: str, group: int, body: bytes, args: argparse.Namespace, label: str) -> RunResult:
    requests = max(1, args.size // PER_REQUEST)
    meter = CpuMeter(group)
    meter.start()
    started = time.perf_counter()
    latencies, issued = asyncio.run(issue_all(url, token, body, requests, args.concurrency))
    wall = time.perf_counter() - started
    meter.stop()
    cores = meter.cores()
    cost = (cores["server"] + cores["postgres"]) * wall / issued * 1e6
    return RunResult(
        label=label,
        value=issued / wall,
        latencies_ms=latencies,
        cores=cores,
        notes=f"{issued:,} tickets in {requests} requests; {cost:.0f} us server+db CPU/ticket",
    )


def main() -> None:
    args = arguments(__doc__.splitlines()[0], size=50_000, runs=5, concurrency=1)
    header("bulk issue", args)
    with bench_venue(args, "issue") as venue:
        body = json.dumps(
            {"template_id": asyncio.run(template_id(venue, "Day ticket")), "count": PER_REQUEST}
        )
        with live_server(venue, args.workers) as server:
            token, group = venue.box_office_token, server_group(server)
            warm = argparse.Namespace(**{**vars(args), "size": PER_REQUEST})
            measure(server.url, token, group, body.encode(), warm, "warm-up")
            runs = []
            with profiled(server, args.profile):
                for i in range(1, args.runs + 1):
                    runs.append(measure(server.url, token, group, body.encode(), args, f"run {i}"))
                    console.print(f"[dim]run {i}: {runs[-1].value:,.0f} tickets/s[/]")
    title = (
        f"Bulk issue on {args.backend}: {PER_REQUEST:,} tickets per request, {args.concurrency} request(s) "
        f"at a time, {args.size:,} tickets per run (latency = per request)"
    )
    rate = report(title, "tickets/s", runs)
    verdict("bulk issue", f"{rate:,.0f} tickets/s", f">= {TARGET:,} tickets/s", rate >= TARGET)


if __name__ == "__main__":
    main()

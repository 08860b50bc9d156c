"""Change feed: time to page a full snapshot (since=0) of 1,000,000 tickets, limit=10000.

The tickets are issued in bulk through the service layer in-process first (that is setup,
not measured; it takes a few minutes at full size). Then one gate pages the whole feed
from cursor 0 until `more` is false, decoding every page (msgspec) as a scanner would,
`--runs` times.

    python bench/feed.py --backend sqlite|postgres [--workers 2] [--size 1000000] [--runs 3]
"""

from __future__ import annotations

import asyncio
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
    issue_in_process,
    live_server,
    profiled,
    report,
    server_group,
    verdict,
)
from rich.progress import Progress

TARGET_SECONDS = 15.0
GATE = "Main gate"


class Change(msgspec.Struct):
    seq: int
    kind: str
    key: str
    data: msgspec.Raw


class Page(msgspec.Struct):
    cursor: int
    more: bool
    changes: list[Change]


class Pass(msgspec.Struct):
    seconds: float
    changes: int
    tickets: int
    pages: int
    megabytes: float
    latencies_ms: list[float]


async def page_all(url: str, token: str, limit: int) -> Pass:
    decoder = msgspec.json.Decoder(Page)
    connection = await RawHttp.open(url, token)
    cursor, more, changes, tickets, size = 0, True, 0, 0, 0
    latencies: list[float] = []
    started = time.perf_counter()
    try:
        while more:
            sent = time.perf_counter()
            status, body = await connection.request(
                "GET", f"/api/v1/sync/changes?since={cursor}&limit={limit}"
            )
            if status != 200:
                raise RuntimeError(f"feed answered {status}: {body[:300]!r}")
            page = decoder.decode(body)
            latencies.append((time.perf_counter() - sent) * 1000)
            cursor, more = page.cursor, page.more
            changes += len(page.changes)
            tickets += sum(1 for c in page.changes if c.kind == "ticket")
            size += len(body)
    finally:
        await connection.close()
    return Pass(time.perf_counter() - started, changes, tickets, len(latencies), size / 1e6, latencies)


def issue(venue: object, size: int) -> None:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"issuing {size:,} tickets in-process", total=size)
        started = time.perf_counter()
        asyncio.run(
            issue_in_process(venue, "Day ticket", size, lambda n: progress.update(task, completed=n))  # type: ignore[arg-type]
        )
    seconds = time.perf_counter() - started
    console.print(f"[dim]issued {size:,} tickets in {seconds:.0f} s ({size / seconds:,.0f}/s, in-process)[/]")


def measure(url: str, token: str, group: int, limit: int, label: str) -> RunResult:
    meter = CpuMeter(group)
    meter.start()
    result = asyncio.run(page_all(url, token, limit))
    meter.stop()
    return RunResult(
        label=label,
        value=result.seconds,
        latencies_ms=result.latencies_ms,
        cores=meter.cores(),
        notes=(
            f"{result.changes:,} changes ({result.tickets:,} tickets), {result.pages} pages, "
            f"{result.megabytes:,.0f} MB, {result.changes / result.seconds:,.0f} changes/s"
        ),
    )


def main() -> None:
    args = arguments(__doc__.splitlines()[0], size=1_000_000, runs=3, limit=10_000)
    header("change feed snapshot", args)
    with bench_venue(args, "feed") as venue:
        issue(venue, args.size)
        with live_server(venue, args.workers) as server:
            token, group = venue.gate_tokens[GATE], server_group(server)
            runs = []
            with profiled(server, args.profile):
                for i in range(1, args.runs + 1):
                    runs.append(measure(server.url, token, group, args.limit, f"run {i}"))
                    console.print(f"[dim]run {i}: {runs[-1].value:.1f} s[/]")
    title = (
        f"Full feed snapshot on {args.backend}: {args.size:,} issued tickets, limit={args.limit:,} "
        "(latency = per page, including decoding)"
    )
    seconds = report(title, "seconds", runs)
    verdict("feed snapshot", f"{seconds:.1f} s", f"< {TARGET_SECONDS:.0f} s", seconds < TARGET_SECONDS)


if __name__ == "__main__":
    main()

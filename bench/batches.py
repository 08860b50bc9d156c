"""Batch registration: passages/s for offline batches of 500 passages.

Gates that were offline upload what they admitted: each passage a distinct valid ticket
(signed QR code), admitted locally during the last hour. `--uploaders` gate devices upload
at the same time (one connection each, batches one after another, as the scanner client
does); the bodies are encoded before the clock starts. Every result must come back
`registered`.

    python bench/batches.py --backend sqlite|postgres [--workers 2] [--size 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
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
    issue_in_process,
    live_server,
    profiled,
    report,
    server_group,
    utc_now,
    verdict,
)

TARGET = 20_000
DEVICES = [("gate-main", "Main gate"), ("gate-north", "North gate")]


def batch_bodies(device: str, gate: str, codes: list[str], batch: int) -> list[bytes]:
    """Offline passages spread over the last hour, `batch` per request body."""
    start = utc_now() - timedelta(hours=1)
    step = timedelta(hours=1) / max(len(codes), 1)
    passages = [
        {
            "nonce": f"{device}-{uuid.uuid4().hex}",
            "code": code,
            "gate": gate,
            "direction": "in",
            "scanned_at": (start + i * step).isoformat(),
            "local_verdict": "admit",
            "local_reason": "ok",
        }
        for i, code in enumerate(codes)
    ]
    return [
        json.dumps({"device": device, "passages": passages[i : i + batch]}).encode()
        for i in range(0, len(passages), batch)
    ]


async def upload(url: str, token: str, bodies: list[bytes]) -> tuple[list[float], Counter[str]]:
    connection = await RawHttp.open(url, token)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    try:
        for body in bodies:
            sent = time.perf_counter()
            status, content = await connection.request("POST", "/api/v1/passages/batch", body)
            latencies.append((time.perf_counter() - sent) * 1000)
            if status != 200:
                statuses[f"http {status}"] += 1
                continue
            statuses.update(r["status"] for r in json.loads(content)["results"])
    finally:
        await connection.close()
    return latencies, statuses


async def upload_all(url: str, work: list[tuple[str, list[bytes]]]) -> tuple[list[float], Counter[str]]:
    done = await asyncio.gather(*(upload(url, token, bodies) for token, bodies in work))
    statuses: Counter[str] = Counter()
    for _, counted in done:
        statuses.update(counted)
    return [ms for latencies, _ in done for ms in latencies], statuses


def measure(
    url: str, group: int, work: list[tuple[str, list[bytes]]], passages: int, label: str
) -> RunResult:
    meter = CpuMeter(group)
    meter.start()
    started = time.perf_counter()
    latencies, statuses = asyncio.run(upload_all(url, work))
    wall = time.perf_counter() - started
    meter.stop()
    cores = meter.cores()
    cost = (cores["server"] + cores["postgres"]) * wall / passages * 1e6
    outcome = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    return RunResult(
        label=label,
        value=passages / wall,
        latencies_ms=latencies,
        cores=cores,
        notes=f"{cost:.0f} us server+db CPU/passage; {outcome}",
    )


def prepare(
    args: argparse.Namespace, tokens: dict[str, str], codes: list[str]
) -> list[list[tuple[str, list[bytes]]]]:
    """Per run, per uploading device: its token and its encoded batches."""
    runs = []
    per_run = [codes[i * args.size : (i + 1) * args.size] for i in range(args.runs + 1)]
    for chunk in per_run:
        work = []
        for n, (device, gate) in enumerate(DEVICES[: args.uploaders]):
            work.append((tokens[gate], batch_bodies(device, gate, chunk[n :: args.uploaders], args.batch)))
        runs.append(work)
    return runs


def main() -> None:
    args = arguments(__doc__.splitlines()[0], size=20_000, runs=5, batch=500, uploaders=2)
    args.uploaders = max(1, min(args.uploaders, len(DEVICES)))
    header("batch registration", args)
    with bench_venue(args, "batches") as venue:
        total = args.size * (args.runs + 1)
        console.print(f"[dim]issuing {total:,} Day tickets in-process (one run's worth is the warm-up)[/]")
        codes = [t.code for t in asyncio.run(issue_in_process(venue, "Day ticket", total))]
        work = prepare(args, venue.gate_tokens, codes)
        with live_server(venue, args.workers) as server:
            group = server_group(server)
            measure(server.url, group, work[0], args.size, "warm-up")
            runs = []
            with profiled(server, args.profile):
                for i, run_work in enumerate(work[1:], start=1):
                    runs.append(measure(server.url, group, run_work, args.size, f"run {i}"))
                    console.print(f"[dim]run {i}: {runs[-1].value:,.0f} passages/s[/]")
    title = (
        f"Batch registration on {args.backend}: batches of {args.batch}, {args.uploaders} devices "
        f"uploading at once, {args.size:,} passages per run (latency = per batch)"
    )
    rate = report(title, "passages/s", runs)
    verdict("batch registration", f"{rate:,.0f} passages/s", f">= {TARGET:,} passages/s", rate >= TARGET)


if __name__ == "__main__":
    main()

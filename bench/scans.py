"""Online scans: throughput and p50/p99 latency at 64 concurrent clients.

Every scan is a distinct valid ticket (a Day ticket's signed QR code) scanned at the Main
gate. The 64 clients are spread over `--clients` processes, because one Python client process
cannot drive 2,000 requests/s and stay out of the server's way on a 2-core box. By default
each client is a minimal keep-alive HTTP/1.1 connection (`--client raw`, bench/common.py
RawHttp), which leaves the machine to the server; `--client httpx` uses one httpx.AsyncClient
per gate, as the scanner client does, and then the clients take about a third of the box.
The client's CPU share is reported beside the figures, and the server's CPU cost per scan
gives the throughput two dedicated cores would reach. A baseline run against `GET /health`
(no database, no auth) with the same clients shows the ceiling of the HTTP stack itself.

    python bench/scans.py --backend sqlite|postgres [--workers 2] [--size 4000] [--runs 5] [--client raw|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing import get_context

import httpx
from common import (
    CpuMeter,
    RawHttp,
    RunResult,
    arguments,
    bearer,
    bench_venue,
    console,
    header,
    issue_in_process,
    live_server,
    median,
    profiled,
    report,
    server_group,
    verdict,
)

GATE = "Main gate"
TARGET_RATE = 2_000
TARGET_P99_MS = 50.0
HEALTH = ""  # a work item meaning "GET /health" instead of a scan


@dataclass
class ClientResult:
    latencies_ms: list[float]
    started: float
    finished: float
    cpu_seconds: float
    failures: int
    not_admitted: int


Send = Callable[[str], Awaitable[tuple[int, bytes]]]


def client_process(
    kind: str, url: str, token: str, codes: list[str], concurrency: int, start_at: float
) -> ClientResult:
    return asyncio.run(_client(kind, url, token, codes, concurrency, start_at))


def _scan_body(code: str) -> bytes:
    return json.dumps({"code": code, "gate": GATE, "nonce": uuid.uuid4().hex}).encode()


def _httpx_sender(client: httpx.AsyncClient) -> Send:
    async def send(code: str) -> tuple[int, bytes]:
        if code == HEALTH:
            response = await client.get("/health")
        else:
            response = await client.post("/api/v1/scans", content=_scan_body(code))
        return response.status_code, response.content

    return send


def _raw_sender(connection: RawHttp) -> Send:
    async def send(code: str) -> tuple[int, bytes]:
        if code == HEALTH:
            return await connection.request("GET", "/health")
        return await connection.request("POST", "/api/v1/scans", _scan_body(code))

    return send


@asynccontextmanager
async def senders(kind: str, url: str, token: str, concurrency: int) -> AsyncIterator[list[Send]]:
    """One sender per concurrent client.

    raw: one minimal keep-alive connection each. httpx: one AsyncClient each, like a real gate.
    httpx-pool: one AsyncClient whose pool holds every connection (httpx's pool re-checks all
    its connections on every request, encode/httpx#3215: it costs ~2 ms CPU per request at 32
    connections and measures the client rather than the server).
    """
    async with contextlib.AsyncExitStack() as stack:
        if kind == "raw":
            connections = [await RawHttp.open(url, token) for _ in range(concurrency)]
            for connection in connections:
                stack.push_async_callback(connection.close)
            yield [_raw_sender(c) for c in connections]
            return
        pooled = kind == "httpx-pool"
        size = concurrency if pooled else 1
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        headers = {**bearer(token), "Content-Type": "application/json"}
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60)
            )
            for _ in range(1 if pooled else concurrency)
        ]
        yield [_httpx_sender(clients[i % len(clients)]) for i in range(concurrency)]


async def _client(
    kind: str, url: str, token: str, codes: list[str], concurrency: int, start_at: float
) -> ClientResult:
    latencies: list[float] = []
    counts = {"failures": 0, "not_admitted": 0}
    work = iter(codes)

    async def scanner(send: Send) -> None:
        for code in work:
            sent = time.perf_counter()
            try:
                status, content = await send(code)
            except (httpx.HTTPError, OSError, asyncio.IncompleteReadError):
                counts["failures"] += 1
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            if status != 200:
                counts["failures"] += 1
            elif code != HEALTH and b'"verdict":"admit"' not in content:
                counts["not_admitted"] += 1

    async with senders(kind, url, token, concurrency) as sends:
        # The client's own collector pauses would count as the server's latency.
        gc.freeze()
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        cpu, started = time.process_time(), time.monotonic()
        await asyncio.gather(*(scanner(send) for send in sends))
        finished, cpu = time.monotonic(), time.process_time() - cpu
    return ClientResult(latencies, started, finished, cpu, counts["failures"], counts["not_admitted"])


@dataclass
class Bench:
    pool: ProcessPoolExecutor
    url: str
    token: str
    group: int
    clients: int
    concurrency: int
    kind: str

    def run_clients(self, codes: list[str], meter: CpuMeter) -> tuple[list[ClientResult], float]:
        start_at = time.monotonic() + 1.0
        shares = [codes[i :: self.clients] for i in range(self.clients)]
        per_client = [
            self.concurrency // self.clients + (1 if i < self.concurrency % self.clients else 0)
            for i in range(self.clients)
        ]
        futures = [
            self.pool.submit(client_process, self.kind, self.url, self.token, share, n, start_at)
            for share, n in zip(shares, per_client, strict=True)
        ]
        time.sleep(max(0.0, start_at - time.monotonic()))
        meter.start()
        results = [f.result() for f in futures]
        meter.extra_client_seconds = sum(r.cpu_seconds for r in results)
        meter.stop()
        return results, max(r.finished for r in results) - min(r.started for r in results)

    def measure(self, codes: list[str], label: str) -> RunResult:
        meter = CpuMeter(self.group)
        results, wall = self.run_clients(codes, meter)
        cores = meter.cores()
        server_ms = (cores["server"] + cores["postgres"]) * wall / len(codes) * 1000
        failures = sum(r.failures for r in results)
        rejected = sum(r.not_admitted for r in results)
        return RunResult(
            label=label,
            value=len(codes) / wall,
            latencies_ms=[ms for r in results for ms in r.latencies_ms],
            cores=cores,
            notes=f"{server_ms:.2f} ms server+db CPU/request, {failures} errors, {rejected} not admitted",
        )


def measure_all(
    bench: Bench, codes: list[str], args: argparse.Namespace
) -> tuple[RunResult, list[RunResult]]:
    bench.measure([HEALTH] * args.size, "warm-up")
    baseline = bench.measure([HEALTH] * args.size, "GET /health")
    bench.measure(codes[: args.warmup], "warm-up")
    runs = []
    for i in range(args.runs):
        chunk = codes[args.warmup + i * args.size : args.warmup + (i + 1) * args.size]
        runs.append(bench.measure(chunk, f"run {i + 1}"))
        console.print(f"[dim]run {i + 1}: {runs[-1].value:,.0f} scans/s[/]")
    return baseline, runs


def main() -> None:
    args = arguments(
        __doc__.splitlines()[0], size=4000, runs=5, clients=2, concurrency=64, warmup=1000, client="raw"
    )
    header("online scans", args)
    total = args.warmup + args.size * args.runs
    with bench_venue(args, "scans") as venue:
        console.print(f"[dim]issuing {total:,} Day tickets in-process[/]")
        codes = [t.code for t in asyncio.run(issue_in_process(venue, "Day ticket", total))]
        context = get_context("spawn")
        with live_server(venue, args.workers) as server, ProcessPoolExecutor(args.clients, context) as pool:
            bench = Bench(
                pool,
                server.url,
                venue.gate_tokens[GATE],
                server_group(server),
                args.clients,
                args.concurrency,
                args.client,
            )
            with profiled(server, args.profile):
                baseline, runs = measure_all(bench, codes, args)
    conclude(args, baseline, runs)


def conclude(args: argparse.Namespace, baseline: RunResult, runs: list[RunResult]) -> None:
    report("HTTP stack baseline: GET /health, same clients", "requests/s", [baseline])
    title = (
        f"Online scans on {args.backend}: {args.concurrency} concurrent {args.client} clients in "
        f"{args.clients} process(es), {args.size:,} distinct tickets per run"
    )
    rate = report(title, "scans/s", runs)
    p99 = median([r.p99 for r in runs])
    verdict(
        "online scans",
        f"{rate:,.0f} scans/s, p99 {p99:.1f} ms",
        f">= {TARGET_RATE:,} scans/s, p99 < {TARGET_P99_MS:.0f} ms",
        rate >= TARGET_RATE and p99 < TARGET_P99_MS,
    )
    cost = median([float(r.notes.split()[0]) for r in runs])
    console.print(
        f"server+database CPU per scan: {cost:.2f} ms -> at most {2000 / cost:,.0f} scans/s "
        "if both cores ran nothing but the service"
    )


if __name__ == "__main__":
    main()

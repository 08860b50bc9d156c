"""Propagation: with 500 gates long-polling the feed (wait=30), the time from a scan at one
gate until every gate has it.

One client process runs 500 simulated gates with asyncio, each on its own keep-alive
connection, each looping `GET /api/v1/sync/changes?since=CURSOR&wait=30`. Once every gate
is parked in a long poll, the Main gate scans a fresh ticket online; the round ends when
all 500 gates have received that passage. `--rounds` bounded rounds; a gate that has not
seen it after `--timeout` seconds counts as a miss.

    python bench/propagation.py --backend sqlite|postgres [--workers 2] [--size 500] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field

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
    median,
    percentile,
    profiled,
    report,
    server_group,
    verdict,
)

TARGET_P99_SECONDS = 5.0
GATE = "Main gate"


class Change(msgspec.Struct):
    kind: str
    key: str


class Page(msgspec.Struct):
    cursor: int
    more: bool
    changes: list[Change]


@dataclass
class Fleet:
    """The simulated gates: who is parked in a long poll, and when each saw each nonce."""

    size: int
    parked: int = 0
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    complete: dict[str, asyncio.Event] = field(default_factory=dict)
    errors: int = 0
    all_parked: asyncio.Event = field(default_factory=asyncio.Event)

    def park(self, delta: int) -> None:
        self.parked += delta
        if self.parked == self.size:
            self.all_parked.set()
        else:
            self.all_parked.clear()

    def expect(self, nonce: str) -> asyncio.Event:
        self.arrivals[nonce] = []
        self.complete[nonce] = asyncio.Event()
        return self.complete[nonce]

    def saw(self, nonce: str, at: float) -> None:
        seen = self.arrivals.get(nonce)
        if seen is not None:
            seen.append(at)
            if len(seen) == self.size:
                self.complete[nonce].set()


async def catch_up(connection: RawHttp) -> int:
    cursor, more = 0, True
    while more:
        status, body = await connection.request("GET", f"/api/v1/sync/changes?since={cursor}&limit=10000")
        if status != 200:
            raise RuntimeError(f"feed answered {status}: {body[:200]!r}")
        page = msgspec.json.decode(body, type=Page)
        cursor, more = page.cursor, page.more
    return cursor


async def gate_loop(connection: RawHttp, fleet: Fleet, wait: int) -> None:
    decoder = msgspec.json.Decoder(Page)
    cursor = await catch_up(connection)
    while True:
        fleet.park(+1)
        try:
            status, body = await connection.request(
                "GET", f"/api/v1/sync/changes?since={cursor}&limit=1000&wait={wait}"
            )
        finally:
            fleet.park(-1)
        now = time.perf_counter()
        if status != 200:
            fleet.errors += 1
            await asyncio.sleep(1.0)
            continue
        page = decoder.decode(body)
        cursor = page.cursor
        for change in page.changes:
            if change.kind == "passage":
                fleet.saw(change.key, now)


async def settle(fleet: Fleet) -> None:
    """Until every gate is parked in a long poll (and its request has reached the server)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(30):
            await fleet.all_parked.wait()
    await asyncio.sleep(0.3)


async def one_round(scanner: RawHttp, fleet: Fleet, code: str, patience: float) -> list[float]:
    nonce = f"bench-{uuid.uuid4().hex}"
    done = fleet.expect(nonce)
    body = json.dumps({"code": code, "gate": GATE, "nonce": nonce}).encode()
    sent = time.perf_counter()
    status, answer = await scanner.request("POST", "/api/v1/scans", body)
    if status != 200 or b'"verdict":"admit"' not in answer:
        raise RuntimeError(f"scan answered {status}: {answer[:200]!r}")
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(patience):
            await done.wait()
    delays = [at - sent for at in fleet.arrivals.pop(nonce)]
    return delays + [float("inf")] * (fleet.size - len(delays))


@dataclass
class Outcome:
    rounds: list[float]  # seconds until every gate had the scan, per round
    per_gate: list[float]  # seconds until each gate had it, all rounds pooled
    errors: int


async def run_fleet(url: str, tokens: list[str], codes: list[str], args: argparse.Namespace) -> Outcome:
    fleet = Fleet(args.size)
    connections = [await RawHttp.open(url, tokens[i % len(tokens)]) for i in range(args.size)]
    scanner = await RawHttp.open(url, tokens[0])
    tasks = [asyncio.create_task(gate_loop(c, fleet, args.wait)) for c in connections]
    rounds: list[float] = []
    per_gate: list[float] = []
    try:
        for i, code in enumerate(codes):
            await settle(fleet)
            delays = await one_round(scanner, fleet, code, args.timeout)
            rounds.append(max(delays))
            per_gate += delays
            console.print(f"[dim]round {i + 1}: every gate after {rounds[-1]:.3f} s[/]")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connection in [*connections, scanner]:
            await connection.close()
    return Outcome(rounds, per_gate, fleet.errors)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], size=500, runs=1, rounds=30, wait=30, timeout=35.0)
    header("propagation", args)
    with bench_venue(args, "propagation") as venue:
        codes = [t.code for t in asyncio.run(issue_in_process(venue, "Day ticket", args.rounds))]
        tokens = list(venue.gate_tokens.values())
        with live_server(venue, args.workers) as server, profiled(server, args.profile):
            meter = CpuMeter(server_group(server))
            meter.start()
            outcome = asyncio.run(run_fleet(server.url, tokens, codes, args))
            meter.stop()
    conclude(args, outcome, meter)


def conclude(args: argparse.Namespace, outcome: Outcome, meter: CpuMeter) -> None:
    rounds_ms = [s * 1000 for s in outcome.rounds]
    run = RunResult(
        label=f"{len(outcome.rounds)} rounds",
        value=median(outcome.rounds),
        latencies_ms=rounds_ms,
        cores=meter.cores(),
        notes=(
            f"per gate: p50 {percentile(outcome.per_gate, 50):.3f} s, p99 {percentile(outcome.per_gate, 99):.3f} s;"
            f" {sum(d == float('inf') for d in outcome.per_gate)} misses, {outcome.errors} poll errors"
        ),
    )
    title = (
        f"Propagation on {args.backend}: {args.size} gates long-polling (wait={args.wait}), "
        "seconds until every gate has a scan (p50/p99 over rounds, ms)"
    )
    report(title, "median s", [run])
    p99 = percentile(outcome.rounds, 99)
    verdict("propagation", f"p99 {p99:.2f} s", f"p99 < {TARGET_P99_SECONDS:.0f} s", p99 < TARGET_P99_SECONDS)


if __name__ == "__main__":
    main()

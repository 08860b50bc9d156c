"""Gate-to-gate propagation through a venue hub: the time from an online scan at one gate until
another gate's store holds the passage, both gates on the hub (`admission serve --upstream`),
the central service behind it. Also how long the hub takes to have the passages registered
centrally once the link is back.

Real processes: the central service and the hub on loopback ports, two gates enrolled with the
server list hub-then-central, each an engine in this process with its background loops running
(the receiving gate long-polls the hub's feed as it would at a venue). The hub starts from an
empty SQLite database in its own folder and reads the central feed first (docs/hub.md), whatever
the central service's backend.

    python bench/hub.py [--size 30 scans per run] [--runs 3]
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import msgspec
from common import arguments, bench_venue, console

from admission.demo import DemoVenue
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings, open_store
from tests.scanner_client.live_support import cli, server_scans
from tests.support.live_server import LiveServer


def make_hub(central: LiveServer, venue: DemoVenue, folder: Path) -> LiveServer:
    with central.client(venue.admin_token) as admin:
        token = admin.post("/api/v1/devices", json={"name": "hub-bench", "role": "hub"}).json()["token"]
    folder.mkdir(parents=True, exist_ok=True)
    hub_venue = msgspec.structs.replace(
        venue, data_dir=str(folder), database_url=f"sqlite+aiosqlite:///{folder / 'hub.db'}"
    )
    return LiveServer(hub_venue, extra=("--upstream", central.url, "--token", token))


def enroll(data: Path, servers: list[str], venue: DemoVenue, gate: str) -> None:
    args = [arg for url in servers for arg in ("--server", url)]
    done = cli(data, "enroll", *args, "--token", venue.gate_tokens[gate], "--gate", gate)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)


def engine_at(data: Path) -> GateEngine:
    store = open_store(data)
    settings = Settings.load(store)
    remote = GateRemote(settings.server_url, settings.token, scan_timeout=settings.scan_timeout)
    return GateEngine(store, settings, remote)


async def measure(sender: GateEngine, receiver: GateEngine, tickets: list[tuple[str, int]]) -> list[float]:
    loops = [asyncio.create_task(engine.run()) for engine in (sender, receiver)]
    delays: list[float] = []
    try:
        await asyncio.sleep(1.0)  # the receiver parks in its long poll
        for number, serial in tickets:
            started = time.perf_counter()
            outcome = await sender.scan(number)
            sender.mark_shown(outcome.nonce)
            if outcome.mode != "online":
                raise RuntimeError(f"the scan was decided {outcome.mode}, not by the hub")
            while not receiver.store.admitted_passages(serial):
                if time.perf_counter() - started > 30:
                    raise RuntimeError("the passage did not reach the other gate in 30 s")
                await asyncio.sleep(0.002)
            delays.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    return delays


def main() -> None:
    args = arguments("gate-to-gate propagation through a venue hub", size=30, runs=3)
    runs: list[float] = []
    per_scan: list[float] = []
    forwarded: list[float] = []
    for run in range(args.runs):
        with bench_venue(args, f"hub{run}", tickets_per_template=args.size) as venue:
            central = LiveServer(venue)
            central.start(timeout=60)
            folder = Path(tempfile.mkdtemp(prefix="bench-hub-"))
            hub = make_hub(central, venue, folder / "hub")
            hub.start(timeout=60)
            try:
                for gate, name in (("Main gate", "a"), ("North gate", "b")):
                    enroll(folder / name, [hub.url, central.url], venue, gate)
                sender, receiver = engine_at(folder / "a"), engine_at(folder / "b")
                tickets = [(t.number, int(t.serial)) for t in venue.tickets if t.template == "Day ticket"]
                numbers = tickets[: args.size]
                delays = asyncio.run(measure(sender, receiver, numbers))
                runs.append(statistics.median(delays))
                per_scan.extend(delays)
                started = time.perf_counter()
                while len(server_scans(venue)) < len(numbers):
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("the hub did not forward every passage in 60 s")
                    time.sleep(0.05)
                forwarded.append(time.perf_counter() - started)
                for engine in (sender, receiver):
                    engine.store.close()
                console.print(
                    f"run {run + 1}: median {statistics.median(delays) * 1000:.1f} ms, "
                    f"max {max(delays) * 1000:.1f} ms over {len(delays)} scans"
                )
            finally:
                hub.stop()
                central.stop()
                shutil.rmtree(folder, ignore_errors=True)
    ordered = sorted(per_scan)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    console.print(
        f"[bold]gate-to-gate through the hub: median {statistics.median(runs) * 1000:.1f} ms[/] "
        f"(median of {len(runs)} runs; all scans p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms)"
    )
    console.print(f"all of a run's passages registered centrally within {max(forwarded):.2f} s of its last scan")


if __name__ == "__main__":
    main()

"""Gate-to-gate propagation through a venue hub: the time from an online scan at one gate until
another gate's store holds the passage, both gates on the hub (`admission serve --upstream`),
the central service behind it. Sale-to-gate propagation: the time from a till starting a sale
through the hub (signed at the till, recorded by the hub) until a gate's store holds its ticket.
Also how long the hub takes to have the passages and sales registered centrally.

Real processes: the central service and the hub on loopback ports, two gates enrolled with the
server list hub-then-central, each an engine in this process with its background loops running
(the receiving gate long-polls the hub's feed as it would at a venue), and a till enrolled at
the centre before the hub started, then listing the hub first. The hub starts from an empty
SQLite database in its own folder and reads the central feed first (docs/hub.md), whatever the
central service's backend.

    python bench/hub.py [--size 30 scans and sales per run] [--runs 3]
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import statistics
import tempfile
import time
from contextlib import closing
from pathlib import Path

import msgspec
from common import arguments, bench_venue, console

from admission.demo import DemoVenue
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings, open_store
from scanner_client.till.enroll import KEY_FILE, enroll_box_office, load_key
from scanner_client.till.remote import BoxOfficeRemote
from scanner_client.till.sale import CartLine
from scanner_client.till.store import open_till_store
from scanner_client.till.till import Till
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


async def enroll_till(data: Path, central: str, venue: DemoVenue) -> None:
    store = open_till_store(data)
    try:
        await enroll_box_office(data, store, server_url=central, token=venue.box_office_token, name=None)
    finally:
        store.close()


def till_at(data: Path, servers: list[str]) -> Till:
    store = open_till_store(data)
    assert store.token
    return Till(store, BoxOfficeRemote(servers, store.token), load_key(data / KEY_FILE), data / "out")


async def measure_sales(till: Till, receiver: GateEngine, count: int) -> list[float]:
    """Sale start to the ticket in the other gate's store, one sale after another."""
    loop = asyncio.create_task(receiver.run())
    delays: list[float] = []
    try:
        await till.probe()
        if not till.through_hub:
            raise RuntimeError("the till does not sell through the hub")
        (day,) = [t for t in till.find("100") if t.plu == "100"]
        await asyncio.sleep(1.0)  # the receiver parks in its long poll
        for _ in range(count):
            known = receiver.store.ticket_count()
            started = time.perf_counter()
            sale = asyncio.create_task(
                till.sell(
                    [CartLine(template=day, quantity=1)],
                    PaymentIn(method=PaymentMethod.CASH, amount_cents=2500),
                )
            )
            while receiver.store.ticket_count() == known:  # the ticket is known before it is printed
                if time.perf_counter() - started > 30:
                    raise RuntimeError("the sold ticket did not reach the gate in 30 s")
                await asyncio.sleep(0.002)
            delays.append(time.perf_counter() - started)
            if not (await sale).through_hub:
                raise RuntimeError("the sale was not acknowledged by the hub")
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        if till.remote is not None:
            await till.remote.aclose()
    return delays


async def measure_both(
    sender: GateEngine, receiver: GateEngine, tickets: list[tuple[str, int]], till: Till, sales: int
) -> tuple[list[float], list[float]]:
    """Scans then sales, in one event loop (the engines' events belong to the loop they first ran in)."""
    return await measure(sender, receiver, tickets), await measure_sales(till, receiver, sales)


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
    sale_runs: list[float] = []
    per_sale: list[float] = []
    forwarded: list[float] = []
    for run in range(args.runs):
        with bench_venue(args, f"hub{run}", tickets_per_template=args.size) as venue:
            central = LiveServer(venue)
            central.start(timeout=60)
            folder = Path(tempfile.mkdtemp(prefix="bench-hub-"))
            asyncio.run(enroll_till(folder / "till", central.url, venue))
            hub = make_hub(central, venue, folder / "hub")
            hub.start(timeout=60)
            try:
                for gate, name in (("Main gate", "a"), ("North gate", "b")):
                    enroll(folder / name, [hub.url, central.url], venue, gate)
                sender, receiver = engine_at(folder / "a"), engine_at(folder / "b")
                tickets = [(t.number, int(t.serial)) for t in venue.tickets if t.template == "Day ticket"]
                numbers = tickets[: args.size]
                till = till_at(folder / "till", [hub.url, central.url])
                delays, sales = asyncio.run(measure_both(sender, receiver, numbers, till, args.size))
                till.store.close()
                runs.append(statistics.median(delays))
                per_scan.extend(delays)
                sale_runs.append(statistics.median(sales))
                per_sale.extend(sales)
                started = time.perf_counter()
                while len(server_scans(venue)) < len(numbers) or central_sales(venue) < len(sales):
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("the hub did not forward every passage and sale in 60 s")
                    time.sleep(0.05)
                forwarded.append(time.perf_counter() - started)
                for engine in (sender, receiver):
                    engine.store.close()
                console.print(
                    f"run {run + 1}: scans median {statistics.median(delays) * 1000:.1f} ms, "
                    f"max {max(delays) * 1000:.1f} ms over {len(delays)}; sales median "
                    f"{statistics.median(sales) * 1000:.1f} ms, max {max(sales) * 1000:.1f} ms over {len(sales)}"
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
    ordered_sales = sorted(per_sale)
    console.print(
        f"[bold]sale-to-gate through the hub: median {statistics.median(sale_runs) * 1000:.1f} ms[/] "
        f"(median of {len(sale_runs)} runs; all sales p95 "
        f"{ordered_sales[int(0.95 * (len(ordered_sales) - 1))] * 1000:.1f} ms, max {ordered_sales[-1] * 1000:.1f} ms)"
    )
    console.print(
        f"all of a run's passages and sales registered centrally within {max(forwarded):.2f} s of its last sale"
    )


def central_sales(venue: DemoVenue) -> int:
    """The sales the central service holds (the demo seeds none)."""
    with closing(sqlite3.connect(venue.database_url.split("///", 1)[1])) as db:
        return int(db.execute("SELECT count(*) FROM sales").fetchone()[0])


if __name__ == "__main__":
    main()

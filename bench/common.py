"""Shared helpers for the benchmarks in bench/.

Every benchmark seeds its own venue (a SQLite file in a temporary folder, or a PostgreSQL
database of its own that is dropped afterwards), issues the tickets it needs in-process
through the service layer, starts a real `admission serve` process on a loopback port and
measures it over HTTP. CPU use is sampled from /proc so each figure comes with the load that
was on the machine while it was measured (the box has 2 cores and other people use it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `tests.support` lives beside the package, not inside it
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from admission.demo import DemoVenue
    from tests.support.live_server import LiveServer

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
console = Console(highlight=False, width=150)


# ------------------------------------------------------------------ arguments ---------


def arguments(description: str, size: int, runs: int, **extra: Any) -> argparse.Namespace:
    """The common flags; `extra` adds `--name default` integer/float flags."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="service worker processes")
    parser.add_argument("--size", type=int, default=size, help="work per measured run")
    parser.add_argument("--runs", type=int, default=runs, help="measured runs (the median is reported)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database and data folder")
    parser.add_argument("--profile", metavar="FILE", help="py-spy the server's measured runs into FILE")
    for name, default in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return parser.parse_args()


# ------------------------------------------------------------------ venue -------------


@contextmanager
def bench_venue(args: argparse.Namespace, name: str, tickets_per_template: int = 5) -> Iterator[DemoVenue]:
    """A freshly seeded demo venue on the chosen backend, removed afterwards."""
    from admission.demo import seed_demo

    folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    database = f"bench_admission_{name}"
    url = _database_url(args, folder, database)
    try:
        console.print(f"[dim]seeding a demo venue in {url.split('@')[-1]}[/]")
        yield asyncio.run(seed_demo(url, folder, tickets_per_template))
    finally:
        if args.keep:
            console.print(f"[dim]kept {folder} and {url}[/]")
        else:
            if args.backend == "postgres":
                asyncio.run(_pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            shutil.rmtree(folder, ignore_errors=True)


def _database_url(args: argparse.Namespace, folder: Path, database: str) -> str:
    if args.backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'admission.db'}"
    asyncio.run(_pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    asyncio.run(_pg_admin(args.pg_url, f'CREATE DATABASE "{database}"'))
    from sqlalchemy.engine import make_url

    return make_url(args.pg_url).set(database=database).render_as_string(hide_password=False)


async def _pg_admin(url: str, statement: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class IssuedTicket:
    number: str
    code: str


async def issue_in_process(
    venue: DemoVenue,
    template: str,
    count: int,
    progress: Callable[[int], None] | None = None,
) -> list[IssuedTicket]:
    """Issue `count` tickets of an entry template through the service layer (setup speed)."""
    from sqlalchemy import select

    from admission.contract import MAX_ISSUE, IssueRequest
    from admission.db.engine import Database
    from admission.db.models import Template, Venue
    from admission.services import tickets
    from admission.services.keys import KeyRing

    db = Database(venue.database_url)
    issued: list[IssuedTicket] = []
    try:
        async with db.read_session() as session:
            ring = await KeyRing.load(session, Path(venue.data_dir))
            template_id = await session.scalar(select(Template.id).where(Template.name == template))
            venue_row = await session.get(Venue, 1)
        assert template_id is not None and venue_row is not None
        tz = ZoneInfo(venue_row.timezone)
        while len(issued) < count:
            chunk = min(MAX_ISSUE, count - len(issued))
            async with db.session() as session:
                request = IssueRequest(template_id=template_id, count=chunk)
                batch = await tickets.issue_tickets(session, ring, tz, request)
            issued += [IssuedTicket(number=t.number or "", code=t.code) for t in batch]
            if progress:
                progress(len(issued))
    finally:
        await db.dispose()
    return issued


async def template_id(venue: DemoVenue, name: str) -> int:
    from sqlalchemy import select

    from admission.db.engine import Database
    from admission.db.models import Template

    db = Database(venue.database_url)
    try:
        async with db.read_session() as session:
            found = await session.scalar(select(Template.id).where(Template.name == name))
    finally:
        await db.dispose()
    assert found is not None, name
    return int(found)


# ------------------------------------------------------------------ server ------------


@contextmanager
def live_server(venue: DemoVenue, workers: int) -> Iterator[LiveServer]:
    from tests.support.live_server import LiveServer

    server = LiveServer(venue, workers=workers)
    server.start(timeout=60)
    try:
        console.print(f"[dim]server: {server.url}, {workers} worker(s), log {server.log}[/]")
        yield server
    finally:
        server.stop()


@contextmanager
def profiled(server: LiveServer, path: str | None) -> Iterator[None]:
    """Sample the server's workers with py-spy while the block runs: collapsed stacks of the
    threads holding the GIL, i.e. where the workers' Python CPU time goes."""
    if not path:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "--pid", str(server_group(server)), "--subprocesses"]
    command += ["--gil", "--rate", "250", "--format", "raw", "--output", path]
    spy_process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        yield
    finally:
        spy_process.send_signal(signal.SIGINT)
        spy_process.wait(timeout=60)
        console.print(f"[dim]profile written to {path}[/]")


class RawHttp:
    """A minimal HTTP/1.1 keep-alive connection, for clients that must cost the box little CPU.

    It sends one request at a time and reads a Content-Length framed answer: enough for this
    service (Litestar always frames its answers), far cheaper than a general client.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        self.reader, self.writer, self.head = reader, writer, head

    @classmethod
    async def open(cls, url: str, token: str) -> RawHttp:
        host, _, port = url.removeprefix("http://").partition(":")
        reader, writer = await asyncio.open_connection(host, int(port or 80))
        head = f"Host: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        return cls(reader, writer, head.encode())

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        line = f"{method} {path} HTTP/1.1\r\n".encode()
        self.writer.write(b"%s%sContent-Length: %d\r\n\r\n%s" % (line, self.head, len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        marker = head.lower().find(b"content-length:")
        if marker < 0:
            raise RuntimeError(f"unframed answer: {head[:200]!r}")
        length = int(head[marker + 15 : head.index(b"\r\n", marker)])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def utc_now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ CPU accounting ----


def _process_stats() -> Iterator[tuple[int, str, int, float]]:
    """(pid, comm, process group, CPU seconds) of every process we can read."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        yield int(entry.name), comm, int(rest[2]), (int(rest[11]) + int(rest[12])) / CLOCK_TICKS


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    at: float
    server: dict[int, float]  # pid -> CPU seconds
    postgres: dict[int, float]
    client: float
    busy: float
    total: float


def _grown(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent in between by the processes alive at the end (new ones count whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@dataclass
class CpuMeter:
    """CPU seconds spent by the server process group, PostgreSQL, the benchmark's own client
    processes and everything else on the machine, between `start()` and `stop()`."""

    server_group: int
    extra_client_seconds: float = 0.0
    start_snapshot: CpuSnapshot | None = None
    end_snapshot: CpuSnapshot | None = None

    def snapshot(self) -> CpuSnapshot:
        server: dict[int, float] = {}
        postgres: dict[int, float] = {}
        for pid, comm, group, seconds in _process_stats():
            if group == self.server_group:
                server[pid] = seconds
            elif comm.startswith("postgres"):
                postgres[pid] = seconds
        busy, total = _machine_busy()
        return CpuSnapshot(time.perf_counter(), server, postgres, time.process_time(), busy, total)

    def start(self) -> None:
        self.start_snapshot = self.snapshot()

    def stop(self) -> None:
        self.end_snapshot = self.snapshot()

    def cores(self) -> dict[str, float]:
        """Average cores in use per consumer over the interval (2.0 = the whole box)."""
        a, b = self.start_snapshot, self.end_snapshot
        assert a is not None and b is not None
        wall = max(b.at - a.at, 1e-9)
        ncpu = os.cpu_count() or 1
        machine = (b.busy - a.busy) / max(b.total - a.total, 1e-9) * ncpu
        server = _grown(a.server, b.server) / wall
        postgres = _grown(a.postgres, b.postgres) / wall
        client = (b.client - a.client + self.extra_client_seconds) / wall
        other = max(machine - server - postgres - client, 0.0)
        return {"server": server, "postgres": postgres, "client": client, "other": other, "machine": machine}


def server_group(server: LiveServer) -> int:
    assert server.process is not None
    return server.process.pid  # started with start_new_session: its pid is the group id


# ------------------------------------------------------------------ statistics --------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class RunResult:
    """One measured run: its headline rate or time, latencies and the CPU split."""

    label: str
    value: float
    latencies_ms: list[float] = field(default_factory=list)
    cores: dict[str, float] = field(default_factory=dict)
    notes: str = ""

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


# ------------------------------------------------------------------ reporting ---------


def machine_notes() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, load average {load}"


def report(
    title: str,
    unit: str,
    runs: Sequence[RunResult],
    *,
    latency: bool = True,
    higher_is_better: bool = True,
) -> float:
    """Print one row per run and the medians; return the median headline value."""
    table = Table(title=title, title_justify="left")
    table.add_column("run")
    table.add_column(unit, justify="right")
    if latency:
        table.add_column("p50 ms", justify="right")
        table.add_column("p99 ms", justify="right")
    for consumer in ("server", "postgres", "client", "other"):
        table.add_column(f"{consumer} cores", justify="right")
    table.add_column("notes")
    for run in runs:
        table.add_row(*_row(run, latency))
    summary = RunResult(
        label="[bold]median[/]",
        value=median([r.value for r in runs]),
        cores={
            k: median([r.cores.get(k, 0.0) for r in runs]) for k in ("server", "postgres", "client", "other")
        },
    )
    table.add_section()
    cells = _row(summary, latency=False)
    if latency:
        cells[2:2] = [f"{median([r.p50 for r in runs]):.1f}", f"{median([r.p99 for r in runs]):.1f}"]
    table.add_row(*cells)
    console.print(table)
    return summary.value


def _row(run: RunResult, latency: bool) -> list[str]:
    cells = [run.label, _fmt(run.value)]
    if latency:
        cells += [f"{run.p50:.1f}", f"{run.p99:.1f}"]
    cells += [f"{run.cores.get(k, 0.0):.2f}" for k in ("server", "postgres", "client", "other")]
    return [*cells, run.notes]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def verdict(name: str, measured: str, target: str, met: bool) -> None:
    colour = "green" if met else "red"
    console.print(
        f"[bold]{name}[/]: {measured} (target {target}) -> [{colour}]{'met' if met else 'MISSED'}[/]"
    )


def header(name: str, args: argparse.Namespace) -> None:
    console.rule(f"[bold]{name}[/] on {args.backend}, {args.workers} worker(s)")
    console.print(f"[dim]{machine_notes()}[/]")

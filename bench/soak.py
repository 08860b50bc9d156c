"""Soak: the whole system under faults for a while, then a count of what was lost or doubled.

For `--minutes` (default 10; `--seconds` for short runs) on SQLite or PostgreSQL this runs

- a real `admission serve --workers 2` on a loopback port, with a demo venue;
- a fault-injecting TCP proxy (`soak_proxy.py`) with one link per client: requests and answers
  dropped or delayed 0.1-3 s at random, and offline periods (blackholes and refusals) on every
  link, so every gate goes offline and comes back several times;
- 3 gates as real `scanner-client gate --headless` processes (enrolled with the demo's gate
  tokens), fed scans on their stdin: single-entry, multi-entry, re-entry and event tickets, exits
  (the North gate turns around now and then), tickets the box office just sold, garbage;
- a box office posting sales over the HTTP API with the till's nonce discipline (the till has no
  headless sale command): online sales, offline sales signed with its own key while its link is
  down, posted oldest first under their nonces until acknowledged, and unanswered online
  attempts cancelled by nonce (refunded if they had reached the service);
- faults at random intervals: SIGKILL of a service worker, SIGKILL of the supervisor (then
  `serve` again), SIGKILL of a gate (restarted on the same store, in the middle of a burst of
  scans), an outage on all links, an outage that strikes one link mid-request.

Then it restores everything, lets the gates and the till sync until their queues are empty
(bounded), compares what every gate printed and the till saw acknowledged with the service's own
records (`soak_check.py`), prints the figures and exits 1 if anything was lost, doubled or left
queued (2 if the soak itself failed, 130 when interrupted). Every process it starts is stopped at
the end, on Ctrl-C and on errors too. With --keep the work folder stays: each gate's store, log
and printed verdicts (verdicts.jsonl), the till's journal, the service's log and events.log.

    .venv/bin/python bench/soak.py --backend sqlite|postgres [--minutes 10 | --seconds 60] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import msgspec
from common import DEFAULT_PG_URL, bench_venue, console, machine_notes, percentile
from rich.table import Table
from soak_check import (
    PassageCheck,
    SaleCheck,
    SaleRecord,
    api_disagreements,
    check_passages,
    check_sales,
    read_records,
)
from soak_proxy import Chaos, Link

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from admission.contract import TemplateData
    from admission.demo import DemoVenue

CLIENT = [sys.executable, "-m", "scanner_client.cli"]
ADMISSION = [sys.executable, "-m", "admission.cli"]
DEFAULT_GATES = "Main gate,North gate,Arena door"
TURNING_GATE = "North gate"  # scans exits now and then (restarted with the other direction)
BOX_OFFICE = "box office"
SUPERVISOR_PIN = "1357"
SALE_SECONDS = 8.0  # the till waits this long for an online sale (scanner_client's SALE_TIMEOUT)
STARTED_GROUPS: set[int] = set()  # process groups (each a session) this soak started


def now() -> float:
    return time.monotonic()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def kill_everything_started() -> None:
    """The last resort on any exit: every process group this soak started, SIGKILLed by id."""
    for group in sorted(STARTED_GROUPS):
        kill_group(group)
    STARTED_GROUPS.clear()


def client_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ADMISSION_SCANNER_DIR", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def run_cli(command: list[str], within: float) -> tuple[int, str, str]:
    """A one-shot CLI call, bounded in time (killed, with its group, when it overruns)."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        env=client_env(),
    )
    STARTED_GROUPS.add(process.pid)
    try:
        async with asyncio.timeout(within):
            out, err = await process.communicate()
    except BaseException:
        kill_group(process.pid)
        await process.wait()
        raise
    finally:
        STARTED_GROUPS.discard(process.pid)
    return int(process.returncode or 0), out.decode(errors="replace"), err.decode(errors="replace")


# ------------------------------------------------------------------ processes in /proc ----


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, process group) of a live process, None when it is gone (or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2])


def alive(pid: int) -> bool:
    return _stat(pid) is not None


def children(parent: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] == parent:
                found.append(int(entry.name))
    return found


def is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def listening_pids(port: int) -> set[int]:
    """Processes holding a listening TCP socket on 127.0.0.1:port (those this user may read)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[1].endswith(f":{port:04X}") and parts[3] == "0A":
                    inodes.add(f"socket:[{parts[9]}]")
    pids = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"/proc/{entry.name}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(fd.path) in inodes:
                        pids.add(int(entry.name))
                        break
    return pids


# ------------------------------------------------------------------ the service -----------


class ServiceExited(RuntimeError):
    pass


@dataclass
class KilledSupervisor:
    group: int
    workers: list[int]
    killed_at: float
    swept: bool = False


class Service:
    """`admission serve --workers N` as a process group of its own, killed and restarted at will."""

    def __init__(self, venue: DemoVenue, workers: int, folder: Path, orphan_grace: float) -> None:
        self.venue = venue
        self.workers = workers
        self.port = free_port()
        self.log = folder / "service.log"
        self.orphan_grace = orphan_grace
        self.process: asyncio.subprocess.Process | None = None
        self.killed: list[KilledSupervisor] = []
        self.findings: list[str] = []
        self.orphans_killed = 0
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        return [pid for pid in children(self.process.pid) if is_worker(pid)]

    async def start(self, within: float = 120.0) -> None:
        command = [
            *ADMISSION, "serve",
            "--database-url", self.venue.database_url,
            "--data-dir", self.venue.data_dir,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", str(self.workers),
            "--log-level", "warning",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            log.write(f"--- {datetime.now(UTC):%H:%M:%S} soak: serve\n".encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                *command, stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True
            )
        STARTED_GROUPS.add(self.process.pid)
        self.starts += 1
        deadline = now() + within
        async with httpx.AsyncClient(timeout=1.0) as client:
            while now() < deadline:
                if self.process.returncode is not None:
                    raise ServiceExited(self.log.read_text(errors="replace")[-1500:])
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/health")).status_code == 200 and self.worker_pids():
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the service did not answer within {within:.0f} s; see {self.log}")

    def kill_worker(self, rng: random.Random) -> int | None:
        workers = self.worker_pids()
        if not workers:
            return None
        victim = rng.choice(workers)
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        return victim

    async def kill_supervisor(self) -> None:
        assert self.process is not None
        workers = self.worker_pids()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()
        self.killed.append(KilledSupervisor(self.process.pid, workers, now()))
        self.process = None

    async def restart(self) -> None:
        """`serve` again. If it cannot start because workers of a killed supervisor still hold the
        port, wait up to the orphan grace, then kill those by the port's owner pids (a finding)."""
        began = now()
        while True:
            try:
                await self.start()
                return
            except ServiceExited as exc:
                holders = listening_pids(self.port)
                if not holders:
                    if now() - began > 60:
                        raise RuntimeError(f"serve keeps failing:\n{exc}") from exc
                elif now() - began >= self.orphan_grace:
                    ours = {pid for pid in holders if (_stat(pid) or (0, 0))[1] in self.stale_groups()}
                    strangers = holders - ours
                    if strangers:
                        raise RuntimeError(
                            f"another program listens on port {self.port}: {sorted(strangers)}"
                        ) from exc
                    self.findings.append(
                        f"serve could not start {now() - began:.0f} s after its supervisor was killed: "
                        f"workers {sorted(ours)} of the killed supervisor still held port {self.port}; killed them"
                    )
                    for pid in ours:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                        self.orphans_killed += 1
            await asyncio.sleep(1.0)

    def stale_groups(self) -> set[int]:
        return {k.group for k in self.killed}

    def sweep_orphans(self, force: bool = False) -> None:
        """Workers of a killed supervisor still alive after the grace: a finding; kill them."""
        for killed in self.killed:
            if killed.swept or (not force and now() - killed.killed_at < self.orphan_grace):
                continue
            killed.swept = True
            left = [pid for pid in killed.workers if alive(pid)]
            if left:
                serving = listening_pids(self.port) & set(left)
                self.findings.append(
                    f"workers {left} outlived their supervisor (SIGKILLed {now() - killed.killed_at:.0f} s before)"
                    + (
                        f", {sorted(serving)} still listening on port {self.port} beside the new service"
                        if serving
                        else ""
                    )
                    + "; killed them"
                )
                for pid in left:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    self.orphans_killed += 1

    async def stop(self, graceful: bool) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM if graceful else signal.SIGKILL)
            try:
                async with asyncio.timeout(45):
                    await process.wait()
            except TimeoutError:
                kill_group(process.pid)
                await process.wait()
        for group in [*self.stale_groups(), *([process.pid] if process else [])]:
            kill_group(group)  # orphans keep the killed supervisor's group


# ------------------------------------------------------------------ the codes scanned -----


@dataclass(frozen=True)
class Ticket:
    template: str
    number: str | None
    code: str


GARBAGE = ["garbage", "\x00\x01\x02", "1234567890123", "hello world", "]Q1", "https://example.org/t/"]


class CodePool:
    """What visitors hold: the demo's tickets, what the box office sold since, and noise."""

    def __init__(self, tickets: list[Ticket]) -> None:
        self.demo = tickets
        self.sold: list[Ticket] = []

    def add(self, ticket: Ticket) -> None:
        self.sold.append(ticket)

    def refs(self) -> list[str]:
        return [t.number or t.code for t in [*self.demo, *self.sold]]

    def pick(self, rng: random.Random, gate: str) -> str:
        draw = rng.random()
        if draw < 0.08:
            noise = rng.choice(GARBAGE)
            if noise == "]Q1" and self.demo:
                return "]Q1" + rng.choice(self.demo).code[:40]  # a code cut short
            return noise
        concert = ("Concert ticket", "Concert entry (fallback)")
        if gate.startswith("Arena") and rng.random() < 0.5:
            candidates = [t for t in [*self.demo, *self.sold[-100:]] if t.template in concert]
        elif self.sold and draw < 0.45:
            candidates = self.sold[-60:]
        else:
            candidates = self.demo
        ticket = rng.choice(candidates or self.demo)
        if ticket.number is None or rng.random() < 0.5:
            return ("]Q1" + ticket.code) if rng.random() < 0.1 else ticket.code
        return ticket.number


# ------------------------------------------------------------------ gates -----------------


class GateRunner:
    """One gate PC: a `scanner-client gate --headless` process on its own store, restarted at will."""

    def __init__(self, gate: str, token: str, folder: Path, link: Link, rng: random.Random) -> None:
        self.gate = gate
        self.token = token
        self.folder = folder
        self.link = link
        self.rng = rng
        self.device = ""
        self.process: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None
        self.shown: list[dict[str, Any]] = []
        self.lives = 0
        self.kills = 0
        self.rotations = 0
        self.sent = 0
        self.not_sent = 0
        self.cut_lines = 0
        self.direction = "in"
        self.turning = False  # restarted now and then with the other direction
        self.status: dict[str, str] = {}
        self.lock = asyncio.Lock()  # held while the gate is being killed, restarted or finished
        self.closing = False  # its input is closed: it takes no more scans
        self.crashes: list[str] = []  # exits nobody asked for

    async def enroll(self, service_url: str) -> None:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {self.token}"}, timeout=10) as client:
            self.device = (await client.get(f"{service_url}/api/v1/devices/me")).json()["name"]
        code, _, err = await run_cli(
            [*CLIENT, "--data-dir", str(self.folder), "enroll", "--server", self.link.url, "--token", self.token,
             "--gate", self.gate, "--supervisor-pin", SUPERVISOR_PIN],
            within=180,
        )  # fmt: skip
        if code != 0:
            raise RuntimeError(f"enrolling {self.gate} failed: {err[-500:]}")
        # Probe every second while offline, and long-poll for 10 s: a soak has short outages.
        code, _, err = await run_cli(
            [*CLIENT, "--data-dir", str(self.folder), "config", "--probe-interval", "1", "--feed-wait", "10"],
            within=60,
        )
        if code != 0:
            raise RuntimeError(f"configuring {self.gate} failed: {err[-500:]}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        if self.turning:
            self.direction = self.rng.choice(["in", "out"])
        self.lives += 1
        self.closing = False
        with (self.folder / "gate.stderr").open("ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                *CLIENT, "--data-dir", str(self.folder), "gate", "--headless",
                "--direction", self.direction, "--drain-seconds", "20",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
                start_new_session=True,
                env=client_env(),
            )  # fmt: skip
        STARTED_GROUPS.add(self.process.pid)
        self.reader = asyncio.create_task(self._read(self.process, self.lives))

    async def _read(self, process: asyncio.subprocess.Process, life: int) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:  # the last line of a killed process may be cut short
                self.cut_lines += 1
                continue
            self.record({**answer, "life": life, "shown_at": datetime.now(UTC).isoformat()})

    def record(self, answer: dict[str, Any]) -> None:
        """What the gate showed, kept in memory and in verdicts.jsonl beside its store."""
        self.shown.append(answer)
        with (self.folder / "verdicts.jsonl").open("a") as verdicts:
            verdicts.write(json.dumps(answer) + "\n")

    async def send(self, code: str) -> bool:
        process = self.process
        if process is None or process.returncode is not None or process.stdin is None or self.closing:
            self.not_sent += 1
            return False
        try:
            process.stdin.write(code.encode() + b"\n")
            async with asyncio.timeout(5):
                await process.stdin.drain()
        except (OSError, TimeoutError):  # killed meanwhile, or stuck: the scan is not made
            self.not_sent += 1
            return False
        self.sent += 1
        return True

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        await process.wait()
        STARTED_GROUPS.discard(process.pid)
        if self.reader is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await self.reader
        self.process = self.reader = None

    async def kill(self) -> None:
        process = self.process
        if process is None:
            return
        kill_group(process.pid)
        self.kills += 1
        await self._reap(process)

    async def finish(self, within: float = 90.0) -> None:
        """End of input: the gate answers what it has, tries to upload for its drain time, exits."""
        process = self.process
        if process is None:
            return
        self.closing = True
        if process.stdin is not None:
            process.stdin.close()
        try:
            async with asyncio.timeout(within):
                await process.wait()
        except TimeoutError:
            console.print(f"[red]{self.gate} did not exit {within:.0f} s after its input ended: killed[/]")
            kill_group(process.pid)
        await self._reap(process)

    async def rotate(self) -> None:
        """A gate PC restarted on purpose (the turning gate switches direction)."""
        async with self.lock:
            self.rotations += 1
            await self.finish()
            await self.start()

    async def crash_and_kill(self, pause: float) -> None:
        """SIGKILL, down for `pause` seconds, started again on the same store."""
        async with self.lock:
            await self.kill()
            await asyncio.sleep(pause)
            await self.start()

    async def revive(self) -> None:
        """A gate that exited by itself (nobody killed or stopped it) is a finding; start it again."""
        process = self.process
        if self.lock.locked() or process is None or process.returncode is None:
            return
        async with self.lock:
            tail = (self.folder / "gate.stderr").read_text(errors="replace")[-300:].strip()
            self.crashes.append(f"{self.gate} exited by itself with status {process.returncode}: {tail}")
            await self._reap(process)
            await self.start()

    async def sync_until_empty(self, deadline: float) -> int:
        """`scanner-client sync` until `status` says nothing is queued; the passages left."""
        left = -1
        while now() < deadline:
            with contextlib.suppress(TimeoutError):
                await run_cli([*CLIENT, "--data-dir", str(self.folder), "sync"], within=120)
            _, out, _ = await run_cli(
                [*CLIENT, "--data-dir", str(self.folder), "status", "--no-probe"], within=60
            )
            self.status = dict(
                re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in out.splitlines() if "  " in line
            )
            found = re.search(r"^unsynced\s+(\d+) passages", out, re.MULTILINE)
            left = int(found.group(1)) if found else -1
            if left == 0:
                return 0
            await asyncio.sleep(1.0)
        return left


# ------------------------------------------------------------------ the box office --------


class BoxOffice:
    """A till speaking the HTTP API with the till's nonce discipline.

    Every sale gets its nonce before its request leaves and is journaled. Online: a request that
    never connected is certainly not sold (the till sells offline instead); one whose answer was
    lost is `unknown` (the seller sells again, offline) and cancelled by its nonce once the service
    answers: refunded if it had been recorded, since nobody got its tickets, else refused should it
    still arrive. Offline: entry tickets signed
    with the till's own key (registered at start, so the gates know it), queued, and posted
    oldest first under their nonces until acknowledged.
    """

    def __init__(
        self, venue: DemoVenue, link: Link, rng: random.Random, pool: CodePool, folder: Path
    ) -> None:
        self.venue = venue
        self.link = link
        self.rng = rng
        self.pool = pool
        self.journal_file = folder / "till-journal.jsonl"
        self.device = ""
        self.install = f"{rng.getrandbits(32):08x}"
        self.counter = 0
        self.online = True
        self.journal: list[SaleRecord] = []
        self.templates: dict[str, TemplateData] = {}
        self.tz = ZoneInfo("UTC")
        self.key: Ed25519PrivateKey | None = None
        self.key_id = 0
        self.counts: Counter[str] = Counter()
        self.http = httpx.AsyncClient(
            base_url=f"{link.url}/api/v1",
            headers={"Authorization": f"Bearer {venue.box_office_token}"},
            timeout=httpx.Timeout(SALE_SECONDS, connect=2.0),
        )

    async def setup(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from admission.contract import TemplateData, VenueData
        from admission.domain.codes import public_hex

        self.device = (await self.http.get("/devices/me")).json()["name"]
        self.key = Ed25519PrivateKey.generate()
        registered = await self.http.post(
            "/sales/signing-key", json={"public_key": public_hex(self.key.public_key())}
        )
        registered.raise_for_status()
        self.key_id = int(registered.json()["key_id"])
        templates = msgspec.json.decode((await self.http.get("/templates")).content, type=list[TemplateData])
        self.templates = {t.name: t for t in templates}
        self.tz = ZoneInfo(
            msgspec.json.decode((await self.http.get("/venue")).content, type=VenueData).timezone
        )

    async def close(self) -> None:
        await self.http.aclose()

    def _nonce(self) -> str:
        self.counter += 1
        return f"{self.device}-{self.install}-{self.counter}"

    def _journal(self, sale: SaleRecord, state: str, problem: str | None = None) -> None:
        sale.state, sale.problem = state, problem
        with self.journal_file.open("a") as journal:
            journal.write(json.dumps({**asdict(sale), "at": datetime.now(UTC).isoformat()}) + "\n")

    async def _call(self, method: str, path: str, body: Any = None, limit: float = 6.0) -> httpx.Response:
        async with asyncio.timeout(limit):
            return await self.http.request(method, path, json=body)

    # ------------------------------------------------------------ selling ----------

    async def run(self, deadline: float) -> None:
        while now() < deadline:
            await asyncio.sleep(self.rng.uniform(0.5, 2.5))
            if not self.online:
                await self.probe_and_sync()
            if now() < deadline:
                await self.sell()

    async def sell(self) -> None:
        if self.online:
            await self._sell_online()
        else:
            self._sell_offline()

    async def _sell_online(self) -> None:
        name = self.rng.choice(["Day ticket", "10-visit card", "Weekend pass", "Concert ticket"])
        template, quantity = self.templates[name], self.rng.randint(1, 3)
        line: dict[str, Any] = {"template_id": template.id, "quantity": quantity}
        if name == "Concert ticket":
            line["event_id"] = self.venue.event_id
        total, nonce = template.price_cents * quantity, self._nonce()
        body = {"nonce": nonce, "lines": [line], "payment": {"method": "cash", "amount_cents": total}}
        sale = SaleRecord(
            nonce=nonce,
            mode="online",
            state="attempting",
            body=body,
            quantity=quantity,
            made_at=now(),
        )
        self.journal.append(sale)
        self._journal(sale, "attempting")
        try:
            response = await self._call("POST", "/sales", body, limit=SALE_SECONDS)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never left: not sold there
            self._journal(sale, "not_sold", type(exc).__name__)
            self._go_offline()
            self._sell_offline()
            return
        except (httpx.HTTPError, TimeoutError) as exc:
            self._journal(sale, "unknown", type(exc).__name__ or "timeout")
            self.counts["online sales unanswered"] += 1
            self._go_offline()
            self._sell_offline()  # the seller sells again; the attempt is checked later
            return
        if response.status_code >= 500:
            self._journal(sale, "unknown", f"HTTP {response.status_code}")
            self.counts["online sales unanswered"] += 1
            self._go_offline()
            self._sell_offline()
            return
        if response.status_code >= 400:
            self._journal(sale, "declined", response.text[:200])
            return
        self._acknowledged(sale, response)

    def _acknowledged(self, sale: SaleRecord, response: httpx.Response) -> None:
        answer = response.json()
        sale.sale_id = int(answer["id"])
        sale.acked_at = now()
        if response.status_code == 200:
            self.counts["re-sent after a lost answer"] += 1
        self._journal(sale, "acked")
        if sale.mode == "online":
            names = {t.id: t.name for t in self.templates.values()}
            for ticket in answer["tickets"]:
                self.pool.add(Ticket(names.get(ticket["template_id"], "?"), ticket["number"], ticket["code"]))

    def _sell_offline(self) -> None:
        from admission.domain.codes import SignedTicket, new_serial, sign_ticket
        from admission.domain.templates import stamp_validity

        assert self.key is not None
        name = self.rng.choice(["Day ticket", "10-visit card", "Weekend pass", "Concert entry (fallback)"])
        template, quantity = self.templates[name], self.rng.randint(1, 3)
        sold_at = datetime.now(UTC)
        valid_from, valid_until = stamp_validity(template.rules(), sold_at, self.tz)
        signed = [
            SignedTicket(
                key_id=self.key_id,
                serial=new_serial(),
                template_id=template.id,
                valid_from=valid_from,
                valid_until=valid_until,
            )
            for _ in range(quantity)
        ]
        codes = [sign_ticket(t, self.key) for t in signed]
        total, nonce = template.price_cents * quantity, self._nonce()
        body = {
            "nonce": nonce,
            "lines": [
                {"template_id": template.id, "quantity": quantity, "unit_price_cents": template.price_cents}
            ],
            "payment": {"method": "cash", "amount_cents": total},
            "sold_at": sold_at.isoformat(),
            "offline": True,
            "tickets": codes,
        }
        sale = SaleRecord(
            nonce=nonce, mode="offline", state="queued", body=body, quantity=quantity,
            made_at=now(), serials=[str(t.serial) for t in signed],
        )  # fmt: skip
        self.journal.append(sale)
        self._journal(sale, "queued")  # journaled before the tickets are handed out
        for code in codes:
            self.pool.add(Ticket(name, None, code))

    def _go_offline(self) -> None:
        if self.online:
            self.counts["went offline"] += 1
        self.online = False

    # ------------------------------------------------------------ syncing ----------

    def pending(self) -> list[SaleRecord]:
        return [s for s in self.journal if s.state in ("queued", "unknown", "attempting")]

    async def probe_and_sync(self) -> None:
        try:
            response = await self._call("GET", "/devices/me", limit=3.0)
        except (httpx.HTTPError, TimeoutError):
            return
        if response.status_code != 200:
            return
        self.online = True
        try:
            await self._settle_unknown()
            await self._post_queue()
        except (httpx.HTTPError, TimeoutError, ServiceTrouble):
            self._go_offline()

    async def _settle_unknown(self) -> None:
        for sale in [s for s in self.journal if s.state == "unknown"]:
            # Cancelled, not looked up: the request may still be on its way and would be recorded
            # after a look-up that found nothing; after the cancellation the service refuses it.
            response = await self._call("POST", f"/sales/by-nonce/{sale.nonce}/cancel")
            if response.status_code >= 400:
                raise ServiceTrouble(response.status_code)
            central = response.json()["sale"]
            if central is None:
                self.counts["unanswered sales cancelled"] += 1
                self._journal(sale, "not_sold", "never recorded; cancelled at the service")
                continue
            sale.sale_id = int(central["id"])
            if central["status"] != "refunded":
                refund = {"reason": "box office got no answer: tickets never handed out"}
                answer = await self._call("POST", f"/sales/{central['id']}/refund", refund)
                if answer.status_code >= 500:
                    raise ServiceTrouble(answer.status_code)
                if answer.status_code >= 400:
                    self._journal(sale, "refused", f"refund refused: {answer.text[:200]}")
                    continue
            self.counts["unanswered sales refunded"] += 1
            self._journal(sale, "voided", f"sale {central['id']} reached the service; refunded")

    async def _post_queue(self) -> None:
        for sale in [s for s in self.journal if s.state == "queued"]:
            response = await self._call("POST", "/sales", sale.body, limit=30.0)
            if response.status_code >= 500:
                raise ServiceTrouble(response.status_code)
            if response.status_code >= 400:
                self._journal(sale, "refused", response.text[:300])
                continue
            self._acknowledged(sale, response)

    async def settle(self, deadline: float) -> None:
        while self.pending() and now() < deadline:
            self.online = False
            await self.probe_and_sync()
            if self.pending():
                await asyncio.sleep(1.0)


class ServiceTrouble(Exception):
    pass


# ------------------------------------------------------------------ the soak --------------


@dataclass
class Soak:
    args: argparse.Namespace
    venue: DemoVenue
    folder: Path
    rng: random.Random
    service: Service
    links: dict[str, Link] = field(default_factory=dict)
    gates: list[GateRunner] = field(default_factory=list)
    till: BoxOffice | None = None
    pool: CodePool | None = None
    faults: Counter[str] = field(default_factory=Counter)
    cycles: int = 0
    started: float = 0.0
    chaos_seconds: float = 0.0
    settle_seconds: float = 0.0
    events: list[tuple[str, str]] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.events.append((datetime.now(UTC).isoformat(timespec="milliseconds"), what))

    def write_events(self) -> None:
        """Faults and offline periods in time order (events.log), for the post-mortem."""
        merged = [
            *self.events,
            *((at, f"{name}: {what}") for name, link in self.links.items() for at, what in link.events),
        ]
        (self.folder / "events.log").write_text("".join(f"{at} {what}\n" for at, what in sorted(merged)))


async def fault_loop(soak: Soak, deadline: float) -> None:
    rng, service = soak.rng, soak.service
    kinds, weights = list(soak.args.weights), list(soak.args.weights.values())
    first_round = [kind for kind, weight in soak.args.weights.items() if weight > 0]
    rng.shuffle(first_round)  # every kind once, in random order, then as the weights say
    while True:
        await asyncio.sleep(
            min(rng.uniform(soak.args.fault_min, soak.args.fault_max), max(deadline - now(), 0))
        )
        if now() >= deadline - 2:
            return
        soak.cycles += 1
        kind = first_round.pop() if first_round else rng.choices(kinds, weights)[0]
        if kind == "worker":
            if pid := service.kill_worker(rng):
                soak.faults["SIGKILL service worker"] += 1
                soak.note(f"SIGKILL service worker {pid}")
        elif kind == "supervisor":
            soak.note(f"SIGKILL supervisor {service.process.pid if service.process else '?'}")
            await service.kill_supervisor()
            soak.faults["SIGKILL supervisor"] += 1
            await asyncio.sleep(rng.uniform(0.0, 3.0))
            await service.restart()
            soak.note(f"serve again: supervisor {service.process.pid if service.process else '?'}")
        elif kind == "gate":  # in the middle of a burst of scans, so some are in flight
            soak.faults["SIGKILL gate"] += 1
            gate = rng.choice(soak.gates)
            assert soak.pool is not None
            for _ in range(rng.randint(1, 5)):
                await gate.send(soak.pool.pick(rng, gate.gate))
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            soak.note(f"SIGKILL {gate.gate} (pid {gate.process.pid if gate.process else '?'})")
            await gate.crash_and_kill(rng.uniform(0.0, 2.0))
            soak.note(f"{gate.gate} started again on its store")
        elif kind == "midrequest":  # longer than a till waits for a sale, let alone a gate for a scan
            soak.faults["outage mid-request"] += 1
            link = rng.choice(list(soak.links.values()))
            link.arm(rng.uniform(SALE_SECONDS + 1, 20.0))
            soak.note(f"{link.name}: armed an outage for its next request")
        elif kind == "outage":
            seconds = min(rng.uniform(2.0, 8.0), max(deadline - now(), 0.5))
            soak.faults["network outage, all links"] += 1
            soak.note(f"network outage on all links for {seconds:.1f} s")
            await asyncio.gather(*(link.blackhole(seconds) for link in soak.links.values()))
        else:
            gate = next(g for g in soak.gates if g.turning)
            soak.note(f"{gate.gate}: restarted to turn around")
            await gate.rotate()
        service.sweep_orphans()


async def offline_loop(soak: Soak, link: Link, deadline: float) -> None:
    """This link's own offline periods: up 5-15 s, then down (blackhole or refusal) for 2-8 s, or
    one time in four for 8-25 s: longer than any client waits for an answer."""
    rng = random.Random(soak.rng.random())
    await asyncio.sleep(rng.uniform(1.0, 6.0))
    while now() < deadline - 3:
        seconds = min(
            rng.uniform(8.0, 25.0) if rng.random() < 0.25 else rng.uniform(2.0, 8.0), deadline - now()
        )
        if rng.random() < 0.7:
            await link.blackhole(seconds)
        else:
            await link.refuse(seconds)
        await asyncio.sleep(min(rng.uniform(5.0, 15.0), max(deadline - now(), 0)))


async def feed_loop(soak: Soak, gate: GateRunner, deadline: float) -> None:
    rng = random.Random(soak.rng.random())
    assert soak.pool is not None
    while True:
        await asyncio.sleep(min(rng.expovariate(soak.args.rate), max(deadline - now(), 0)))
        if now() >= deadline:
            return
        await gate.revive()
        await gate.send(soak.pool.pick(rng, gate.gate))


async def run_soak(soak: Soak) -> dict[str, Any]:
    args, rng, service = soak.args, soak.rng, soak.service
    console.print(f"[dim]service on {service.url}, log {service.log}[/]")
    unknown = [g for g in args.gates.split(",") if g not in soak.venue.gate_tokens]
    if unknown or not args.gates:
        raise SystemExit(f"the demo venue's gates are {', '.join(soak.venue.gate_tokens)}, not {unknown}")
    await service.start()
    chaos = Chaos().scaled(args.chaos)
    gates = args.gates.split(",")
    for name in (*gates, BOX_OFFICE):
        soak.links[name] = Link(name, service.port, random.Random(rng.random()), chaos)
        await soak.links[name].listen()
        soak.links[name].calm()  # set-up runs without faults
    soak.pool = CodePool([Ticket(t.template, t.number, t.code) for t in soak.venue.tickets])
    soak.till = BoxOffice(
        soak.venue, soak.links[BOX_OFFICE], random.Random(rng.random()), soak.pool, soak.folder
    )
    await soak.till.setup()  # its signing key is registered before the gates take their snapshot
    console.print(f"[dim]enrolling {len(gates)} gates: {', '.join(gates)}[/]")
    turning = TURNING_GATE if TURNING_GATE in gates else gates[min(1, len(gates) - 1)]
    for gate_name in gates:
        gate = GateRunner(
            gate_name, soak.venue.gate_tokens[gate_name], soak.folder / gate_name.replace(" ", "-").lower(),
            soak.links[gate_name], random.Random(rng.random()),
        )  # fmt: skip
        gate.turning = gate_name == turning
        await gate.enroll(service.url)
        soak.gates.append(gate)
    for gate in soak.gates:
        await gate.start()
    for link in soak.links.values():
        link.chaos = chaos

    duration = args.seconds if args.seconds else args.minutes * 60
    console.print(f"[bold]soaking for {duration:.0f} s[/] (seed {args.seed})")
    soak.started = now()
    soak.note(f"faults begin, for {duration:.0f} s")
    deadline = soak.started + duration
    await asyncio.gather(
        fault_loop(soak, deadline),
        soak.till.run(deadline),
        *(feed_loop(soak, gate, deadline) for gate in soak.gates),
        *(offline_loop(soak, link, deadline) for link in soak.links.values()),
    )
    soak.chaos_seconds = now() - soak.started

    # Restore everything, then let every queue drain (bounded).
    console.print("[dim]restoring the network and the service; letting queues drain[/]")
    settle_started = now()
    soak.note("faults end: network calm, service and gates restored, queues draining")
    for link in soak.links.values():
        link.calm()
    if service.process is None or service.process.returncode is not None:
        await service.restart()
    for gate in soak.gates:
        if not gate.running:
            await gate.start()
    await asyncio.gather(*(gate.finish() for gate in soak.gates))
    settle_deadline = now() + args.settle_seconds
    await soak.till.settle(settle_deadline)
    left = await asyncio.gather(*(gate.sync_until_empty(settle_deadline) for gate in soak.gates))
    soak.settle_seconds = now() - settle_started
    service.sweep_orphans(force=True)
    return await verdict(soak, dict(zip([g.device for g in soak.gates], left, strict=True)))


# ------------------------------------------------------------------ the verdict -----------


async def verdict(soak: Soak, unsynced: dict[str, int]) -> dict[str, Any]:
    assert soak.till is not None and soak.pool is not None
    soak.write_events()
    records = await read_records(soak.venue.database_url)
    passages = check_passages(
        {g.device: g.shown for g in soak.gates}, {g.device: g.kills for g in soak.gates}, records
    )
    sales = check_sales(soak.till.journal, soak.till.device, records)
    tickets_read, api_problems = await api_disagreements(
        soak.service.url, soak.venue.viewer_token, soak.pool.refs(), records
    )
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {soak.venue.viewer_token}"}) as viewer:
        outages = (await viewer.get(f"{soak.service.url}/api/v1/outages")).json()
    outages_by_device = Counter(o["device"] for o in outages)
    summary = summarise(soak, passages, sales, unsynced, outages_by_device, tickets_read, api_problems)
    print_report(soak, summary, passages, sales, api_problems)
    return summary


def summarise(
    soak: Soak,
    passages: PassageCheck,
    sales: SaleCheck,
    unsynced: dict[str, int],
    outages: Counter[str],
    tickets_read: int,
    api_problems: list[str],
) -> dict[str, Any]:
    delays = passages.upload_delays
    not_drained = sum(n for n in unsynced.values() if n != 0) + len(sales.unposted)
    return {
        "backend": soak.args.backend,
        "seed": soak.args.seed,
        "duration_seconds": round(soak.chaos_seconds, 1),
        "settle_seconds": round(soak.settle_seconds, 1),
        "cycles": soak.cycles,
        "scans_sent": sum(g.sent for g in soak.gates),
        "verdicts_printed": passages.printed,
        "verdicts_printed_offline": passages.printed_offline,
        "passages_registered": passages.registered,
        "admissions_standing": passages.admitted,
        "sales_acknowledged": sales.acknowledged,
        "sales_online": sales.online,
        "sales_offline": sales.offline,
        "sales_unanswered_reached_and_refunded": sales.unknown_reached,
        "sales_unanswered_never_received": sales.unknown_not_received,
        "sales_unanswered_cancelled": soak.till.counts["unanswered sales cancelled"] if soak.till else 0,
        "faults": dict(soak.faults),
        "offline_periods": {
            name: link.counts["blackholes"] + link.counts["refusals"] for name, link in soak.links.items()
        },
        "outages_reported": dict(outages),
        "proxy": {name: dict(link.counts) for name, link in soak.links.items()},
        "gate_kills": {g.device: g.kills for g in soak.gates},
        "unprinted_after_kills": passages.unprinted,
        "printed_then_killed": passages.killed_after_printing,
        "settled_beside": passages.settled_beside,
        "settled_annulled": passages.settled_annulled,
        "lost": passages.lost + sales.lost,
        "doubled": passages.doubled + sales.doubled,
        "not_drained": not_drained,
        "unsynced": unsynced,
        "conflicts": passages.conflicts,
        "max_upload_delay_seconds": round(max(delays), 1) if delays else None,
        "p50_upload_delay_seconds": round(percentile(delays, 50), 1) if delays else None,
        "max_sale_upload_delay_seconds": round(max(sales.upload_delays), 1) if sales.upload_delays else None,
        "tickets_looked_up": tickets_read,
        "api_disagreements": len(api_problems),
        "service_starts": soak.service.starts,
        "orphans_killed": soak.service.orphans_killed,
        "findings": soak.service.findings + [c for g in soak.gates for c in g.crashes],
        "problems": {
            "missing": passages.missing,
            "admissions_lost": passages.admissions_lost,
            "extra_admissions": passages.extra_admissions,
            "printed_twice": passages.printed_twice,
            "stored_twice": passages.stored_twice,
            "wrong_device": passages.wrong_device,
            "unexplained": passages.unexplained,
            "sales_missing": sales.missing,
            "sale_tickets_mismatch": sales.ticket_mismatch,
            "sales_ghosts": sales.ghosts,
            "sales_strangers": sales.strangers,
            "sales_unposted": sales.unposted,
            "sales_refused": sales.refused,
            "api": api_problems,
        },
    }


def print_report(
    soak: Soak, summary: dict[str, Any], passages: PassageCheck, sales: SaleCheck, api_problems: list[str]
) -> None:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} s"

    table = Table(title=f"Soak on {soak.args.backend}, seed {soak.args.seed}", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("notes")
    table.add_row(
        "duration",
        f"{summary['duration_seconds']:.0f} s",
        f"then {summary['settle_seconds']:.0f} s restoring and draining",
    )
    table.add_row("cycles", str(summary["cycles"]), "fault-scheduler rounds")
    table.add_row(
        "scans sent",
        f"{summary['scans_sent']:,}",
        f"{sum(g.not_sent for g in soak.gates)} not taken (gate down)",
    )
    table.add_row(
        "verdicts printed", f"{passages.printed:,}", f"{passages.printed_offline:,} decided offline"
    )
    table.add_row(
        "passages registered", f"{passages.registered:,}",
        f"{passages.admitted:,} admissions stand; {passages.settled_beside} gate admissions beside a rejected online scan, "
        f"{passages.settled_annulled} online admissions annulled (gate turned away)",
    )  # fmt: skip
    table.add_row(
        "sales acknowledged", str(sales.acknowledged),
        f"{sales.online} online, {sales.offline} offline; unanswered online: {sales.unknown_reached} reached (refunded), "
        f"{sales.unknown_not_received} not recorded ({soak.till.counts['unanswered sales cancelled'] if soak.till else 0} "
        f"cancelled at the service, the others never sent); {sales.declined} declined; "
        f"{soak.till.counts['re-sent after a lost answer'] if soak.till else 0} offline sales re-sent after a lost answer",
    )  # fmt: skip
    table.add_section()
    for kind, count in sorted(soak.faults.items()):
        table.add_row(f"fault: {kind}", str(count), "")
    table.add_row(
        "gate restarts (turning)",
        str(sum(g.rotations for g in soak.gates)),
        f"{next((g.gate for g in soak.gates if g.turning), '-')} switches in/out",
    )
    proxy: Counter[str] = Counter()
    for link in soak.links.values():
        proxy.update(link.counts)
    for kind in (
        "requests dropped",
        "answers dropped",
        "requests delayed",
        "answers delayed",
        "reset after an offline period",
        "resumed after an offline period",
        "service down: reset",
    ):
        table.add_row(f"proxy: {kind}", str(proxy[kind]), "")
    table.add_section()
    outages = summary["outages_reported"]
    for link in soak.links.values():
        injected = link.counts["blackholes"] + link.counts["refusals"]
        gate = next((g for g in soak.gates if g.gate == link.name), None)
        reported = (
            f"{outages.get(gate.device, 0)} outages reported by {gate.device}" if gate else "(sells offline)"
        )
        table.add_row(
            f"offline periods: {link.name}", str(injected),
            f"{link.counts['blackholes']} blackholes, {link.counts['refusals']} refusals, "
            f"{link.offline_seconds:.0f} s down in all; {reported}",
        )  # fmt: skip
    table.add_section()
    colour = "green" if summary["lost"] == 0 else "red"
    table.add_row(
        "[bold]lost[/]", f"[{colour}]{summary['lost']}[/]", "printed or acknowledged, not registered as shown"
    )
    colour = "green" if summary["doubled"] == 0 else "red"
    table.add_row(
        "[bold]doubled[/]",
        f"[{colour}]{summary['doubled']}[/]",
        "registered or counted more than once, or by nobody",
    )
    colour = "green" if summary["not_drained"] == 0 else "red"
    table.add_row(
        "not drained", f"[{colour}]{summary['not_drained']}[/]", f"queued at the end: {summary['unsynced']}"
    )
    table.add_row(
        "conflicts", str(summary["conflicts"]), "offline admissions the service would have rejected"
    )
    table.add_row(
        "max upload delay", seconds(summary["max_upload_delay_seconds"]),
        f"offline verdict to registered (median {seconds(summary['p50_upload_delay_seconds'])}); "
        f"offline sales {seconds(summary['max_sale_upload_delay_seconds'])}",
    )  # fmt: skip
    table.add_row(
        "unprinted after kills", str(sum(passages.unprinted.values())),
        f"registered, never printed (at most one per gate kill; {sum(g.kills for g in soak.gates)} kills)",
    )  # fmt: skip
    table.add_row(
        "printed, then killed", str(sum(passages.killed_after_printing.values())),
        "ADMIT printed, gate killed before it committed the verdict as shown: uploaded as turned away",
    )  # fmt: skip
    table.add_row(
        "API vs database", str(len(api_problems)), f"{summary['tickets_looked_up']} tickets looked up"
    )
    table.add_row(
        "service starts",
        str(summary["service_starts"]),
        f"{summary['orphans_killed']} orphaned workers killed",
    )
    console.print(table)
    for finding in summary["findings"]:
        console.print(f"[yellow]finding:[/] {finding}")
    for kind, items in summary["problems"].items():
        for item in items[:20]:
            console.print(f"[red]{kind}:[/] {item}")
        if len(items) > 20:
            console.print(f"[red]{kind}:[/] ... and {len(items) - 20} more")


# ------------------------------------------------------------------ main ------------------


DEFAULT_WEIGHTS = "worker=0.25,supervisor=0.1,gate=0.25,outage=0.1,midrequest=0.15,turn=0.15"
FAULT_KINDS = ("worker", "supervisor", "gate", "outage", "midrequest", "turn")


def fault_weights(text: str) -> dict[str, float]:
    weights = dict.fromkeys(FAULT_KINDS, 0.0)
    for part in text.split(","):
        kind, _, value = part.partition("=")
        if kind.strip() not in weights:
            raise argparse.ArgumentTypeError(f"fault kinds are {', '.join(FAULT_KINDS)}, not {kind!r}")
        weights[kind.strip()] = float(value)
    if not any(weights.values()):
        raise argparse.ArgumentTypeError("give at least one fault kind a weight above 0")
    return weights


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to inject faults")
    parser.add_argument("--seconds", type=float, help="the same in seconds, for short runs")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--workers", type=int, default=2, help="service worker processes")
    parser.add_argument("--gates", default=DEFAULT_GATES, help="the demo's gates to run, comma-separated")
    parser.add_argument("--tickets", type=int, default=40, help="demo tickets per template")
    parser.add_argument("--rate", type=float, default=4.0, help="scans per second per gate")
    parser.add_argument("--chaos", type=float, default=1.0, help="scale the proxy's drop/delay odds")
    parser.add_argument("--fault-min", type=float, default=3.0, help="seconds between faults, at least")
    parser.add_argument("--fault-max", type=float, default=9.0, help="seconds between faults, at most")
    parser.add_argument(
        "--weights",
        type=fault_weights,
        default=fault_weights(DEFAULT_WEIGHTS),
        help=f"odds of each fault kind (default {DEFAULT_WEIGHTS}; turn: the North gate restarts the other way)",
    )
    parser.add_argument(
        "--orphan-grace", type=float, default=10.0, help="seconds a killed supervisor's workers may live on"
    )
    parser.add_argument(
        "--settle-seconds", type=float, default=180.0, help="bound on draining the queues at the end"
    )
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder")
    parser.add_argument("--summary-json", help="also write the figures and problems to this file")
    return parser.parse_args()


async def main_async(args: argparse.Namespace, venue: DemoVenue) -> dict[str, Any]:
    folder = Path(venue.data_dir) / "soak"
    folder.mkdir(parents=True, exist_ok=True)
    soak = Soak(
        args, venue, folder, random.Random(args.seed), Service(venue, args.workers, folder, args.orphan_grace)
    )
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    finished = False
    try:
        summary = await run_soak(soak)
        finished = True
    finally:
        for gate in soak.gates:
            if gate.running:
                await gate.kill()
        if soak.till is not None:
            await soak.till.close()
        for link in soak.links.values():
            await link.close()
        await soak.service.stop(graceful=finished)
        if args.keep:
            console.print(f"[dim]work folder kept: {folder}[/]")
    return summary


def main() -> int:
    args = arguments()
    console.rule(f"[bold]soak[/] on {args.backend}, {args.workers} workers")
    console.print(f"[dim]{machine_notes()}[/]")
    try:
        with bench_venue(args, "soak", tickets_per_template=args.tickets) as venue:
            try:
                summary = asyncio.run(main_async(args, venue))
            finally:
                kill_everything_started()  # before the venue's database is dropped
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C, or SIGTERM
        console.print("[red]interrupted: everything the soak started was stopped[/]")
        return 130
    except Exception:  # the soak itself failed: no verdict (status 2, not 1)
        console.print_exception()
        console.print("[red]the soak failed before its verdict; everything it started was stopped[/]")
        return 2
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary, indent=2, default=str))
    # 1: something was lost, counted twice, or still queued after the bounded drain.
    return 1 if summary["lost"] or summary["doubled"] or summary["not_drained"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: local (offline) verdict latency with 1,000,000 tickets in the scanner's store.

Measured from the code string to the verdict, the passage committed to the store included
(WAL, synchronous=FULL), the UI excluded: exactly what `GateEngine.scan` does offline. The mix:
ticket numbers, signed codes (Ed25519 verification), repeated scans of the same tickets (their
passages are read back) and garbage. Peak RSS is this process's, which only opens the store.

    .venv/bin/python bench/client_verdicts.py [--store DIR] [--scans 20000]

Without --store, bench/client_snapshot.py builds a 1,000,000-ticket store first (in a
temporary folder).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admission.domain.codes import SignedTicket, sign_ticket  # noqa: E402
from scanner_client.gate.engine import GateEngine  # noqa: E402
from scanner_client.gate.settings import Settings, open_store  # noqa: E402


def bare_commits(store: object, count: int) -> list[float]:
    """A one-row durable commit into a scratch table of the same store (WAL, synchronous=FULL)."""
    db = store._db  # type: ignore[attr-defined]
    db.execute("CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER PRIMARY KEY, payload TEXT)")
    values = []
    for _ in range(count):
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO bench_commit(payload) VALUES (?)", ("x" * 200,))
        db.execute("COMMIT")
        values.append((time.perf_counter() - started) * 1000)
    db.execute("DROP TABLE bench_commit")
    return values


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(folder: Path, scans: int, seed: int) -> None:
    sidecar = json.loads((folder / "bench-sample.json").read_text())
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(sidecar["key_seed"]))
    sample = [(int(serial), number) for serial, number in sidecar["sample"]]
    rng = random.Random(seed)
    store = open_store(folder)
    settings = Settings.load(store)
    engine = GateEngine(store, settings, remote=None)
    tickets = store.ticket_count()

    def signed(serial: int) -> str:
        stored = store.ticket_by_serial(serial)
        assert stored is not None
        return sign_ticket(
            SignedTicket(key_id=sidecar["key_id"], serial=serial, template_id=stored.template_id), key
        )

    # Codes prepared before timing: signing is the box office's cost, not the gate's.
    codes: list[str] = []
    for _ in range(scans):
        serial, number = rng.choice(sample[: max(1, scans // 2)])  # some tickets come back: passages to read
        roll = rng.random()
        codes.append(number if roll < 0.5 else signed(serial) if roll < 0.95 else "GARBAGE" + str(roll))

    for code in codes[:200]:  # warm up caches (templates, keys, SQLite pages)
        await engine.scan(code)
    latencies: list[float] = []
    verdicts: dict[str, int] = {}
    for code in codes:
        started = time.perf_counter()
        outcome = await engine.scan(code)
        latencies.append((time.perf_counter() - started) * 1000)
        verdicts[outcome.reason.value] = verdicts.get(outcome.reason.value, 0) + 1
    # The same codes decided again without recording (the rules and lookups alone), and a bare
    # durable commit of the same size: which share of the figure is the disk's fsync.
    decide_only: list[float] = []
    for code in codes:
        started = time.perf_counter()
        engine.preview(code)
        decide_only.append((time.perf_counter() - started) * 1000)
    commit_only = bare_commits(store, len(codes) // 4)
    store.close()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p99 = percentile(latencies, 0.99)
    print(f"tickets in store : {tickets:,}")
    print(
        f"scans            : {len(latencies):,} ({', '.join(f'{k} {v}' for k, v in sorted(verdicts.items()))})"
    )
    print(
        f"latency ms       : median {statistics.median(latencies):.3f}  p95 {percentile(latencies, 0.95):.3f}  "
        f"p99 {p99:.3f}  max {max(latencies):.3f}"
    )
    for label, values in (("  decision only  ", decide_only), ("  bare commit    ", commit_only)):
        print(
            f"{label} : median {statistics.median(values):.3f}  p95 {percentile(values, 0.95):.3f}  "
            f"p99 {percentile(values, 0.99):.3f}  max {max(values):.3f}"
        )
    print(f"peak RSS         : {peak:.0f} MB")
    print(
        f"targets          : p99 < 2 ms {'met' if p99 < 2 else 'MISSED'}; "
        f"RSS < 300 MB {'met' if peak < 300 else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, help="a store made by bench/client_snapshot.py --out DIR")
    parser.add_argument("--scans", type=int, default=20_000)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="when building the store")
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    folder = args.store
    temporary = folder is None
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="client-verdicts-")) / "store"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "client_snapshot.py"),
                "--tickets",
                str(args.tickets),
                "--out",
                str(folder),
            ],
            check=True,
        )
    try:
        asyncio.run(measure(folder, args.scans, args.seed))
    finally:
        if temporary:
            shutil.rmtree(folder.parent)


if __name__ == "__main__":
    main()

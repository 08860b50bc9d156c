"""Benchmark: upload a backlog of 50,000 offline passages after an outage, until every one is
acknowledged by the real service (a `admission serve` process on a loopback port, SQLite).

The backlog is made the way an offline gate makes it: each code decided by the local rules and
recorded in the scanner store (durability switched off for this set-up only, to save time),
inside an outage. The measured part is what the client does when the link comes back:
`GateEngine.push_queue()` (batches of `batch_size`, each acknowledged before the next).

    .venv/bin/python bench/client_upload.py [--passages 50000] [--batch-size 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admission.domain.codes import now_utc  # noqa: E402
from admission.domain.model import Direction  # noqa: E402
from scanner_client.gate.engine import GateEngine  # noqa: E402
from scanner_client.gate.enroll import enroll  # noqa: E402
from scanner_client.gate.remote import GateRemote  # noqa: E402
from scanner_client.gate.settings import Settings, open_store  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.venues import seed  # noqa: E402


async def run(
    server: LiveServer, token: str, codes: list[str], folder: Path, passages: int, batch_size: int
) -> None:
    store = open_store(folder)
    remote = GateRemote(server.url, token)
    await enroll(
        store,
        remote,
        server_url=server.url,
        token=token,
        gate="Main gate",
        direction=Direction.IN,
        supervisor_pin=None,
    )
    settings = Settings.load(store)
    settings.batch_size = batch_size
    engine = GateEngine(store, settings, remote)

    print(f"recording {passages:,} offline passages ...", flush=True)
    engine.go_offline()
    store._db.execute("PRAGMA synchronous=OFF")  # set-up only: the measured upload runs with FULL
    gate = engine.gate()
    outage = store.current_outage()
    rng = random.Random(5)
    start = now_utc() - timedelta(hours=1)
    for i in range(passages):
        code = rng.choice(codes)
        at = start + timedelta(milliseconds=60 * i)
        direction = Direction.IN if rng.random() < 0.8 else Direction.OUT
        judgement = engine.judge.judge(code, gate.info(), direction, at)
        nonce = store.record_local(
            device=settings.device,
            code=code,
            gate=gate,
            direction=direction,
            scanned_at=at,
            decision=judgement.decision,
            ticket_serial=judgement.ticket_serial,
            template_name=judgement.template_name,
            outage_id=outage.id if outage else None,
        )
        store.mark_shown(nonce)  # each verdict was on screen, so each passage may be uploaded
    store._db.execute("PRAGMA synchronous=FULL")
    engine.go_online()
    queued = store.queued_count()

    started = time.perf_counter()
    report = await engine.push_queue()
    elapsed = time.perf_counter() - started
    await remote.aclose()
    left = store.queued_count()
    store.close()
    print(
        f"uploaded {report.uploaded:,} of {queued:,} passages in {elapsed:.1f} s "
        f"({report.uploaded / elapsed:,.0f}/s, batches of {batch_size}); {report.conflicts:,} conflicts, "
        f"{report.refused} refused, {left} left in the queue; outage reports posted: {report.outages_posted}"
    )
    print(f"target < 10 s: {'met' if elapsed < 10 and left == 0 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--tickets-per-template", type=int, default=500)  # the concert holds 500
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="client-upload-") as tmp:
        folder = Path(tmp)
        with fresh_database("sqlite", folder, "bench", None) as url:
            print(f"seeding a venue with {4 * args.tickets_per_template:,} tickets ...", flush=True)
            venue = seed(url, folder, tickets_per_template=args.tickets_per_template)
            codes = [t.number for t in venue.tickets] + [t.code for t in venue.tickets]
            server = LiveServer(venue)
            server.start()
            try:
                asyncio.run(
                    run(
                        server,
                        venue.gate_tokens["Main gate"],
                        codes,
                        folder / "gate",
                        args.passages,
                        args.batch_size,
                    )
                )
            finally:
                server.stop()


if __name__ == "__main__":
    main()

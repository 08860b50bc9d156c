"""Benchmark: apply a full change-feed snapshot of N tickets (default 1,000,000) to a new local
scanner store, the way `scanner-client enroll` does (JSON pages of 10,000 changes, decoded with
msgspec, applied page by page with the cursor, number index built once at the end).

The pages are generated up front in the shape the service sends, so the figure is the client's
own cost (decode + SQLite), not the network's. Also writes a small sidecar file with sample
tickets and the signing key seed, which bench/client_verdicts.py uses.

    .venv/bin/python bench/client_snapshot.py [--tickets 1000000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admission.contract import (  # noqa: E402
    Change,
    ChangesPage,
    EventData,
    GateData,
    KeyData,
    TemplateData,
    TicketData,
    VenueData,
)
from admission.domain.codes import damm_check_digit  # noqa: E402
from admission.domain.model import TemplateKind, ValidityMode  # noqa: E402
from scanner_client.gate.settings import Settings, open_store  # noqa: E402

PAGE = 10_000
KEY_ID = 1
DEVICE = "bench-gate"


def template(id_: int, name: str, max_entries: int | None) -> TemplateData:
    return TemplateData(
        id=id_,
        name=name,
        kind=TemplateKind.ENTRY,
        plu=None,
        price_cents=1000,
        currency="EUR",
        validity_mode=ValidityMode.FIXED,
        valid_from=None,
        valid_until=None,
        validity_days=None,
        allowed_zones=[],
        allowed_gates=[],
        max_entries=max_entries,
        reentry_allowed=False,
        fallback_template_id=None,
        active=True,
        title=name,
        description="",
        color="#123456",
    )


def reference_changes(key: Ed25519PrivateKey) -> list[Change]:
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    records: list[tuple[str, str, msgspec.Struct]] = [
        ("venue", "venue", VenueData(name="Bench venue", timezone="Europe/Berlin")),
        ("key", str(KEY_ID), KeyData(key_id=KEY_ID, public_key=public, device=None, revoked=False)),
        ("template", "1", template(1, "Day ticket", 1)),
        ("template", "2", template(2, "10-visit card", 10)),
        (
            "event",
            "1",
            EventData(
                id=1,
                name="Concert",
                starts_at=now,
                ends_at=now + timedelta(hours=3),
                doors_open_minutes=60,
                capacity=None,
                template_ids=[],
            ),
        ),
        ("gate", "Main", GateData(id=1, name="Main", zone="park", from_zone=None, event_id=None)),
    ]
    return [
        Change(seq=i + 1, kind=kind, key=k, data=msgspec.Raw(msgspec.json.encode(d)))  # type: ignore[arg-type]
        for i, (kind, k, d) in enumerate(records)
    ]


def ticket_pages(count: int, rng: random.Random, first_seq: int) -> tuple[list[bytes], list[tuple[int, str]]]:
    """The feed pages as the service would send them, and (serial, number) of every ticket."""
    encoder = msgspec.json.Encoder()
    tickets: list[tuple[int, str]] = []
    pages: list[bytes] = []
    seq = first_seq
    for start in range(0, count, PAGE):
        changes = []
        for _ in range(min(PAGE, count - start)):
            serial = rng.getrandbits(63) or 1
            body = f"{rng.randrange(10**12):012d}"
            number = body + damm_check_digit(body)
            seq += 1
            data = TicketData(
                serial=str(serial),
                number=number,
                template_id=1 if serial % 4 else 2,
                event_id=None,
                valid_from=None,
                valid_until=None,
                status="void" if serial % 97 == 0 else "valid",
                void_reason="refunded" if serial % 97 == 0 else None,
                entries_carried=0,
                first_used_at=None,
            )
            changes.append(
                Change(seq=seq, kind="ticket", key=str(serial), data=msgspec.Raw(encoder.encode(data)))
            )
            tickets.append((serial, number))
        pages.append(encoder.encode(ChangesPage(cursor=seq, more=start + PAGE < count, changes=changes)))
    return pages, tickets


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="folder for the store (default: a temporary one, removed)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
    print(f"generating {args.tickets:,} tickets as feed pages of {PAGE:,} ...", flush=True)
    reference = reference_changes(key)
    pages, tickets = ticket_pages(args.tickets, rng, len(reference))
    print(f"  {len(pages)} pages, {sum(map(len, pages)) / 1e6:.0f} MB of JSON")

    folder = args.out or Path(tempfile.mkdtemp(prefix="client-snapshot-"))
    if folder.exists():
        shutil.rmtree(folder)
    store = open_store(folder)
    Settings(server_url="http://127.0.0.1:9", token="bench", device=DEVICE, gate="Main").save(store)

    started = time.perf_counter()
    with store.bulk_load_tickets():
        store.apply_changes(reference, len(reference))
        for raw in pages:
            page = msgspec.json.decode(raw, type=ChangesPage)
            store.apply_changes(page.changes, page.cursor)
    elapsed = time.perf_counter() - started
    count = store.ticket_count()
    store.close()
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6

    sample = rng.sample(tickets, min(20_000, len(tickets)))
    sidecar = {
        "key_seed": key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex(),
        "key_id": KEY_ID,
        "sample": [[str(serial), number] for serial, number in sample],
    }
    (folder / "bench-sample.json").write_text(json.dumps(sidecar))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"applied {count:,} tickets in {elapsed:.1f} s ({count / elapsed:,.0f} tickets/s); "
        f"store {size:.0f} MB; peak RSS {peak:.0f} MB (includes the generated pages held in memory)"
    )
    print(f"target < 30 s: {'met' if elapsed < 30 else 'MISSED'}")
    if args.out is None:
        shutil.rmtree(folder)
    else:
        print(f"store kept in {folder}")


if __name__ == "__main__":
    main()

"""A card payment's ledger work as the card's history grows.

A card's balance is the sum of its ledger, taken under the card's row lock on every payment (and
again for the feed and for the answer). This measures exactly that work of one payment (lock the
card, sum, append the entry, publish the card to the feed, sum up to the entry for the answer) in
one transaction each, on a card holding 1, 1 000, 10 000 and 50 000 entries (`--lengths`), with
the service's own ledger code. A member card paid with daily for ten years holds some 4 000.

    python bench/card_ledger.py --backend sqlite|postgres [--size 200] [--lengths 1,1000,10000,50000]
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime

from common import arguments, bench_venue, console, header
from rich.table import Table
from sqlalchemy import insert

from admission.db.engine import Database
from admission.db.models import Card, CardEntry, CardType
from admission.domain.cards import EntryKind
from admission.services.cards import ledger
from admission.services.cards.ledger import NewEntry, Writer

FILL_CHUNK = 5_000


async def new_card(db: Database) -> int:
    now = datetime.now(UTC)
    async with db.session() as session:
        card_type = CardType(
            name=f"Bench {uuid.uuid4().hex[:8]}", kind="stored_value", currency="EUR", created_at=now
        )
        session.add(card_type)
        await session.flush()
        card = Card(
            serial=int(time.time_ns() % 10**15),
            number=str(uuid.uuid4().int)[:16],
            code="bench",
            card_type_id=card_type.id,
            currency="EUR",
            status="active",
            issued_at=now,
        )
        session.add(card)
        await session.flush()
        return card.id


async def fill(db: Database, card_id: int, count: int) -> None:
    """`count` more entries on the card (loads, so that it never runs dry), in bulk."""
    now = datetime.now(UTC)
    for start in range(0, count, FILL_CHUNK):
        rows = [
            {
                "card_id": card_id,
                "kind": "load",
                "amount_cents": 100,
                "nonce_scope": 0,
                "nonce": f"fill-{uuid.uuid4().hex}",
                "occurred_at": now,
                "recorded_at": now,
                "offline": False,
                "conflict": False,
                "conflict_cents": 0,
                "request_digest": "0" * 64,
            }
            for _ in range(min(FILL_CHUNK, count - start))
        ]
        async with db.session() as session:
            await session.execute(insert(CardEntry), rows)


async def pay_once(db: Database, card_id: int) -> float:
    """One payment's ledger work in its own transaction; its time in milliseconds."""
    started = time.perf_counter()
    async with db.session() as session:
        card = await ledger.lock_card(session, card_id)
        await ledger.balance_of(session, card_id)  # what the payment decides on
        entry = await ledger.append(  # and publishes the card's new balance (a second sum)
            session, card, Writer(None, None), NewEntry(EntryKind.PAY, 1, f"bench-{uuid.uuid4().hex}")
        )
        await ledger.entry_result(session, card, entry)  # the answer's balance after it (a third)
    return (time.perf_counter() - started) * 1000


async def measure(url: str, lengths: list[int], payments: int) -> list[tuple[int, float, float]]:
    db = Database(url)
    rows = []
    try:
        card_id = await new_card(db)
        held = 0
        for length in lengths:
            await fill(db, card_id, length - held)
            for _ in range(5):  # warm the cache and the plan
                await pay_once(db, card_id)
            times = sorted([await pay_once(db, card_id) for _ in range(payments)])
            held = length + 5 + payments
            rows.append((length, statistics.median(times), times[int(len(times) * 0.95) - 1]))
    finally:
        await db.dispose()
    return rows


def main() -> None:
    args = arguments(__doc__ or "", size=200, runs=1, lengths="1,1000,10000,50000")
    header("a card payment's ledger work by ledger length", args)
    lengths = sorted(int(n) for n in args.lengths.split(","))
    with bench_venue(args, "card_ledger", tickets_per_template=1) as venue:
        rows = asyncio.run(measure(venue.database_url, lengths, args.size))
    table = Table(title=f"one payment's ledger work, {args.backend}, {args.size} payments per length")
    for column in ("entries on the card", "median ms", "p95 ms"):
        table.add_column(column, justify="right")
    for length, median, p95 in rows:
        table.add_row(f"{length:,}", f"{median:.2f}", f"{p95:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()

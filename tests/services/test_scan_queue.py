"""Group commit of online scans (ScanQueue): scans that arrive together share one transaction and
are decided in arrival order, each as if it had had a transaction of its own, and one bad scan
never fails the others. Runs on each configured backend."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from admission.contract import ScanRequest, ScanResponse
from admission.db.engine import Database
from admission.db.models import Scan
from admission.demo import DemoVenue
from admission.domain.errors import ConflictError, InvalidRequestError
from admission.domain.model import Direction
from admission.services import scanning
from admission.services.catalog import ScanCatalogCache
from admission.services.devices import Principal, TokenAuthenticator
from admission.services.keys import KeyRing
from admission.services.scan_queue import ScanQueue
from admission.services.unit_of_work import UnitOfWork

pytestmark = pytest.mark.anyio


class Rig:
    def __init__(self, db: Database, queue: ScanQueue, gate: Principal, scan_inserts: list[int]) -> None:
        self.db, self.queue, self.gate, self.scan_inserts = db, queue, gate, scan_inserts

    async def scans(self, *requests: ScanRequest) -> list[ScanResponse | BaseException]:
        """Submit the scans at the same moment, as concurrent gates' requests reach a worker."""
        calls = [self.queue.scan(self.gate, r) for r in requests]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    async def recorded(self, nonce: str) -> int:
        async with self.db.read_session() as session:
            return int(await session.scalar(select(func.count()).where(Scan.nonce == nonce)) or 0)


@asynccontextmanager
async def scan_queue(demo_venue: DemoVenue) -> AsyncIterator[Rig]:
    # Not an async fixture: those run on pytest-asyncio's loop, and the queue's writer task
    # must live on the test's own.
    db = Database(demo_venue.database_url)
    scan_inserts: list[int] = []
    def count_scan_inserts(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SCANS"):
            scan_inserts.append(1)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count_scan_inserts)
    async with db.read_session() as session:
        keys = await KeyRing.load(session, Path(demo_venue.data_dir))
        gate = await TokenAuthenticator(60).authenticate(session, demo_venue.gate_tokens["Main gate"])
    assert gate is not None
    queue = ScanQueue(UnitOfWork(db), keys, ScanCatalogCache())
    queue.start()
    try:
        yield Rig(db, queue, gate, scan_inserts)
    finally:
        await queue.stop()
        await db.dispose()


def request(code: str, nonce: str | None = None, **fields: Any) -> ScanRequest:
    return ScanRequest(code=code, gate="Main gate", nonce=nonce or uuid.uuid4().hex, **fields)


def day_ticket(venue: DemoVenue, index: int = 0) -> str:
    return [t for t in venue.tickets if t.template == "Day ticket"][index].code


async def test_scans_arriving_together_share_one_transaction_in_arrival_order(demo_venue: DemoVenue) -> None:
    async with scan_queue(demo_venue) as rig:
        code = day_ticket(demo_venue)
        rig.scan_inserts.clear()
        answers = await rig.scans(*(request(code) for _ in range(6)))
        assert [a.reason for a in answers if isinstance(a, ScanResponse)] == ["ok"] + ["already_used"] * 5
        assert len(rig.scan_inserts) == 1  # all six recorded by one statement, in one transaction


async def test_a_repeated_nonce_in_one_group_gets_the_first_answer(demo_venue: DemoVenue) -> None:
    async with scan_queue(demo_venue) as rig:
        first, again = await rig.scans(
            request(day_ticket(demo_venue), "twice"), request(day_ticket(demo_venue), "twice")
        )
        assert first == again and isinstance(first, ScanResponse) and first.reason == "ok"
        assert await rig.recorded("twice") == 1


async def test_a_bad_scan_gets_its_own_error_and_the_others_are_recorded(demo_venue: DemoVenue) -> None:
    async with scan_queue(demo_venue) as rig:
        future = datetime.now(UTC) + timedelta(hours=1)
        good, bad, unknown_gate = await rig.scans(
            request(day_ticket(demo_venue, 0), "good"),
            request(day_ticket(demo_venue, 1), "bad", scanned_at=future),
            ScanRequest(code=day_ticket(demo_venue, 2), gate="Back door", nonce="nowhere"),
        )
        assert isinstance(good, ScanResponse) and good.reason == "ok"
        assert isinstance(bad, InvalidRequestError) and "future" in bad.detail
        assert isinstance(unknown_gate, InvalidRequestError) and "unknown gate" in unknown_gate.detail
        assert (await rig.recorded("good"), await rig.recorded("bad"), await rig.recorded("nowhere")) == (
            1,
            0,
            0,
        )


async def test_a_scan_that_fails_the_group_fails_alone(
    demo_venue: DemoVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scan_queue(demo_venue) as rig:
        poisoned = day_ticket(demo_venue, 1)
        judge = scanning.TicketIndex.judge

        async def judge_or_fail(self: scanning.TicketIndex, code: str, *args: Any) -> Any:
            if code == poisoned:
                raise ZeroDivisionError("a bug that this one code trips")
            return await judge(self, code, *args)

        monkeypatch.setattr(scanning.TicketIndex, "judge", judge_or_fail)
        before, failed, after = await rig.scans(
            request(day_ticket(demo_venue, 0), "before"),
            request(poisoned, "poisoned"),
            request(day_ticket(demo_venue, 2), "after"),
        )
        assert isinstance(failed, ZeroDivisionError)
        assert isinstance(before, ScanResponse) and isinstance(after, ScanResponse)
        assert (before.reason, after.reason) == ("ok", "ok")
        assert (
            await rig.recorded("before"),
            await rig.recorded("poisoned"),
            await rig.recorded("after"),
        ) == (1, 0, 1)


async def test_a_nonce_committed_meanwhile_elsewhere_gets_that_answer(
    demo_venue: DemoVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scan_queue(demo_venue) as rig:
        code = day_ticket(demo_venue)
        (first,) = await rig.scans(request(code, "raced"))

        # The nonce check runs before the write lock; here it misses, as when another worker
        # committed the same nonce in between. The unique nonce must catch it.
        async def nothing_stored(_session: Any, _keys: Any) -> dict[tuple[int, str], scanning.StoredScan]:
            return {}

        monkeypatch.setattr(scanning, "stored_scans", nothing_stored)
        again, other = await rig.scans(
            request(code, "raced"), request(day_ticket(demo_venue, 1), "bystander")
        )
        assert again == first
        assert isinstance(other, ScanResponse) and other.reason == "ok"
        assert (await rig.recorded("raced"), await rig.recorded("bystander")) == (1, 1)


async def test_a_nonce_used_again_for_another_scan_is_refused_in_a_group_and_after_a_race(
    demo_venue: DemoVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scan_queue(demo_venue) as rig:
        first, other = await rig.scans(
            request(day_ticket(demo_venue, 0), "reused"), request(day_ticket(demo_venue, 1), "reused")
        )
        assert isinstance(first, ScanResponse) and first.reason == "ok"
        assert isinstance(other, ConflictError)

        # As if another worker had committed "reused" in between: the unique (device, nonce)
        # catches it, and a different scan under it is still refused, not given that answer.
        async def nothing_stored(_session: Any, _keys: Any) -> dict[tuple[int, str], scanning.StoredScan]:
            return {}

        monkeypatch.setattr(scanning, "stored_scans", nothing_stored)
        (raced,) = await rig.scans(request(day_ticket(demo_venue, 1), "reused", direction=Direction.OUT))
        assert isinstance(raced, ConflictError)
        assert await rig.recorded("reused") == 1


async def test_stop_decides_what_is_queued(demo_venue: DemoVenue) -> None:
    async with scan_queue(demo_venue) as rig:
        calls = [
            asyncio.ensure_future(rig.queue.scan(rig.gate, request(day_ticket(demo_venue, i), f"q{i}")))
            for i in range(3)
        ]
        await asyncio.sleep(0)  # every call has queued its scan
        await rig.queue.stop()
        assert [c.result().reason for c in calls] == ["ok", "ok", "ok"]
        assert [await rig.recorded(f"q{i}") for i in range(3)] == [1, 1, 1]

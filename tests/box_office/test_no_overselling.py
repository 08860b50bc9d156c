"""No overselling: 100 concurrent buyers for the last 10 seats get exactly 10 tickets.

Against the real service process with two workers (so two processes race for the same row),
on SQLite and, when ADMISSION_TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from admission.demo import DemoVenue
from tests.support.live_server import LiveServer

BUYERS = 100
SEATS_LEFT = 10


@pytest.fixture
def two_workers(demo_venue: DemoVenue) -> Iterator[LiveServer]:
    server = LiveServer(demo_venue, workers=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _leave_seats(server: LiveServer, venue: DemoVenue, seats: int) -> None:
    with server.client(venue.admin_token) as admin:
        event = admin.get(f"/api/v1/events/{venue.event_id}").json()
        event["capacity"] = event["sold"] + seats
        admin.put(f"/api/v1/events/{venue.event_id}", json=event).raise_for_status()


async def _buy_one_each(
    server: LiveServer, venue: DemoVenue, buyers: int, nonce: str | None = None
) -> list[httpx.Response]:
    """`buyers` concurrent one-seat sales, released together; all with `nonce` if given (re-sends)."""
    limits = httpx.Limits(max_connections=buyers)
    headers = {"Authorization": f"Bearer {venue.box_office_token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60) as http:
        start = asyncio.Event()

        async def buy() -> httpx.Response:
            body = {
                "nonce": nonce or str(uuid.uuid4()),
                "lines": [{"plu": "200", "event_id": venue.event_id, "quantity": 1}],
                "payment": {"method": "card", "amount_cents": 3500, "card_brand": "visa"},
            }
            await start.wait()
            return await http.post("/api/v1/sales", json=body)

        tasks = [asyncio.create_task(buy()) for _ in range(buyers)]
        await asyncio.sleep(0.2)  # every request ready before any leaves
        start.set()
        return await asyncio.gather(*tasks)


def test_100_concurrent_buyers_for_the_last_10_seats_get_exactly_10_tickets(
    two_workers: LiveServer, demo_venue: DemoVenue
) -> None:
    _leave_seats(two_workers, demo_venue, SEATS_LEFT)
    responses = asyncio.run(_buy_one_each(two_workers, demo_venue, BUYERS))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: SEATS_LEFT, 409: BUYERS - SEATS_LEFT}, [
        r.text for r in responses if r.status_code >= 500
    ][:3]
    assert all("sold out" in r.json()["detail"] for r in responses if r.status_code == 409)
    sold_codes = {t["code"] for r in responses if r.status_code == 201 for t in r.json()["tickets"]}
    assert len(sold_codes) == SEATS_LEFT
    with two_workers.client(demo_venue.box_office_token) as box:
        event = box.get(f"/api/v1/events/{demo_venue.event_id}").json()
        assert (event["remaining"], event["sold"]) == (0, event["capacity"])
        report = box.get("/api/v1/sales/report").json()
    card = next(m for m in report["totals"] if m["method"] == "card")
    assert (card["sales"], card["tickets"], card["net_cents"]) == (SEATS_LEFT, SEATS_LEFT, SEATS_LEFT * 3500)

    # A till re-sending one sale many times at once (a flaky link): recorded once, same answer.
    with two_workers.client(demo_venue.box_office_token) as box:
        refunded = next(r.json()["id"] for r in responses if r.status_code == 201)
        box.post(f"/api/v1/sales/{refunded}/refund", json={}).raise_for_status()
    resent = asyncio.run(_buy_one_each(two_workers, demo_venue, 10, nonce="till-7-resent-1"))
    assert sorted(r.status_code for r in resent) == [200] * 9 + [201]
    assert len({r.json()["id"] for r in resent}) == 1
    with two_workers.client(demo_venue.box_office_token) as box:
        assert box.get(f"/api/v1/events/{demo_venue.event_id}").json()["remaining"] == 0

"""Leases and online sales racing for the last seats never oversell: against the real service
with two workers (two processes on one event row), on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from admission.demo import DemoVenue
from tests.support.live_server import LiveServer

SEATS_LEFT = 12
BUYERS = 30
TILLS = 6
LEASE_SEATS = 3


@pytest.fixture
def two_workers(demo_venue: DemoVenue) -> Iterator[LiveServer]:
    server = LiveServer(demo_venue, workers=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _race(server: LiveServer, venue: DemoVenue) -> tuple[list[httpx.Response], list[httpx.Response]]:
    admin = {"Authorization": f"Bearer {venue.admin_token}"}
    seller = {"Authorization": f"Bearer {venue.box_office_token}"}
    limits = httpx.Limits(max_connections=BUYERS + TILLS)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        start = asyncio.Event()

        async def buy() -> httpx.Response:
            body = {
                "nonce": str(uuid.uuid4()),
                "lines": [{"plu": "200", "event_id": venue.event_id, "quantity": 1}],
                "payment": {"method": "cash", "amount_cents": 3500},
            }
            await start.wait()
            return await http.post("/api/v1/sales", json=body, headers=seller)

        async def lease(till: str) -> httpx.Response:
            body = {"event_id": venue.event_id, "device": till, "seats": LEASE_SEATS}
            await start.wait()
            return await http.post("/api/v1/leases", json=body, headers=admin)

        tills = [f"till-{n}" for n in range(TILLS)]
        for till in tills:
            made = await http.post(
                "/api/v1/devices", json={"name": till, "role": "box_office"}, headers=admin
            )
            made.raise_for_status()
        sales = [asyncio.create_task(buy()) for _ in range(BUYERS)]
        grants = [asyncio.create_task(lease(till)) for till in tills]
        await asyncio.sleep(0.2)  # every request ready before any leaves
        start.set()
        return await asyncio.gather(*sales), await asyncio.gather(*grants)


def test_online_sales_and_lease_grants_racing_for_the_last_seats_never_oversell(
    two_workers: LiveServer, demo_venue: DemoVenue
) -> None:
    with two_workers.client(demo_venue.admin_token) as admin:
        event = admin.get(f"/api/v1/events/{demo_venue.event_id}").json()
        event["capacity"] = event["sold"] + SEATS_LEFT
        body = {
            k: event[k]
            for k in ("name", "starts_at", "ends_at", "doors_open_minutes", "capacity", "template_ids")
        }
        admin.put(f"/api/v1/events/{demo_venue.event_id}", json=body).raise_for_status()
    sales, grants = asyncio.run(_race(two_workers, demo_venue))
    sold = Counter(r.status_code for r in sales)
    granted = Counter(r.status_code for r in grants)
    assert set(sold) <= {201, 409} and set(granted) <= {201, 409}, [r.text for r in sales + grants][:3]
    taken = sold[201] + LEASE_SEATS * granted[201]
    assert (
        taken <= SEATS_LEFT and SEATS_LEFT - taken < LEASE_SEATS
    )  # never beyond; nothing left a grant could take
    assert sold[409] and all("sold out" in r.json()["detail"] for r in sales + grants if r.status_code == 409)
    with two_workers.client(demo_venue.admin_token) as admin:
        after = admin.get(f"/api/v1/events/{demo_venue.event_id}").json()
        leases = admin.get("/api/v1/leases").json()
    assert (after["sold"], after["leased"]) == (event["sold"] + sold[201], LEASE_SEATS * granted[201])
    assert after["remaining"] == SEATS_LEFT - taken
    assert len(leases) == granted[201]

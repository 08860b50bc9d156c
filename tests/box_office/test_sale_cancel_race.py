"""A sale and its till's cancellation arriving at the same moment: exactly one of them wins.

Against the real service process with two workers, on SQLite and, when
ADMISSION_TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator

import httpx
import pytest

from admission.demo import DemoVenue
from tests.support.live_server import LiveServer, running_server

PAIRS = 30


@pytest.fixture
def two_workers(demo_venue: DemoVenue) -> Iterator[LiveServer]:
    with running_server(demo_venue, workers=2) as server:
        yield server


def _sale(venue: DemoVenue, nonce: str) -> dict[str, object]:
    return {
        "nonce": nonce,
        "lines": [{"plu": "200", "event_id": venue.event_id, "quantity": 1}],
        "payment": {"method": "card", "amount_cents": 3500, "card_brand": "visa"},
    }


async def _race(
    server: LiveServer, venue: DemoVenue, nonces: list[str]
) -> dict[str, tuple[httpx.Response, httpx.Response]]:
    """Every sale and its cancellation, all released together in a shuffled order."""
    headers = {"Authorization": f"Bearer {venue.box_office_token}"}
    limits = httpx.Limits(max_connections=2 * len(nonces))
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60) as http:
        start = asyncio.Event()

        async def send(path: str, body: object) -> httpx.Response:
            await start.wait()
            return await http.post(path, json=body)

        calls = [(n, "sale", "/api/v1/sales", _sale(venue, n)) for n in nonces]
        calls += [(n, "cancel", f"/api/v1/sales/by-nonce/{n}/cancel", None) for n in nonces]
        random.shuffle(calls)
        tasks = {(n, kind): asyncio.create_task(send(path, body)) for n, kind, path, body in calls}
        await asyncio.sleep(0.2)  # every request ready before any leaves
        start.set()
        await asyncio.gather(*tasks.values())
    return {n: (tasks[n, "sale"].result(), tasks[n, "cancel"].result()) for n in nonces}


def test_a_sale_and_its_cancellation_racing_never_both_win(
    two_workers: LiveServer, demo_venue: DemoVenue
) -> None:
    with two_workers.client(demo_venue.box_office_token) as box:
        sold_before = box.get(f"/api/v1/events/{demo_venue.event_id}").json()["sold"]
    nonces = [f"till-race-{uuid.uuid4()}" for _ in range(PAIRS)]
    results = asyncio.run(_race(two_workers, demo_venue, nonces))

    recorded = 0
    for nonce, (sale, cancel) in results.items():
        assert cancel.status_code == 200, cancel.text
        assert sale.status_code in (201, 409), sale.text
        if sale.status_code == 201:  # the sale came first: the cancellation found it
            recorded += 1
            assert cancel.json()["sale"]["id"] == sale.json()["id"] and cancel.json()["cancelled_at"] is None
        else:  # the cancellation came first: the sale was refused, nothing recorded
            assert "cancelled" in sale.json()["detail"], (nonce, sale.text)
            assert cancel.json()["sale"] is None and cancel.json()["cancelled_at"]

    with two_workers.client(demo_venue.box_office_token) as box:
        for nonce, (sale, _) in results.items():
            found = box.get("/api/v1/sales", params={"nonce": nonce}).json()
            assert [s["id"] for s in found] == ([sale.json()["id"]] if sale.status_code == 201 else [])
            again = box.post("/api/v1/sales", json=_sale(demo_venue, nonce))
            assert again.status_code == (200 if sale.status_code == 201 else 409)
        assert box.get(f"/api/v1/events/{demo_venue.event_id}").json()["sold"] == sold_before + recorded
        report = box.get("/api/v1/sales/report").json()
    card = [m for m in report["totals"] if m["method"] == "card"]
    assert sum(m["sales"] for m in card) == recorded and sum(m["tickets"] for m in card) == recorded

"""A card is never overdrawn online: 100 concurrent payments from one card that holds enough for
10 go through exactly 10 times. Against the real service with two workers (two processes race
for the same card row), on SQLite and, with ADMISSION_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from admission.demo import DemoVenue
from tests.support.live_server import LiveServer

PAYERS = 100
PAYMENT = 100
AFFORDABLE = 10


@pytest.fixture
def two_workers(demo_venue: DemoVenue) -> Iterator[LiveServer]:
    server = LiveServer(demo_venue, workers=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _pay_together(server: LiveServer, token: str, number: str, nonces: list[str]) -> list[httpx.Response]:
    """One payment per nonce, all released at once."""
    limits = httpx.Limits(max_connections=len(nonces))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60) as http:
        start = asyncio.Event()

        async def pay(nonce: str) -> httpx.Response:
            await start.wait()
            body = {"nonce": nonce, "amount_cents": PAYMENT, "reference": nonce}
            return await http.post(f"/api/v1/cards/{number}/pay", json=body)

        tasks = [asyncio.create_task(pay(n)) for n in nonces]
        await asyncio.sleep(0.2)  # every request ready before any leaves
        start.set()
        return await asyncio.gather(*tasks)


def _card(server: LiveServer, venue: DemoVenue, amount: int) -> dict[str, Any]:
    with server.client(venue.admin_token) as admin:
        admin.post("/api/v1/cards/types", json={"name": "Gift card", "kind": "gift"})
        sold = admin.post("/api/v1/cards", json={"nonce": f"sell-{amount}", "card_type": "Gift card", "amount_cents": amount})
        sold.raise_for_status()
        card: dict[str, Any] = sold.json()["card"]
        return card


def test_100_concurrent_payments_from_one_card_never_overdraw_it(two_workers: LiveServer, demo_venue: DemoVenue) -> None:
    card = _card(two_workers, demo_venue, AFFORDABLE * PAYMENT)
    nonces = [f"till-{i}" for i in range(PAYERS)]
    responses = asyncio.run(_pay_together(two_workers, demo_venue.box_office_token, card["number"], nonces))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: AFFORDABLE, 409: PAYERS - AFFORDABLE}, [r.text for r in responses if r.status_code >= 500][:3]
    with two_workers.client(demo_venue.viewer_token) as viewer:
        shown = viewer.get(f"/api/v1/cards/{card['number']}").json()
    assert shown["balance_cents"] == 0
    assert [e["balance_after_cents"] for e in shown["entries"]] == [AFFORDABLE * PAYMENT - i * PAYMENT for i in range(AFFORDABLE + 1)]


def test_a_payment_resent_many_times_at_once_is_counted_once(two_workers: LiveServer, demo_venue: DemoVenue) -> None:
    card = _card(two_workers, demo_venue, 5000)
    responses = asyncio.run(_pay_together(two_workers, demo_venue.box_office_token, card["number"], ["till-7-1"] * 20))
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["entry"]["id"] for r in responses}) == 1
    with two_workers.client(demo_venue.viewer_token) as viewer:
        assert viewer.get(f"/api/v1/cards/{card['number']}").json()["balance_cents"] == 5000 - PAYMENT


async def _register_together(server: LiveServer, tokens: list[str], piles: list[list[dict[str, Any]]]) -> list[httpx.Response]:
    """One voucher pile per token, all released at once."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        start = asyncio.Event()

        async def register(token: str, pile: list[dict[str, Any]]) -> httpx.Response:
            await start.wait()
            headers = {"Authorization": f"Bearer {token}"}
            return await http.post("/api/v1/cards/vouchers", json={"vouchers": pile}, headers=headers)

        tasks = [asyncio.create_task(register(t, p)) for t, p in zip(tokens, piles, strict=True)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def test_a_voucher_pile_registered_by_many_at_once_counts_each_voucher_once(
    two_workers: LiveServer, demo_venue: DemoVenue
) -> None:
    first, second = _card(two_workers, demo_venue, 5000), _card(two_workers, demo_venue, 3000)
    taken = datetime.now(UTC).isoformat()
    pile = [
        {"voucher": "V-1", "card": first["number"], "amount_cents": 1000, "taken_at": taken},
        {"voucher": "V-2", "card": second["number"], "amount_cents": 500, "taken_at": taken},
        {"voucher": "V-3", "card": first["number"], "amount_cents": 250, "taken_at": taken},
    ]
    # Twelve sellers at once, half of them with the pile in the other order (the cards' too).
    tokens = [demo_venue.box_office_token, demo_venue.admin_token] * 6
    piles = [pile if i % 2 else pile[::-1] for i in range(len(tokens))]
    responses = asyncio.run(_register_together(two_workers, tokens, piles))
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses if r.status_code != 200][:3]
    outcomes = Counter(o["outcome"] for r in responses for o in r.json()["results"])
    assert outcomes == {"registered": 3, "duplicate": 3 * (len(tokens) - 1)}
    with two_workers.client(demo_venue.viewer_token) as viewer:
        balances = [viewer.get(f"/api/v1/cards/{c['number']}").json()["balance_cents"] for c in (first, second)]
    assert balances == [5000 - 1000 - 250, 3000 - 500]

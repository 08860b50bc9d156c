"""Concurrency against real server processes with several workers, on each backend."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import httpx
import pytest

from admission.demo import DemoVenue
from tests.support.live_server import LiveServer, running_server


@pytest.fixture
def two_workers(demo_venue: DemoVenue) -> LiveServer:  # type: ignore[misc]
    with running_server(demo_venue, workers=2) as server:
        yield server


async def scan_many(server: LiveServer, venue: DemoVenue, code: str, count: int) -> list[dict]:  # type: ignore[type-arg]
    gates = ["Main gate", "North gate"]

    async def one(i: int) -> dict:  # type: ignore[type-arg]
        gate = gates[i % 2]
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {venue.gate_tokens[gate]}"}, timeout=30
        ) as client:
            response = await client.post(
                "/api/v1/scans", json={"code": code, "gate": gate, "nonce": str(uuid.uuid4())}
            )
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]

    return await asyncio.gather(*(one(i) for i in range(count)))


def test_concurrent_scans_of_one_single_entry_ticket_admit_exactly_one(
    two_workers: LiveServer, demo_venue: DemoVenue
) -> None:
    tickets = [t for t in demo_venue.tickets if t.template == "Day ticket"][:3]
    for ticket in tickets:
        answers = asyncio.run(scan_many(two_workers, demo_venue, ticket.code, 16))
        verdicts = sorted(a["reason"] for a in answers)
        assert verdicts == ["already_used"] * 15 + ["ok"], [(a["reason"], a["message"]) for a in answers]


def test_concurrent_replays_of_one_nonce_register_once(
    two_workers: LiveServer, demo_venue: DemoVenue
) -> None:
    ticket = next(t for t in demo_venue.tickets if t.template == "10-visit card")
    token = demo_venue.gate_tokens["Main gate"]

    async def replay() -> list[dict]:  # type: ignore[type-arg]
        async with httpx.AsyncClient(
            base_url=two_workers.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            body = {"code": ticket.number, "gate": "Main gate", "nonce": "one-nonce"}
            responses = await asyncio.gather(*(client.post("/api/v1/scans", json=body) for _ in range(12)))
        return [r.json() for r in responses]

    answers = asyncio.run(replay())
    assert all(a == answers[0] for a in answers)
    with two_workers.client(demo_venue.viewer_token) as viewer:
        detail = viewer.get(f"/api/v1/tickets/{ticket.number}").json()
    assert len(detail["passages"]) == 1 and detail["entries_left"] == 9


def test_long_polling_gate_learns_a_scan_at_another_gate_within_seconds(
    two_workers: LiveServer, demo_venue: DemoVenue
) -> None:
    with two_workers.client(demo_venue.gate_tokens["North gate"], timeout=40) as north:
        cursor = north.get("/api/v1/sync/changes", params={"limit": 10_000}).json()["cursor"]
        received: dict[str, float] = {}

        def long_poll() -> None:
            page = north.get("/api/v1/sync/changes", params={"since": cursor, "wait": 30}).json()
            if any(c["kind"] == "passage" for c in page["changes"]):
                received["at"] = time.monotonic()

        watcher = threading.Thread(target=long_poll)
        watcher.start()
        time.sleep(0.5)  # the poll is waiting now
        ticket = demo_venue.tickets[0]
        with two_workers.client(demo_venue.gate_tokens["Main gate"]) as main:
            scanned_at = time.monotonic()
            main.post("/api/v1/scans", json={"code": ticket.number, "gate": "Main gate", "nonce": "lp-1"})
        watcher.join(timeout=35)
    assert "at" in received, "the long poll did not return the passage"
    assert received["at"] - scanned_at < 3.0

"""End to end: the real service process on a loopback port, spoken to over HTTP."""

from __future__ import annotations

import uuid

from admission.demo import DemoVenue
from tests.support.live_server import LiveServer


def test_scan_over_http_admits_once_and_feed_carries_the_passage(
    live_server: LiveServer, demo_venue: DemoVenue
) -> None:
    ticket = next(t for t in demo_venue.tickets if t.template == "Day ticket")
    with (
        live_server.client(demo_venue.gate_tokens["Main gate"]) as gate,
        live_server.client(demo_venue.gate_tokens["North gate"]) as north,
    ):
        first = gate.post(
            "/api/v1/scans", json={"code": ticket.code, "gate": "Main gate", "nonce": str(uuid.uuid4())}
        )
        second = north.post(
            "/api/v1/scans", json={"code": ticket.number, "gate": "North gate", "nonce": str(uuid.uuid4())}
        )
        assert (first.status_code, first.json()["verdict"]) == (200, "admit")
        assert second.json()["reason"] == "already_used"
        assert "Main gate" in second.json()["message"]
        page = gate.get("/api/v1/sync/changes", params={"since": 0, "limit": 10_000}).json()
    passages = [c for c in page["changes"] if c["kind"] == "passage"]
    assert [p["data"]["ticket_serial"] for p in passages] == [ticket.serial]


def test_unauthenticated_calls_are_refused_with_problem_details(live_server: LiveServer) -> None:
    import httpx

    response = httpx.post(f"{live_server.url}/api/v1/scans", json={"code": "x", "gate": "g", "nonce": "n"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")

"""Numbers no column can hold are the caller's mistake (4xx, problem details), on every backend,
never a database failure (500)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer

HUGE = [2**31, 2**63, 2**64 + 5, 10**30]


@pytest.mark.parametrize("number", HUGE)
def test_request_bodies_refuse_numbers_beyond_their_columns(client: TestClient, venue: DemoVenue, number: int) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    attempts = [
        ("/api/v1/tickets/issue", {"template_id": number, "count": 1}),
        ("/api/v1/tickets/issue", {"template_id": 1, "event_id": number, "count": 1}),
        ("/api/v1/templates", {"name": "Huge price", "price_cents": number}),
        ("/api/v1/templates", {"name": "Huge fallback", "fallback_template_id": number}),
        ("/api/v1/templates", {"name": "Huge entries", "max_entries": number}),
        ("/api/v1/events", {"name": "Huge", "starts_at": "2026-06-01T18:00:00Z", "ends_at": "2026-06-01T22:00:00Z", "capacity": number}),
        ("/api/v1/events", {"name": "Huge", "starts_at": "2026-06-01T18:00:00Z", "ends_at": "2026-06-01T22:00:00Z", "template_ids": [number]}),
        ("/api/v1/gates", {"name": "Huge gate", "zone": "zoo", "event_id": number}),
        ("/api/v1/outages", {"client_ref": "o-1", "started_at": "2026-06-01T10:00:00Z", "passages_offline": number}),
    ]
    for path, body in attempts:
        response = client.post(path, json=body, headers=admin)
        assert 400 <= response.status_code < 500, (path, body, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), (path, response.text)


def test_an_overlong_override_reason_is_refused_alike_on_every_backend(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    passage = {"nonce": "override-long-1", "code": ticket.number, "gate": "Main gate", "direction": "in",
               "scanned_at": "2026-06-01T10:00:00Z", "local_verdict": "admit", "local_reason": "ok",
               "override_reason": "x" * 301}  # fmt: skip
    response = client.post(
        "/api/v1/passages/batch",
        json={"device": "gate-main", "passages": [passage]},
        headers=bearer(venue.gate_tokens["Main gate"]),
    )
    assert response.status_code == 400, response.text
    assert "override_reason" in response.text
    passage["override_reason"] = "Ticket on a phone with a cracked screen, checked by hand " * 3
    response = client.post(
        "/api/v1/passages/batch",
        json={"device": "gate-main", "passages": [passage]},
        headers=bearer(venue.gate_tokens["Main gate"]),
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("row", ["0", "-5", str(2**31), str(-(10**30))])
def test_path_ids_beyond_any_row_are_refused(client: TestClient, venue: DemoVenue, row: str) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    for method, path in [
        ("GET", f"/api/v1/sales/{row}"),
        ("POST", f"/api/v1/sales/{row}/refund"),
        ("GET", f"/api/v1/templates/{row}"),
        ("GET", f"/api/v1/events/{row}"),
        ("POST", f"/api/v1/devices/{row}/revoke"),
        ("POST", f"/api/v1/notices/{row}/end"),
    ]:
        response = client.request(method, path, headers=admin, json={} if method == "POST" else None)
        assert response.status_code == 400, (method, path, response.status_code, response.text)


@pytest.mark.parametrize("cursor", [str(2**63), str(10**30)])
def test_feed_cursors_beyond_64_bits_are_refused(client: TestClient, venue: DemoVenue, cursor: str) -> None:  # type: ignore[type-arg]
    gate = bearer(venue.gate_tokens["Main gate"])
    response = client.get(f"/api/v1/sync/changes?since={cursor}", headers=gate)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    # The largest cursor the feed can hold is a valid question with an empty answer.
    response = client.get(f"/api/v1/sync/changes?since={2**63 - 1}", headers=gate)
    assert response.status_code == 200, response.text
    assert response.json()["changes"] == []

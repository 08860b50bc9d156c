from __future__ import annotations

from admission.demo import DemoVenue
from tests.support.venues import bearer


def test_scan_admits_then_rejects_second_use(client, venue: DemoVenue) -> None:  # type: ignore[no-untyped-def]
    ticket = next(t for t in venue.tickets if t.template == "Concert ticket")
    gate_token = venue.gate_tokens["Main gate"]
    body = {"code": ticket.number, "gate": "Arena door", "nonce": "n-1"}
    first = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Arena door"]))
    assert first.status_code == 200, first.text
    print(first.json())
    assert gate_token

"""A worker's copy of the scan catalogue outlives every request, refused ones included.

Found by a tester: after a catalogue change, if the first upload a worker handled was refused,
every later scan and batch on that worker answered 500 until the catalogue changed again (the
copy was read inside the refused upload's transaction, and its rollback spoiled it), and the
venue's gates dropped to offline. Runs on each configured backend.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer


def day_tickets(venue: DemoVenue) -> list[str]:
    return [t.number for t in venue.tickets if t.template == "Day ticket"]


def upload(client: TestClient, venue: DemoVenue, device: str, code: str, nonce: str) -> int:  # type: ignore[type-arg]
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    passage = {"nonce": nonce, "code": code, "gate": "Main gate", "direction": "in", "scanned_at": at,
               "local_verdict": "admit", "local_reason": "ok"}  # fmt: skip
    response = client.post(
        "/api/v1/passages/batch",
        json={"device": device, "passages": [passage]},
        headers=bearer(venue.gate_tokens["Main gate"]),
    )
    return response.status_code


def scan(client: TestClient, venue: DemoVenue, code: str, nonce: str) -> int:  # type: ignore[type-arg]
    body = {"code": code, "gate": "Main gate", "nonce": nonce}
    response = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Main gate"]))
    return response.status_code


def test_a_refused_first_upload_after_a_catalogue_change_leaves_scans_working(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    codes = day_tickets(venue)
    assert scan(client, venue, codes[0], "before-change") == 200
    created = client.post(
        "/api/v1/gates", json={"name": "East gate", "zone": "zoo"}, headers=bearer(venue.admin_token)
    )
    assert created.status_code == 201, created.text
    # The worker's first upload since the change: another device's name, so it is refused.
    assert upload(client, venue, "someone-else", codes[1], "refused-upload") == 403
    assert scan(client, venue, codes[2], "after-refusal") == 200
    assert upload(client, venue, "gate-main", codes[3], "accepted-upload") == 200
    assert scan(client, venue, codes[4], "after-upload") == 200

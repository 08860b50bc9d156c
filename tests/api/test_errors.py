"""Bad input of every category gets a 4xx problem-details answer and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer

GATE = "Main gate"


def counts(client: TestClient, venue: DemoVenue) -> tuple[int, int]:  # type: ignore[type-arg]
    """(changes in the feed, templates): what a wrongly accepted request would have grown."""
    feed = client.get(
        "/api/v1/sync/changes", params={"limit": 10_000}, headers=bearer(venue.gate_tokens[GATE])
    )
    templates = client.get("/api/v1/templates", headers=bearer(venue.admin_token))
    return len(feed.json()["changes"]), len(templates.json())


def forged_code(venue: DemoVenue) -> str:
    """A genuine code with one symbol changed: the signature no longer matches."""
    code = venue.tickets[0].code
    return code[:-5] + ("B" if code[-5] != "B" else "C") + code[-4:]


def unknown_key_code() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from admission.domain.codes import SignedTicket, sign_ticket

    return sign_ticket(SignedTicket(key_id=77, serial=12345, template_id=1), Ed25519PrivateKey.generate())


CASES: list[tuple[str, str, str, str, Any, int]] = [
    # (id, role, method, path, body or raw bytes, status)
    ("malformed-json", "gate", "POST", "/api/v1/scans", b'{"code": ', 400),
    ("wrong-types", "gate", "POST", "/api/v1/scans", {"code": 5, "gate": GATE, "nonce": "n"}, 400),
    ("missing-field", "gate", "POST", "/api/v1/scans", {"code": "1"}, 400),
    ("unknown-gate", "gate", "POST", "/api/v1/scans", {"code": "1", "gate": "Nowhere", "nonce": "n"}, 422),
    ("future-scan-time", "gate", "POST", "/api/v1/scans",
     {"code": "1", "gate": GATE, "nonce": "n", "scanned_at": "2999-01-01T00:00:00Z"}, 422),
    ("naive-scan-time", "gate", "POST", "/api/v1/scans",
     {"code": "1", "gate": GATE, "nonce": "n", "scanned_at": "2026-01-01T00:00:00"}, 422),
    ("overlong-code", "gate", "POST", "/api/v1/scans", {"code": "9" * 5000, "gate": GATE, "nonce": "n"}, 400),
    ("unknown-template", "admin", "GET", "/api/v1/templates/9999", None, 404),
    ("unknown-event", "admin", "GET", "/api/v1/events/9999", None, 404),
    ("unknown-ticket", "admin", "GET", "/api/v1/tickets/0000000000000", None, 404),
    ("not-a-ticket-ref", "admin", "GET", "/api/v1/tickets/hello", None, 422),
    ("issue-unknown-template", "admin", "POST", "/api/v1/tickets/issue", {"template_id": 9999}, 404),
    ("issue-too-many", "admin", "POST", "/api/v1/tickets/issue", {"template_id": 1, "count": 10_001}, 400),
    ("issue-zero", "admin", "POST", "/api/v1/tickets/issue", {"template_id": 1, "count": 0}, 400),
    ("issue-entry-for-event", "admin", "POST", "/api/v1/tickets/issue", {"template_id": 1, "event_id": 1}, 422),
    ("duplicate-template", "admin", "POST", "/api/v1/templates", {"name": "Day ticket"}, 409),
    ("template-bad-window", "admin", "POST", "/api/v1/templates",
     {"name": "W", "valid_from": "2026-02-01T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"}, 422),
    ("template-days-missing", "admin", "POST", "/api/v1/templates", {"name": "D", "validity_mode": "days_from_sale"}, 422),
    ("template-negative-price", "admin", "POST", "/api/v1/templates", {"name": "P", "price_cents": -1}, 400),
    ("event-ends-before-start", "admin", "POST", "/api/v1/events",
     {"name": "E", "starts_at": "2026-02-01T20:00:00Z", "ends_at": "2026-02-01T19:00:00Z"}, 422),
    ("venue-bad-timezone", "admin", "PUT", "/api/v1/venue", {"name": "V", "timezone": "Mars/Olympus"}, 422),
    ("batch-other-device", "gate", "POST", "/api/v1/passages/batch", {"device": "someone-else", "passages": []}, 403),
    ("batch-oversized", "gate", "POST", "/api/v1/passages/batch",
     {"device": "gate-main", "passages": [
         {"nonce": f"n{i}", "code": "1", "gate": GATE, "direction": "in", "scanned_at": "2026-01-01T00:00:00Z",
          "local_verdict": "admit", "local_reason": "ok"} for i in range(5001)]}, 400),
    ("feed-negative-cursor", "gate", "GET", "/api/v1/sync/changes?since=-1", None, 400),
    ("feed-huge-page", "gate", "GET", "/api/v1/sync/changes?limit=1000000", None, 400),
    ("gate-creates-template", "gate", "POST", "/api/v1/templates", {"name": "X"}, 403),
    ("viewer-scans", "viewer", "POST", "/api/v1/scans", {"code": "1", "gate": GATE, "nonce": "n"}, 403),
    ("box-office-makes-devices", "box_office", "POST", "/api/v1/devices", {"name": "d", "role": "admin"}, 403),
    ("gate-voids-ticket", "gate", "POST", "/api/v1/tickets/0000000000000/void", {}, 403),
    ("annul-unknown-nonce", "gate", "POST", "/api/v1/scans/nope/annul", None, 404),
]  # fmt: skip


def token_for(venue: DemoVenue, role: str) -> str:
    return {
        "admin": venue.admin_token,
        "gate": venue.gate_tokens[GATE],
        "viewer": venue.viewer_token,
        "box_office": venue.box_office_token,
    }[role]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gets_problem_details_and_changes_nothing(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
    role: str,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    before = counts(client, venue)
    headers = {**bearer(token_for(venue, role)), "content-type": "application/json"}
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    response = client.request(method, path, headers=headers, **(kwargs if body is not None else {}))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status and problem["title"]
    assert counts(client, venue) == before


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer adm_not-a-token", "Basic dXNlcjpwYXNz"])
def test_missing_or_wrong_token_is_401(client: TestClient, header: str | None) -> None:  # type: ignore[type-arg]
    response = client.get("/api/v1/templates", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_revoked_device_token_stops_working(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    created = client.post("/api/v1/devices", json={"name": "gate-temp", "role": "gate"}, headers=admin).json()
    assert client.get("/api/v1/gates", headers=bearer(created["token"])).status_code == 200
    revoked = client.post(f"/api/v1/devices/{created['device']['id']}/revoke", headers=admin)
    assert revoked.json()["revoked"] is True
    assert client.get("/api/v1/gates", headers=bearer(created["token"])).status_code == 401


@pytest.mark.parametrize("code_kind", ["garbage", "binary", "forged", "unknown-key", "unknown-number"])
def test_bad_codes_are_rejected_as_invalid_and_recorded(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
    code_kind: str,
) -> None:
    code = {
        "garbage": "hello world",
        "binary": "\x00\x1b[2J\xff\xfe",
        "forged": forged_code(venue),
        "unknown-key": unknown_key_code(),
        "unknown-number": "0000000000000",
    }[code_kind]
    scan = {"code": code, "gate": GATE, "nonce": f"bad-{code_kind}"}
    answer = client.post("/api/v1/scans", json=scan, headers=bearer(venue.gate_tokens[GATE]))
    assert answer.status_code == 200
    assert (answer.json()["verdict"], answer.json()["reason"]) == ("reject", "invalid")
    again = client.post("/api/v1/scans", json=scan, headers=bearer(venue.gate_tokens[GATE]))
    assert again.json() == answer.json()


def test_nul_characters_in_text_are_refused_not_a_500(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/gates", json={"name": "a\x00b", "zone": "zoo"}, headers=bearer(venue.admin_token)
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")

"""Sale nonces: each is its device's own, and a till cancels an unanswered attempt by its nonce so
that the request, should it still arrive, records nothing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.box_office.conftest import admin, nonce, sale_body, seller
from tests.box_office.signing import register_till_key
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]


def _concert(venue: DemoVenue, seats: int = 2, **extra: Any) -> dict[str, Any]:
    return sale_body([{"plu": "200", "event_id": venue.event_id, "quantity": seats}], amount=10_000, **extra)


def _sold(client: Client, venue: DemoVenue) -> int:
    return int(client.get(f"/api/v1/events/{venue.event_id}", headers=seller(venue)).json()["sold"])


def _cancel(client: Client, token: str, sale_nonce: str) -> Any:
    return client.post(f"/api/v1/sales/by-nonce/{sale_nonce}/cancel", headers=bearer(token))


def _second_box_office(client: Client, venue: DemoVenue) -> str:
    made = client.post(
        "/api/v1/devices", json={"name": "box-office-2", "role": "box_office"}, headers=admin(venue)
    )
    assert made.status_code == 201, made.text
    return str(made.json()["token"])


def test_an_attempt_cancelled_before_its_request_arrives_is_refused_and_counted_nowhere(
    client: Client, demo_venue: DemoVenue
) -> None:
    sold, report = (
        _sold(client, demo_venue),
        client.get("/api/v1/sales/report", headers=seller(demo_venue)).json(),
    )
    body = _concert(demo_venue)
    cancelled = _cancel(client, demo_venue.box_office_token, body["nonce"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["sale"] is None and cancelled.json()["cancelled_at"]

    late = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert late.status_code == 409, late.text
    assert late.headers["content-type"].startswith("application/problem+json")
    assert "cancelled" in late.json()["detail"] and "no tickets" in late.json()["detail"]

    assert (
        client.get("/api/v1/sales", params={"nonce": body["nonce"]}, headers=seller(demo_venue)).json() == []
    )
    assert _sold(client, demo_venue) == sold
    assert client.get("/api/v1/sales/report", headers=seller(demo_venue)).json() == report
    # Asking again (the answer to the first cancellation was lost) gives the same answer.
    assert _cancel(client, demo_venue.box_office_token, body["nonce"]).json() == cancelled.json()


def test_an_offline_sale_under_a_cancelled_nonce_is_refused_too(
    client: Client, demo_venue: DemoVenue
) -> None:
    till = register_till_key(client, demo_venue.box_office_token)
    day = client.get("/api/v1/templates", params={"plu": "100"}, headers=seller(demo_venue)).json()[0]["id"]
    body = sale_body(
        [{"template_id": day, "quantity": 1, "unit_price_cents": 2500}],
        amount=2500,
        offline=True,
        sold_at="2026-01-01T10:00:00+00:00",
        tickets=[till.sign(day)],
    )
    assert _cancel(client, demo_venue.box_office_token, body["nonce"]).status_code == 200
    assert client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).status_code == 409
    code = body["tickets"][0]
    assert client.get(f"/api/v1/tickets/{code}", headers=seller(demo_venue)).status_code == 404


def test_cancelling_after_the_sale_arrived_answers_with_the_sale(
    client: Client, demo_venue: DemoVenue
) -> None:
    body = _concert(demo_venue)
    recorded = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert recorded.status_code == 201
    found = _cancel(client, demo_venue.box_office_token, body["nonce"])
    assert found.status_code == 200
    assert found.json() == {"nonce": body["nonce"], "sale": recorded.json(), "cancelled_at": None}
    # Nothing was cancelled: the till refunds it (or keeps it); a re-send still replays it.
    again = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert (again.status_code, again.json()) == (200, recorded.json())


def test_only_box_offices_cancel_and_nonces_are_bounded(client: Client, demo_venue: DemoVenue) -> None:
    assert _cancel(client, demo_venue.gate_tokens["Main gate"], nonce()).status_code == 403
    assert _cancel(client, demo_venue.viewer_token, nonce()).status_code == 403
    assert _cancel(client, demo_venue.box_office_token, "n" * 101).status_code == 400


def test_a_nonce_is_its_devices_own(client: Client, demo_venue: DemoVenue) -> None:
    other = _second_box_office(client, demo_venue)
    shared = nonce()
    mine = client.post("/api/v1/sales", json=_concert(demo_venue, nonce=shared), headers=seller(demo_venue))
    theirs = client.post("/api/v1/sales", json=_concert(demo_venue, 1, nonce=shared), headers=bearer(other))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"] and theirs.json()["device"] == "box-office-2"

    def by_nonce(token: str) -> list[int]:
        found = client.get("/api/v1/sales", params={"nonce": shared}, headers=bearer(token)).json()
        return sorted(s["id"] for s in found)

    assert by_nonce(demo_venue.box_office_token) == [mine.json()["id"]]
    assert by_nonce(other) == [theirs.json()["id"]]
    assert by_nonce(demo_venue.admin_token) == sorted([mine.json()["id"], theirs.json()["id"]])

    # A till cannot cancel (or pre-claim) another's nonce: it cancels only its own attempt.
    unused = nonce()
    assert _cancel(client, other, unused).json()["cancelled_at"]
    assert (
        client.post(
            "/api/v1/sales", json=_concert(demo_venue, nonce=unused), headers=seller(demo_venue)
        ).status_code
        == 201
    )
    assert _cancel(client, other, shared).json()["sale"]["id"] == theirs.json()["id"]


def test_a_repeated_nonce_with_another_body_is_a_conflict_never_a_second_sale(
    client: Client, demo_venue: DemoVenue
) -> None:
    body = _concert(demo_venue)
    first = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    sold = _sold(client, demo_venue)
    other = client.post(
        "/api/v1/sales",
        json={**body, "lines": [{**body["lines"][0], "quantity": 3}]},
        headers=seller(demo_venue),
    )
    assert other.status_code == 409 and "another sale" in other.json()["detail"]
    same = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert (first.status_code, same.status_code) == (201, 200) and same.json() == first.json()
    assert _sold(client, demo_venue) == sold
    assert (
        len(client.get("/api/v1/sales", params={"nonce": body["nonce"]}, headers=seller(demo_venue)).json())
        == 1
    )


@pytest.mark.parametrize("field", ["payment", "buyer_email"])
def test_any_difference_in_the_request_is_another_sale(
    client: Client, demo_venue: DemoVenue, field: str
) -> None:
    body = _concert(demo_venue)
    assert client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).status_code == 201
    changed = {
        **body,
        field: {"method": "cash", "amount_cents": 20_000} if field == "payment" else "a@b.example",
    }
    assert client.post("/api/v1/sales", json=changed, headers=seller(demo_venue)).status_code == 409

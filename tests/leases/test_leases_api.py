"""Capacity leases through the API: granting reserves seats (never beyond capacity), an offline
till's event sale counts within its lease once, returning frees once, and sales beyond a lease
are recorded and flagged with the overbooking shown."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.box_office.conftest import admin, sale_body, seller
from tests.box_office.signing import TillKey, register_till_key
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]
CONCERT_PRICE = 3500


def _event(client: Client, venue: DemoVenue) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/events/{venue.event_id}", headers=seller(venue)).json())


def _concert(client: Client, venue: DemoVenue) -> int:
    return int(client.get("/api/v1/templates", params={"plu": "200"}, headers=seller(venue)).json()[0]["id"])


def _set_capacity(client: Client, venue: DemoVenue, free: int) -> dict[str, Any]:
    event = _event(client, venue)
    event["capacity"] = event["sold"] + event["leased"] + free
    body = {
        k: event[k]
        for k in ("name", "starts_at", "ends_at", "doors_open_minutes", "capacity", "template_ids")
    }
    response = client.put(f"/api/v1/events/{venue.event_id}", json=body, headers=admin(venue))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _grant(client: Client, venue: DemoVenue, seats: int, **extra: Any) -> Any:
    body = {"event_id": venue.event_id, "device": "box-office-1", "seats": seats, **extra}
    return client.post("/api/v1/leases", json=body, headers=admin(venue))


def _leased_sale(
    till: TillKey, template_id: int, event_id: int, quantity: int, sold_at: datetime | None = None
) -> dict[str, Any]:
    sold_at = (sold_at or datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    return sale_body(
        [
            {
                "template_id": template_id,
                "event_id": event_id,
                "quantity": quantity,
                "unit_price_cents": CONCERT_PRICE,
            }
        ],
        amount=CONCERT_PRICE * quantity,
        offline=True,
        sold_at=sold_at.isoformat(),
        tickets=[till.sign(template_id, event_id, issued_at=sold_at) for _ in range(quantity)],
    )


def test_a_grant_beyond_the_seats_left_is_a_clear_409_and_reserves_nothing(
    client: Client, demo_venue: DemoVenue
) -> None:
    before = _set_capacity(client, demo_venue, 5)
    refused = _grant(client, demo_venue, 6)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "5 left" in refused.json()["detail"]
    assert _event(client, demo_venue)["remaining"] == before["remaining"] == 5

    granted = _grant(client, demo_venue, 5)
    assert granted.status_code == 201, granted.text
    lease = granted.json()
    assert (lease["seats"], lease["left"], lease["state"], lease["device"]) == (
        5,
        5,
        "active",
        "box-office-1",
    )
    assert lease["expires_at"] == _event(client, demo_venue)["ends_at"]  # the event's end by default
    event = _event(client, demo_venue)
    assert (event["sold"], event["leased"], event["remaining"]) == (before["sold"], 5, 0)
    # The seats are gone for online buyers.
    online = client.post(
        "/api/v1/sales",
        json=sale_body(
            [{"plu": "200", "event_id": demo_venue.event_id, "quantity": 1}], amount=CONCERT_PRICE
        ),
        headers=seller(demo_venue),
    )
    assert online.status_code == 409 and "sold out" in online.json()["detail"]


def test_grants_refuse_what_no_device_could_use(client: Client, demo_venue: DemoVenue) -> None:
    ends = datetime.fromisoformat(_event(client, demo_venue)["ends_at"])
    cases = [
        ({"device": "gate-main"}, 422, "cannot hold a lease"),
        ({"device": "nobody"}, 404, "no device is named"),
        ({"expires_at": (ends + timedelta(minutes=1)).isoformat()}, 422, "at the latest"),
        ({"expires_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}, 422, "expired already"),
        ({"seats": 0}, 400, ""),
    ]
    for extra, status, words in cases:
        body = {"event_id": demo_venue.event_id, "device": "box-office-1", "seats": 2, **extra}
        response = client.post("/api/v1/leases", json=body, headers=admin(demo_venue))
        assert response.status_code == status, (extra, response.text)
        assert words in response.json()["detail"]
    assert _grant(client, demo_venue, 2).status_code == 201
    again = _grant(client, demo_venue, 2)
    assert again.status_code == 409 and "return it first" in again.json()["detail"]
    # Only a manager grants; a gate reads no leases.
    assert client.post("/api/v1/leases", json={}, headers=seller(demo_venue)).status_code == 403
    assert (
        client.get("/api/v1/leases", headers=bearer(demo_venue.gate_tokens["Main gate"])).status_code == 403
    )


def test_an_offline_sale_within_the_lease_counts_once_and_the_return_frees_the_rest_once(
    client: Client, demo_venue: DemoVenue
) -> None:
    before = _set_capacity(client, demo_venue, 10)
    lease = _grant(client, demo_venue, 4).json()
    till = register_till_key(client, demo_venue.box_office_token)
    body = _leased_sale(till, _concert(client, demo_venue), demo_venue.event_id, 3)
    posted = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert posted.status_code == 201, posted.text
    assert all(t["event_id"] == demo_venue.event_id for t in posted.json()["tickets"])
    resent = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert resent.status_code == 200  # the same sale, registered once
    event = _event(client, demo_venue)
    assert (event["sold"], event["leased"], event["remaining"]) == (before["sold"] + 3, 1, 6)
    mine = client.get("/api/v1/leases", headers=seller(demo_venue)).json()
    assert [(m["id"], m["sold"], m["left"]) for m in mine] == [(lease["id"], 3, 1)]
    assert client.get("/api/v1/leases/conflicts", headers=admin(demo_venue)).json() == []

    for _ in range(2):  # a retried return frees nothing more
        returned = client.post(f"/api/v1/leases/{lease['id']}/return", headers=seller(demo_venue))
        assert returned.status_code == 200, returned.text
        assert (returned.json()["state"], returned.json()["returned"], returned.json()["left"]) == (
            "returned",
            1,
            0,
        )
        event = _event(client, demo_venue)
        assert (event["sold"], event["leased"], event["remaining"]) == (before["sold"] + 3, 0, 7)


def test_a_sale_beyond_its_lease_or_after_revocation_is_recorded_and_flagged_with_the_overbooking(
    client: Client, demo_venue: DemoVenue
) -> None:
    before = _set_capacity(client, demo_venue, 2)
    lease = _grant(client, demo_venue, 2).json()
    till = register_till_key(client, demo_venue.box_office_token)
    concert = _concert(client, demo_venue)
    over = client.post(
        "/api/v1/sales", json=_leased_sale(till, concert, demo_venue.event_id, 3), headers=seller(demo_venue)
    )
    assert over.status_code == 201, over.text  # the guests hold their tickets
    revoked = client.post(f"/api/v1/leases/{lease['id']}/revoke", headers=admin(demo_venue))
    assert (
        revoked.status_code == 200
        and revoked.json()["state"] == "revoked"
        and revoked.json()["returned"] == 0
    )
    assert client.post(f"/api/v1/leases/{lease['id']}/revoke", headers=seller(demo_venue)).status_code == 403
    late = client.post(
        "/api/v1/sales", json=_leased_sale(till, concert, demo_venue.event_id, 1), headers=seller(demo_venue)
    )
    assert late.status_code == 201, late.text
    event = _event(client, demo_venue)
    assert (event["sold"], event["leased"], event["remaining"]) == (before["sold"] + 4, 0, 0)
    assert event["sold"] == event["capacity"] + 2  # the truth, not clamped
    conflicts = client.get("/api/v1/leases/conflicts", headers=bearer(demo_venue.viewer_token)).json()
    assert [(c["sale_id"], c["beyond"], c["overbooked"], c["reason"], c["lease_id"]) for c in conflicts] == [
        (late.json()["id"], 1, 2, "lease_ended", lease["id"]),
        (over.json()["id"], 1, 1, "lease_full", lease["id"]),
    ]


def test_a_sale_after_the_lease_expired_or_without_a_lease_is_a_conflict(
    client: Client, demo_venue: DemoVenue
) -> None:
    _set_capacity(client, demo_venue, 10)
    till = register_till_key(client, demo_venue.box_office_token)
    concert = _concert(client, demo_venue)
    no_lease = client.post(
        "/api/v1/sales", json=_leased_sale(till, concert, demo_venue.event_id, 1), headers=seller(demo_venue)
    )
    assert no_lease.status_code == 201, no_lease.text
    expires = datetime.now(UTC) + timedelta(minutes=2)
    assert _grant(client, demo_venue, 3, expires_at=expires.isoformat()).status_code == 201
    after = _leased_sale(till, concert, demo_venue.event_id, 1, sold_at=expires + timedelta(minutes=3))
    late = client.post("/api/v1/sales", json=after, headers=seller(demo_venue))
    assert late.status_code == 201, late.text
    reasons = [c["reason"] for c in client.get("/api/v1/leases/conflicts", headers=admin(demo_venue)).json()]
    assert reasons == ["lease_expired", "no_lease"]


def test_a_holder_sees_and_returns_only_its_own_leases(client: Client, demo_venue: DemoVenue) -> None:
    other = client.post(
        "/api/v1/devices", json={"name": "box-office-2", "role": "box_office"}, headers=admin(demo_venue)
    )
    assert other.status_code == 201, other.text
    lease = _grant(client, demo_venue, 1).json()
    other_token = bearer(other.json()["token"])
    assert client.get("/api/v1/leases", headers=other_token).json() == []
    assert client.post(f"/api/v1/leases/{lease['id']}/return", headers=other_token).status_code == 404
    assert len(client.get("/api/v1/leases", headers=admin(demo_venue)).json()) == 1


def test_a_gate_admits_an_event_ticket_sold_on_a_lease_for_its_event(
    client: Client, demo_venue: DemoVenue
) -> None:
    _set_capacity(client, demo_venue, 5)
    _grant(client, demo_venue, 2)
    till = register_till_key(client, demo_venue.box_office_token)
    body = _leased_sale(till, _concert(client, demo_venue), demo_venue.event_id, 2)
    first, second = body["tickets"]
    gate = bearer(demo_venue.gate_tokens["Arena entrance"])

    def scan(code: str) -> dict[str, Any]:
        request = {"code": code, "gate": "Arena entrance", "nonce": str(uuid.uuid4())}
        response = client.post("/api/v1/scans", json=request, headers=gate)
        assert response.status_code == 200, response.text
        return dict(response.json())

    # Before the sale reaches the service, the code alone; after, the registered ticket.
    assert scan(first)["verdict"] == "admit"
    assert client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).status_code == 201
    assert scan(second)["verdict"] == "admit"
    assert scan(first)["reason"] == "already_used"

"""What receipts print about the venue (address, VAT number, standard VAT rate) and a template's
own VAT rate: set by an admin, shown to readers, and carried to the tills by the change feed."""

from __future__ import annotations

from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer

RECEIPT = {"address": ["Djurgårdsvägen 1", "115 21 Stockholm"], "vat_number": "SE556677889901", "vat_rate": 25.5}


def _feed_venue(client: TestClient, token: str) -> dict:  # type: ignore[type-arg]
    page = client.get("/api/v1/sync/changes", params={"since": 0, "limit": 10000}, headers=bearer(token)).json()
    return [c["data"] for c in page["changes"] if c["kind"] == "venue"][-1]


def test_an_admin_sets_the_receipt_details_and_tills_get_them_from_the_feed(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    answer = client.put("/api/v1/venue/receipt", json=RECEIPT, headers=bearer(venue.admin_token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["vat_rate"] == 25.5
    shown = client.get("/api/v1/venue", headers=bearer(venue.viewer_token)).json()
    assert (shown["address"], shown["vat_number"], shown["vat_rate"]) == (
        RECEIPT["address"],
        "SE556677889901",
        25.5,
    )
    in_feed = _feed_venue(client, venue.box_office_token)
    assert (in_feed["address"], in_feed["vat_number"], in_feed["vat_rate"]) == (
        RECEIPT["address"],
        "SE556677889901",
        25.5,
    )
    # The venue's name and time zone are not touched by the receipt details, nor they by them.
    venue_now = client.get("/api/v1/venue", headers=bearer(venue.admin_token)).json()
    renamed = {"name": "Renamed zoo", "timezone": venue_now["timezone"]}
    assert client.put("/api/v1/venue", json=renamed, headers=bearer(venue.admin_token)).status_code == 200
    assert client.get("/api/v1/venue", headers=bearer(venue.admin_token)).json()["vat_number"] == "SE556677889901"


def test_only_an_admin_sets_the_receipt_details(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    for token in (venue.box_office_token, venue.viewer_token, venue.gate_tokens["Main gate"]):
        assert client.put("/api/v1/venue/receipt", json=RECEIPT, headers=bearer(token)).status_code == 403


def test_a_rate_with_three_decimals_or_above_100_is_a_problem_not_a_500(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    for rate in (25.555, 101, -1):
        answer = client.put("/api/v1/venue/receipt", json={**RECEIPT, "vat_rate": rate}, headers=admin)
        assert answer.status_code in (400, 422), answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    bad_template = {"name": "Odd rate", "vat_rate": 12.345}
    assert client.post("/api/v1/templates", json=bad_template, headers=admin).status_code in (400, 422)


def test_a_template_keeps_its_own_reduced_rate_and_the_feed_carries_it(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    created = client.post(
        "/api/v1/templates", json={"name": "Museum entry", "price_cents": 1500, "vat_rate": 7}, headers=admin
    )
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["vat_rate"] == 7
    updated = client.put(
        f"/api/v1/templates/{template['id']}",
        json={"name": "Museum entry", "price_cents": 1500, "vat_rate": None},
        headers=admin,
    )
    assert updated.json()["vat_rate"] is None  # back to the venue's standard rate
    page = client.get("/api/v1/sync/changes", params={"since": 0, "limit": 10000}, headers=admin).json()
    rates = [c["data"]["vat_rate"] for c in page["changes"] if c["kind"] == "template" and c["data"]["id"] == template["id"]]
    assert rates == [7, None]

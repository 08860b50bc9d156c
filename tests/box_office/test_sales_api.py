"""POST /api/v1/sales and friends: online and offline sales, payments, refunds, the report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.box_office.conftest import admin, sale_body, seller
from tests.box_office.signing import TillKey, register_till_key
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]


def _template_id(client: Client, venue: DemoVenue, plu: str) -> int:
    found = client.get("/api/v1/templates", params={"plu": plu}, headers=seller(venue)).json()
    assert len(found) == 1
    return int(found[0]["id"])


def _event(client: Client, venue: DemoVenue) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/events/{venue.event_id}", headers=seller(venue)).json())


def _sales_count(client: Client, venue: DemoVenue) -> int:
    return len(client.get("/api/v1/sales", headers=seller(venue)).json())


def _scan(client: Client, venue: DemoVenue, code: str, gate: str = "Main gate") -> dict[str, Any]:
    body = {"code": code, "gate": gate, "nonce": str(uuid.uuid4())}
    response = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens[gate]))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _offline_sale(till: TillKey, template_id: int, quantity: int, **extra: Any) -> dict[str, Any]:
    codes = [till.sign(template_id) for _ in range(quantity)]
    return sale_body(
        [{"template_id": template_id, "quantity": quantity, "unit_price_cents": 2500}],
        amount=2500 * quantity,
        offline=True,
        sold_at=(datetime.now(UTC) - timedelta(minutes=20)).isoformat(),
        tickets=codes,
        **extra,
    )


# ------------------------------------------------------------------ online ------------


def test_online_sale_issues_tickets_and_reserves_seats(client: Client, demo_venue: DemoVenue) -> None:
    sold_before = _event(client, demo_venue)["sold"]
    body = sale_body(
        [{"plu": "100", "quantity": 2}, {"plu": "200", "event_id": demo_venue.event_id, "quantity": 3}],
        amount=20_000,
    )
    response = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["total_cents"] == 2 * 2500 + 3 * 3500
    assert (sale["payment_method"], sale["offline"], sale["device"]) == ("cash", False, "box-office-1")
    assert len(sale["tickets"]) == 5 and all(t["number"] for t in sale["tickets"])
    assert _event(client, demo_venue)["sold"] == sold_before + 3
    assert _scan(client, demo_venue, sale["tickets"][0]["code"])["verdict"] == "admit"


def test_the_same_nonce_returns_the_same_sale_and_sells_nothing_more(
    client: Client, demo_venue: DemoVenue
) -> None:
    body = sale_body([{"plu": "200", "event_id": demo_venue.event_id, "quantity": 2}], amount=7000)
    first = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    sold = _event(client, demo_venue)["sold"]
    again = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _event(client, demo_venue)["sold"] == sold


@pytest.mark.parametrize(
    ("lines", "payment", "status", "message"),
    [
        (
            [{"plu": "999", "quantity": 1}],
            {"method": "cash", "amount_cents": 9999},
            422,
            "no template has PLU",
        ),
        ([{"plu": "100", "quantity": -2}], {"method": "cash", "amount_cents": 9999}, 400, ">= 1"),
        ([{"plu": "100", "quantity": 0}], {"method": "cash", "amount_cents": 9999}, 400, ">= 1"),
        (
            [{"plu": "100", "quantity": 2}],
            {"method": "cash", "amount_cents": 4999},
            422,
            "short of the total",
        ),
        ([{"plu": "100", "quantity": 1}], {"method": "cash", "amount_cents": -5}, 400, ">= 0"),
        (
            [{"plu": "100", "quantity": 1}],
            {"method": "card", "amount_cents": 2500, "card_brand": "diners"},
            422,
            "not accepted",
        ),
        (
            [{"plu": "100", "quantity": 1}],
            {"method": "card", "amount_cents": 2500},
            422,
            "needs the card brand",
        ),
        (
            [{"plu": "100", "quantity": 1}],
            {"method": "card", "amount_cents": 3000, "card_brand": "visa"},
            422,
            "exactly the total",
        ),
        ([{"plu": "200", "quantity": 1}], {"method": "cash", "amount_cents": 9999}, 422, "name the event"),
        (
            [{"plu": "100", "event_id": 1, "quantity": 1}],
            {"method": "cash", "amount_cents": 9999},
            422,
            "entry template",
        ),
        ([{"quantity": 1}], {"method": "cash", "amount_cents": 9999}, 422, "template_id or plu"),
        ([], {"method": "cash", "amount_cents": 0}, 400, "length >= 1"),
        ([{"plu": "100", "quantity": 1}], {"method": "cheque", "amount_cents": 2500}, 400, "payment.method"),
    ],
)
def test_bad_sales_get_a_clear_problem_and_record_nothing(
    client: Client,
    demo_venue: DemoVenue,
    lines: list[dict[str, Any]],
    payment: dict[str, Any],
    status: int,
    message: str,
) -> None:
    sold = _event(client, demo_venue)["sold"]
    body = {"nonce": str(uuid.uuid4()), "lines": lines, "payment": payment}
    response = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.text
    assert _sales_count(client, demo_venue) == 0
    assert _event(client, demo_venue)["sold"] == sold


def test_a_sold_out_line_rolls_back_the_whole_sale(client: Client, demo_venue: DemoVenue) -> None:
    event = _event(client, demo_venue)
    event["capacity"] = event["sold"] + 2
    assert client.put(
        f"/api/v1/events/{demo_venue.event_id}", json=event, headers=admin(demo_venue)
    ).is_success
    tickets_before = len(
        client.get("/api/v1/sync/changes", params={"limit": 10_000}, headers=seller(demo_venue)).json()[
            "changes"
        ]
    )
    body = sale_body(
        [{"plu": "100", "quantity": 1}, {"plu": "200", "event_id": demo_venue.event_id, "quantity": 3}],
        amount=50_000,
    )
    response = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert response.status_code == 409
    assert "2 left" in response.json()["detail"]
    assert _sales_count(client, demo_venue) == 0
    assert _event(client, demo_venue)["sold"] == event["sold"]
    changes = client.get("/api/v1/sync/changes", params={"limit": 10_000}, headers=seller(demo_venue)).json()
    assert len(changes["changes"]) == tickets_before  # not even the entry ticket of line 1


def test_gates_and_viewers_cannot_sell(client: Client, demo_venue: DemoVenue) -> None:
    body = sale_body([{"plu": "100", "quantity": 1}], amount=2500)
    for token in (demo_venue.gate_tokens["Main gate"], demo_venue.viewer_token):
        assert client.post("/api/v1/sales", json=body, headers=bearer(token)).status_code == 403


# ------------------------------------------------------------------ offline ------------


def test_an_offline_sale_registers_the_tills_codes_once(client: Client, demo_venue: DemoVenue) -> None:
    till = register_till_key(client, demo_venue.box_office_token)
    day = _template_id(client, demo_venue, "100")
    body = _offline_sale(till, day, 2)
    first = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert first.status_code == 201, first.text
    sale = first.json()
    assert sale["offline"] is True
    assert sale["sold_at"].startswith(body["sold_at"][:16])
    assert sorted(t["code"] for t in sale["tickets"]) == sorted(body["tickets"])
    assert all(t["number"] is None for t in sale["tickets"])
    again = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert (again.status_code, again.json()) == (200, sale)
    assert _scan(client, demo_venue, body["tickets"][0])["verdict"] == "admit"
    printable = client.get(
        f"/api/v1/tickets/{body['tickets'][0]}/print", params={"format": "png"}, headers=seller(demo_venue)
    )
    assert printable.status_code == 200 and printable.content.startswith(b"\x89PNG")


def test_a_ticket_a_gate_admitted_before_the_sale_arrived_is_linked_not_duplicated(
    client: Client, demo_venue: DemoVenue
) -> None:
    till = register_till_key(client, demo_venue.box_office_token)
    body = _offline_sale(till, _template_id(client, demo_venue, "100"), 1)
    assert _scan(client, demo_venue, body["tickets"][0])["verdict"] == "admit"
    sale = client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).json()
    assert [t["code"] for t in sale["tickets"]] == body["tickets"]
    detail = client.get(f"/api/v1/tickets/{body['tickets'][0]}", headers=seller(demo_venue)).json()
    assert len(detail["passages"]) == 1
    assert _scan(client, demo_venue, body["tickets"][0], gate="North gate")["reason"] == "already_used"


def test_offline_sales_follow_the_offline_rules(client: Client, demo_venue: DemoVenue) -> None:
    till = register_till_key(client, demo_venue.box_office_token)
    day = _template_id(client, demo_venue, "100")
    concert = _template_id(client, demo_venue, "200")
    cases: list[tuple[dict[str, Any], str]] = []
    body = _offline_sale(till, day, 1)
    body["payment"] = {"method": "mobile_integrated", "amount_cents": 2500}
    cases.append((body, "does not work offline"))
    body = _offline_sale(till, day, 1)
    body["payment"] = {"method": "card", "amount_cents": 2500, "card_brand": "Maestro"}
    cases.append((body, "cannot be taken offline"))
    body = _offline_sale(till, day, 1)
    body["payment"] = {"method": "card", "amount_cents": 2500, "card_brand": "visa electron"}
    cases.append((body, "Visa Electron cards need online authorisation"))
    body = _offline_sale(till, day, 1)
    body["lines"] = [
        {"template_id": concert, "event_id": demo_venue.event_id, "quantity": 1, "unit_price_cents": 2500}
    ]
    cases.append((body, "do not match the lines"))
    body = _offline_sale(till, day, 2)
    body["tickets"] = body["tickets"][:1]
    cases.append((body, "do not match the lines"))
    body = _offline_sale(till, day, 2)
    body["tickets"] = [body["tickets"][0]] * 2
    cases.append((body, "listed twice"))
    body = _offline_sale(till, day, 1)
    del body["sold_at"]
    cases.append((body, "needs sold_at"))
    body = _offline_sale(till, day, 1)
    body["sold_at"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases.append((body, "future"))
    body = _offline_sale(till, day, 1)
    body["tickets"] = [demo_venue.tickets[0].code]  # signed by the service, not by this till
    cases.append((body, "unknown key"))
    for body, message in cases:
        response = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
        assert response.status_code == 422, (message, response.text)
        assert message in response.json()["detail"], response.text
    assert _sales_count(client, demo_venue) == 0
    ok = _offline_sale(till, day, 1)
    ok["payment"] = {"method": "card", "amount_cents": 2500, "card_brand": "Visa"}
    assert client.post("/api/v1/sales", json=ok, headers=seller(demo_venue)).status_code == 201


def test_codes_signed_by_another_box_office_are_refused(client: Client, demo_venue: DemoVenue) -> None:
    created = client.post(
        "/api/v1/devices", json={"name": "box-office-2", "role": "box_office"}, headers=admin(demo_venue)
    ).json()
    other_till = register_till_key(client, created["token"])
    register_till_key(client, demo_venue.box_office_token)
    body = _offline_sale(other_till, _template_id(client, demo_venue, "100"), 1)
    response = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert response.status_code == 422 and "unknown key" in response.json()["detail"]


def test_signing_keys_are_for_box_offices_and_reach_the_feed(client: Client, demo_venue: DemoVenue) -> None:
    till = register_till_key(client, demo_venue.box_office_token)
    feed = client.get(
        "/api/v1/sync/changes", params={"limit": 10_000}, headers=bearer(demo_venue.gate_tokens["Main gate"])
    ).json()
    keys = [c["data"] for c in feed["changes"] if c["kind"] == "key"]
    assert {"key_id": till.key_id, "device": "box-office-1", "revoked": False}.items() <= next(
        k for k in keys if k["key_id"] == till.key_id
    ).items()
    gate = bearer(demo_venue.gate_tokens["Main gate"])
    response = client.post("/api/v1/sales/signing-key", json={"public_key": "ab" * 32}, headers=gate)
    assert response.status_code == 403


# ------------------------------------------------------------------ refunds ------------


def test_a_refund_voids_the_tickets_and_frees_the_seats(client: Client, demo_venue: DemoVenue) -> None:
    sold = _event(client, demo_venue)["sold"]
    body = sale_body([{"plu": "200", "event_id": demo_venue.event_id, "quantity": 2}], amount=7000)
    sale = client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).json()
    refunded = client.post(f"/api/v1/sales/{sale['id']}/refund", json={}, headers=seller(demo_venue))
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"
    assert {t["status"] for t in refunded.json()["tickets"]} == {"void"}
    assert _event(client, demo_venue)["sold"] == sold
    verdict = _scan(client, demo_venue, sale["tickets"][0]["number"], gate="Arena door")
    assert (verdict["verdict"], verdict["reason"]) == ("reject", "void")
    again = client.post(f"/api/v1/sales/{sale['id']}/refund", json={}, headers=seller(demo_venue))
    assert again.status_code == 409


def test_a_used_ticket_is_refunded_only_when_asked_explicitly(client: Client, demo_venue: DemoVenue) -> None:
    sale = client.post(
        "/api/v1/sales",
        json=sale_body([{"plu": "100", "quantity": 1}], amount=2500),
        headers=seller(demo_venue),
    ).json()
    _scan(client, demo_venue, sale["tickets"][0]["code"])
    refused = client.post(f"/api/v1/sales/{sale['id']}/refund", json={}, headers=seller(demo_venue))
    assert refused.status_code == 409 and "was used" in refused.json()["detail"]
    forced = client.post(
        f"/api/v1/sales/{sale['id']}/refund", json={"include_used": True}, headers=seller(demo_venue)
    )
    assert forced.json()["status"] == "refunded"


def test_a_reissued_ticket_stays_with_its_sale(client: Client, demo_venue: DemoVenue) -> None:
    sale = client.post(
        "/api/v1/sales",
        json=sale_body([{"plu": "110", "quantity": 1}], amount=18_000),
        headers=seller(demo_venue),
    ).json()
    old = sale["tickets"][0]
    new = client.post(f"/api/v1/tickets/{old['number']}/reissue", headers=seller(demo_venue)).json()
    found = client.get("/api/v1/sales", params={"ticket": new["number"]}, headers=seller(demo_venue)).json()
    assert [s["id"] for s in found] == [sale["id"]]
    assert _scan(client, demo_venue, old["number"])["reason"] == "void"


# ------------------------------------------------------------------ report & set-up ----


def test_the_day_report_counts_cash_cards_refunds_and_offline_sales(
    client: Client, demo_venue: DemoVenue
) -> None:
    till = register_till_key(client, demo_venue.box_office_token)
    day = _template_id(client, demo_venue, "100")
    post = lambda body: client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).json()  # noqa: E731
    post(sale_body([{"plu": "100", "quantity": 2}], amount=10_000))
    refunded = post(sale_body([{"plu": "100", "quantity": 1}], amount=2500))
    post(sale_body([{"plu": "110", "quantity": 1}], method="card", amount=18_000, card_brand="visa"))
    post(sale_body([{"plu": "100", "quantity": 1}], method="card", amount=2500, card_brand="amex"))
    offline = _offline_sale(till, day, 1)
    offline["sold_at"] = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()  # today in any time zone
    post(offline)
    client.post(f"/api/v1/sales/{refunded['id']}/refund", json={}, headers=seller(demo_venue))
    report = client.get("/api/v1/sales/report", headers=bearer(demo_venue.viewer_token))
    assert report.status_code == 200, report.text
    (device,) = report.json()["devices"]
    assert device["device"] == "box-office-1"
    assert device["cash_to_count_cents"] == 5000 + 2500 + 2500 - 2500
    assert device["card_total_cents"] == 20_500
    card = next(m for m in device["methods"] if m["method"] == "card")
    assert card["by_card_brand"] == {"visa": 18_000, "amex": 2500}
    cash = next(m for m in device["methods"] if m["method"] == "cash")
    assert (cash["sales"], cash["tickets"], cash["refunds"]) == (3, 4, 1)
    assert device["offline_sales"] == 1
    (line,) = report.json()["offline_sales"]
    assert line["delay_seconds"] >= 5 and line["synced_at"] > line["sold_at"]
    empty = client.get("/api/v1/sales/report", params={"date": "2001-01-01"}, headers=seller(demo_venue))
    assert empty.json()["devices"] == []
    bad = client.get("/api/v1/sales/report", params={"date": "yesterday"}, headers=seller(demo_venue))
    assert bad.status_code == 422


def test_payment_methods_are_configured_per_venue(client: Client, demo_venue: DemoVenue) -> None:
    config = client.get("/api/v1/sales/payment-methods", headers=seller(demo_venue)).json()
    assert config["card_offline_limit"] == 200
    assert config["card_offline_brands"] == ["visa", "mastercard"]
    config["card_offline_limit"] = 37
    config["methods"] = [m for m in config["methods"] if m["method"] != "mobile_integrated"]
    assert (
        client.put("/api/v1/sales/payment-methods", json=config, headers=seller(demo_venue)).status_code
        == 403
    )
    saved = client.put("/api/v1/sales/payment-methods", json=config, headers=admin(demo_venue))
    assert saved.status_code == 200, saved.text
    assert client.get("/api/v1/sales/payment-methods", headers=seller(demo_venue)).json() == config
    body = sale_body([{"plu": "100", "quantity": 1}], method="mobile_integrated", amount=2500)
    refused = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert refused.status_code == 422 and "not accepted" in refused.json()["detail"]
    config["card_offline_brands"] = ["discover"]
    bad = client.put("/api/v1/sales/payment-methods", json=config, headers=admin(demo_venue))
    assert bad.status_code == 422 and "discover" in bad.json()["detail"]

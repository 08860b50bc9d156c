"""Split payment: one sale paid by several tenders, recorded as tender lines summing exactly to
the total, online and offline; refunds reverse each tender; the end of day counts each."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.till.sale import CartLine, SaleProblem
from scanner_client.till.till import Till
from tests.box_office.conftest import sale_body, seller
from tests.box_office.till_support import close_till, offline_till

Client = TestClient  # type: ignore[type-arg]
DAY_TICKET = [{"plu": "100", "quantity": 2}]  # 2 x 25.00


def split(*further: dict[str, Any], method: str = "card", amount: int = 3000, **extra: Any) -> dict[str, Any]:
    body = sale_body(DAY_TICKET, method=method, amount=amount, **extra)
    body["further_tenders"] = list(further)
    return body


def test_card_and_cash_pay_one_sale_with_change_from_the_cash(client: Client, demo_venue: DemoVenue) -> None:
    body = split({"method": "cash", "amount_cents": 2500}, card_brand="Visa")
    first = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert first.status_code == 201, first.text
    sale = first.json()
    assert sale["total_cents"] == 5000 and sale["payment_method"] == "card"
    assert sale["tenders"] == [
        {"method": "card", "card_brand": "visa", "amount_cents": 3000, "tendered_cents": 3000},
        {"method": "cash", "card_brand": None, "amount_cents": 2000, "tendered_cents": 2500},
    ]
    assert sum(t["amount_cents"] for t in sale["tenders"]) == sale["total_cents"]
    again = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert (again.status_code, again.json()) == (200, sale)  # re-sent: replayed, recorded once
    single = client.post("/api/v1/sales", json=sale_body(DAY_TICKET, amount=6000), headers=seller(demo_venue))
    assert single.json()["tenders"] == [
        {"method": "cash", "card_brand": None, "amount_cents": 5000, "tendered_cents": 6000}
    ]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (split({"method": "cash", "amount_cents": 1000}, card_brand="visa"), "short of the total"),
        (
            split({"method": "cash", "amount_cents": 100}, amount=5100, card_brand="visa"),
            "more than the total",
        ),
        (split({"method": "cash", "amount_cents": 0}, card_brand="visa", amount=5000), "more than zero"),
        (split({"method": "cash", "amount_cents": 2500}, method="cash", amount=2500), "one cash tender"),
        (split({"method": "cash", "amount_cents": 2000}, card_brand="diners"), "not accepted"),
        (split({"method": "mobile", "amount_cents": 2000}), "card brand"),
    ],
)
def test_a_split_that_does_not_pay_exactly_is_refused_and_records_nothing(
    client: Client, demo_venue: DemoVenue, body: dict[str, Any], words: str
) -> None:
    before = len(client.get("/api/v1/sales", headers=seller(demo_venue)).json())
    refused = client.post("/api/v1/sales", json=body, headers=seller(demo_venue))
    assert 400 <= refused.status_code < 500 and words in refused.text, refused.text
    assert len(client.get("/api/v1/sales", headers=seller(demo_venue)).json()) == before


def _day(client: Client, venue: DemoVenue) -> dict[str, Any]:
    report = client.get("/api/v1/sales/report", headers=seller(venue)).json()
    return {m["method"]: m for m in report["totals"]}


def test_the_day_counts_each_tender_and_a_refund_reverses_each(client: Client, demo_venue: DemoVenue) -> None:
    body = split({"method": "cash", "amount_cents": 2000}, card_brand="visa")
    sale = client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).json()
    day = _day(client, demo_venue)
    assert (day["card"]["net_cents"], day["cash"]["net_cents"]) == (3000, 2000)
    assert day["card"]["by_card_brand"] == {"visa": 3000}
    assert day["card"]["tickets"] + day["cash"]["tickets"] == 2  # the sale's tickets counted once
    refund = client.post(f"/api/v1/sales/{sale['id']}/refund", json={}, headers=seller(demo_venue))
    assert refund.status_code == 200 and refund.json()["tenders"] == sale["tenders"]
    day = _day(client, demo_venue)
    assert (day["card"]["refunded_cents"], day["cash"]["refunded_cents"]) == (3000, 2000)
    assert (day["card"]["net_cents"], day["cash"]["net_cents"]) == (0, 0)


def _line(till: Till, quantity: int = 2) -> CartLine:
    (template,) = [t for t in till.find("100") if t.plu == "100"]
    return CartLine(template=template, quantity=quantity)


async def test_an_offline_till_splits_a_payment_and_the_service_records_its_tenders(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    card = PaymentIn(method=PaymentMethod.CARD, amount_cents=3000, card_brand="mastercard")
    cash = PaymentIn(method=PaymentMethod.CASH, amount_cents=3000)
    result = await till.sell([_line(till)], card, further_tenders=[cash])
    assert result.offline and result.change_cents == 1000
    assert till.store.stored_card_payments() == 1  # the card part is a payment the terminal stored
    eml = next(p for p in result.receipt_files if p.suffix == ".eml")
    assert b"Content-Type" in eml.read_bytes()
    with pytest.raises(SaleProblem, match="short of the total"):
        await till.sell(
            [_line(till)], card, further_tenders=[PaymentIn(method=PaymentMethod.CASH, amount_cents=10)]
        )
    posted = client.post(
        "/api/v1/sales",
        content=msgspec.json.encode(result.local.request),
        headers=seller(demo_venue) | {"content-type": "application/json"},
    )
    assert posted.status_code == 201, posted.text
    assert [(t["method"], t["amount_cents"]) for t in posted.json()["tenders"]] == [
        ("card", 3000),
        ("cash", 2000),
    ]
    report = client.get(
        "/api/v1/sales/report", params={"date": date.today().isoformat()}, headers=seller(demo_venue)
    )
    assert report.status_code == 200
    await close_till(till)


async def test_the_terminal_down_refuses_a_card_part_of_a_split(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    till.terminal_down("no connection")
    card = PaymentIn(method=PaymentMethod.CARD, amount_cents=1000, card_brand="visa")
    cash = PaymentIn(method=PaymentMethod.CASH, amount_cents=4000)
    with pytest.raises(SaleProblem, match="card terminal is down"):
        await till.sell([_line(till)], cash, further_tenders=[card])
    mobile = PaymentIn(method=PaymentMethod.MOBILE, amount_cents=1000)
    sold = await till.sell([_line(till)], cash, further_tenders=[mobile])
    assert sold.change_cents == 0
    await close_till(till)


async def test_the_seller_splits_a_payment_on_the_till_screen(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    from textual.widgets import Input, Select

    from scanner_client.till.app import BoxOfficeApp
    from tests.box_office.test_box_office_app import add, pay, text

    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=(160, 50)) as pilot:
        await add(pilot, app, "100", quantity="2")  # 50.00
        await pilot.press("ctrl+o")  # no amount typed: asked for one
        assert "Type the amount this part pays" in text(app, "#message") and app.parts == []
        app.query_one("#method", Select).value = "card"
        app.query_one("#brand", Select).value = "visa"
        app.query_one("#tendered", Input).value = "30"
        await pilot.press("ctrl+o")
        assert "Left to pay: 20.00" in text(app, "#message")
        await pay(pilot, app, "cash", tendered="25")
        result = app.last_result
        assert result is not None and result.change_cents == 500 and app.parts == []
        request = result.local.request
        assert [(t.method.value, t.amount_cents) for t in request.all_tenders()] == [
            ("card", 3000),
            ("cash", 2500),
        ]
    posted = client.post(
        "/api/v1/sales",
        content=msgspec.json.encode(result.local.request),
        headers=seller(demo_venue) | {"content-type": "application/json"},
    )
    assert [(t["method"], t["amount_cents"]) for t in posted.json()["tenders"]] == [
        ("card", 3000),
        ("cash", 2000),
    ]
    await close_till(till)

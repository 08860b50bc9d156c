"""Pay later by invoice: a group's sale written to a customer, listed paid or unpaid, marked paid
(API and command line), cancelled with a refund, counted as its own tender in the end of day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from admission.cli import main
from admission.contract.payments import InvoiceIn
from admission.demo import DemoVenue
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.till.sale import CartLine, SaleProblem
from tests.box_office.conftest import admin, sale_body, seller
from tests.box_office.till_support import close_till, offline_till
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]
INVOICES = "/api/v1/payments/invoices"
GROUP = [{"plu": "100", "quantity": 20}]  # 20 x 25.00


def take_invoices(client: Client, venue: DemoVenue) -> None:
    config = client.get("/api/v1/sales/payment-methods", headers=admin(venue)).json()
    config["methods"] = [*(m for m in config["methods"] if m["method"] != "invoice"),
                         {"method": "invoice", "label": "Invoice", "enabled": True}]  # fmt: skip
    assert client.put("/api/v1/sales/payment-methods", json=config, headers=admin(venue)).status_code == 200


def invoiced(amount: int = 50_000, **extra: Any) -> dict[str, Any]:
    due = (date.today() + timedelta(days=30)).isoformat()
    body = sale_body(GROUP, method="invoice", amount=amount, **extra)
    body["invoice"] = {"customer": "Lindholm School", "reference": "PO-2291", "due_date": due}
    return body


def test_invoices_are_off_until_the_venue_takes_them(client: Client, demo_venue: DemoVenue) -> None:
    refused = client.post("/api/v1/sales", json=invoiced(), headers=seller(demo_venue))
    assert refused.status_code in (400, 422) and "not accepted" in refused.text


def test_a_group_pays_later_and_the_invoice_is_marked_paid_once(
    client: Client, demo_venue: DemoVenue
) -> None:
    take_invoices(client, demo_venue)
    sold = client.post("/api/v1/sales", json=invoiced(), headers=seller(demo_venue))
    assert sold.status_code == 201, sold.text
    assert sold.json()["tenders"][0]["method"] == "invoice"
    (invoice,) = client.get(
        INVOICES, params={"status": "unpaid"}, headers=bearer(demo_venue.viewer_token)
    ).json()
    assert (invoice["customer"], invoice["reference"], invoice["amount_cents"]) == (
        "Lindholm School",
        "PO-2291",
        50_000,
    )
    assert (invoice["status"], invoice["overdue"], invoice["device"]) == ("unpaid", False, "box-office-1")
    viewer = bearer(demo_venue.viewer_token)
    assert client.post(f"{INVOICES}/{invoice['id']}/paid", json={}, headers=viewer).status_code == 403
    paid = client.post(
        f"{INVOICES}/{invoice['id']}/paid", json={"note": "bank 0412"}, headers=seller(demo_venue)
    )
    assert (
        paid.status_code == 200
        and paid.json()["status"] == "paid"
        and paid.json()["paid_by"] == "box-office-1"
    )
    again = client.post(f"{INVOICES}/{invoice['id']}/paid", json={}, headers=seller(demo_venue))
    assert again.status_code == 409
    assert client.post(f"{INVOICES}/999/paid", json={}, headers=seller(demo_venue)).status_code == 404
    assert client.get(INVOICES, params={"status": "unpaid"}, headers=viewer).json() == []
    assert client.get(INVOICES, params={"status": "owed"}, headers=viewer).status_code == 422
    day = {m["method"]: m for m in client.get("/api/v1/sales/report", headers=viewer).json()["totals"]}
    assert day["invoice"]["net_cents"] == 50_000


def test_part_invoice_part_cash_and_the_details_go_with_an_invoice_only(
    client: Client, demo_venue: DemoVenue
) -> None:
    take_invoices(client, demo_venue)
    body = invoiced(amount=40_000)
    body["further_tenders"] = [{"method": "cash", "amount_cents": 10_000}]
    sale = client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).json()
    assert [(t["method"], t["amount_cents"]) for t in sale["tenders"]] == [
        ("invoice", 40_000),
        ("cash", 10_000),
    ]
    (invoice,) = client.get(INVOICES, headers=seller(demo_venue)).json()
    assert invoice["amount_cents"] == 40_000
    no_details = invoiced()
    del no_details["invoice"]
    assert client.post("/api/v1/sales", json=no_details, headers=seller(demo_venue)).status_code in (400, 422)
    stray = sale_body(GROUP, amount=50_000)
    stray["invoice"] = invoiced()["invoice"]
    assert client.post("/api/v1/sales", json=stray, headers=seller(demo_venue)).status_code in (400, 422)
    refunded = client.post(f"/api/v1/sales/{sale['id']}/refund", json={}, headers=seller(demo_venue))
    assert refunded.status_code == 200
    (cancelled,) = client.get(INVOICES, headers=seller(demo_venue)).json()
    assert cancelled["status"] == "cancelled"  # refunded before payment: nobody owes it


def test_an_overdue_invoice_is_flagged_and_paid_from_the_command_line(
    client: Client, demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    take_invoices(client, demo_venue)
    body = invoiced()
    body["invoice"]["due_date"] = (date.today() - timedelta(days=3)).isoformat()
    assert client.post("/api/v1/sales", json=body, headers=seller(demo_venue)).status_code == 201
    args = ["--database-url", demo_venue.database_url, "--data-dir", demo_venue.data_dir]
    assert main(["payments", "invoices", *args]) == 0
    out = capsys.readouterr().out
    assert "Lindholm School" in out and "overdue" in out and "1 unpaid" in out
    (invoice,) = client.get(INVOICES, headers=seller(demo_venue)).json()
    assert invoice["overdue"] is True
    assert main(["payments", "invoice-paid", str(invoice["id"]), "--note", "cash at the desk", *args]) == 0
    assert "is paid" in capsys.readouterr().out
    assert main(["payments", "invoice-paid", str(invoice["id"]), *args]) == 2
    assert main(["payments", "invoices", "--status", "paid", *args]) == 0
    assert "cash at the desk" not in capsys.readouterr().err


async def test_an_offline_till_writes_an_invoice_the_service_registers(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    take_invoices(client, demo_venue)
    till = offline_till(tmp_path / "till", client, demo_venue)
    (template,) = [t for t in till.find("100") if t.plu == "100"]
    cart = [CartLine(template=template, quantity=4)]
    pay_later = PaymentIn(method=PaymentMethod.INVOICE, amount_cents=10_000)
    with pytest.raises(SaleProblem, match="customer"):
        await till.sell(cart, pay_later)
    details = InvoiceIn(customer="Scouts", reference="T-7", due_date=date.today() + timedelta(days=14))
    result = await till.sell(cart, pay_later, invoice=details)
    headers = seller(demo_venue) | {"content-type": "application/json"}
    posted = client.post("/api/v1/sales", content=msgspec.json.encode(result.local.request), headers=headers)
    assert posted.status_code == 201, posted.text
    (invoice,) = client.get(INVOICES, headers=seller(demo_venue)).json()
    assert (invoice["customer"], invoice["amount_cents"]) == ("Scouts", 10_000)
    await close_till(till)

"""The dashboard's payment tables, drawn in Chromium from the live service's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import Browser

from admission.demo import DemoVenue
from tests.reports.test_dashboard import browser, pytestmark, render, settled
from tests.support.live_server import LiveServer

__all__ = ["browser", "pytestmark"]


def test_the_dashboard_shows_the_day_per_till_and_tender_reconciliation_incidents_and_invoices(
    demo_venue: DemoVenue, live_server: LiveServer, browser: Browser
) -> None:
    today = date.today().isoformat()
    with live_server.client(demo_venue.admin_token) as admin:
        config = admin.get("/api/v1/sales/payment-methods").json()
        config["methods"].append({"method": "invoice", "label": "Invoice", "enabled": True})
        config["methods"] = [m for m in config["methods"] if m["method"] != "invoice"] + [config["methods"][-1]]
        assert admin.put("/api/v1/sales/payment-methods", json=config).status_code == 200
    with live_server.client(demo_venue.box_office_token) as box:
        split = {
            "nonce": "dash-1",
            "lines": [{"plu": "100", "quantity": 2}],
            "payment": {"method": "card", "amount_cents": 3000, "card_brand": "visa"},
            "further_tenders": [{"method": "cash", "amount_cents": 2000}],
        }
        assert box.post("/api/v1/sales", json=split).status_code == 201
        group = {
            "nonce": "dash-2",
            "lines": [{"plu": "100", "quantity": 4}],
            "payment": {"method": "invoice", "amount_cents": 10_000},
            "invoice": {"customer": "Scouts", "reference": "T-7", "due_date": today},
        }
        assert box.post("/api/v1/sales", json=group).status_code == 201
        settled = [{"till": "box-office-1", "date": today, "total_cents": 2900}]
        assert box.put("/api/v1/payments/settlements", json=settled).status_code == 200
        start = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        incident = {"started_at": start, "cause": "acquirer offline"}
        assert box.put("/api/v1/payments/terminal-incidents/i-1", json=incident).status_code == 200
        count = {"till": "box-office-1", "date": today, "counted_cents": 2000, "counted_by": "Mette"}
        assert box.post("/api/v1/payments/cash-ups", json=count).status_code == 200
    page = render(browser, f"{live_server.url}/dashboard#token={demo_venue.viewer_token}")
    assert page.find("body")[0].attrs["data-state"] == "ready"
    tenders = {r.attrs["data-tender"] for r in page.find("tr", inside="end-of-day", data_till="box-office-1")}
    assert tenders == {"card", "cash", "invoice"}
    (reconciled,) = page.find("tr", inside="reconciliation", data_till="box-office-1")
    assert reconciled.attrs["data-status"] == "mismatch"
    assert len(page.find("tr", inside="terminal-incidents", data_till="box-office-1")) == 1
    assert len([r for r in page.find("tr", inside="invoices") if "data-invoice" in r.attrs]) == 1 and "Scouts" in page.html and "Mette" in page.html


def test_the_dashboard_shows_the_card_float_per_card_type(
    demo_venue: DemoVenue, live_server: LiveServer, browser: Browser
) -> None:
    with live_server.client(demo_venue.admin_token) as admin:
        admin.post("/api/v1/cards/types", json={"name": "Gift card", "kind": "gift"}).raise_for_status()
        admin.post("/api/v1/cards/types", json={"name": "Member card", "kind": "stored_value"}).raise_for_status()
    with live_server.client(demo_venue.box_office_token) as box:
        sold = box.post("/api/v1/cards", json={"nonce": "float-1", "card_type": "Gift card", "amount_cents": 5000})
        number = sold.json()["card"]["number"]
        paid = box.post(f"/api/v1/cards/{number}/pay", json={"nonce": "float-2", "amount_cents": 1250})
        assert paid.status_code == 200, paid.text
    tab = browser.new_page()
    try:
        tab.goto(f"{live_server.url}/dashboard#token={demo_venue.viewer_token}")
        page = settled(tab)
        assert page.find("body")[0].attrs["data-state"] == "ready"
        rows = [r for r in page.find("tr", inside="card-float") if "data-card-type" in r.attrs]
        assert {r.attrs["data-card-type"] for r in rows} == {"Gift card", "Member card"}
        gift = tab.inner_text("#card-float tr[data-card-type='Gift card']").split("\t")
        # type, kind, cards, outstanding, sold, loaded, paid with cards, paid out, expired, adjusted, conflicts
        assert gift[:2] == ["Gift card", "gift card"] and gift[2] == "1"
        assert "37.50" in gift[3] and "50.00" in gift[4] and "12.50" in gift[6]
        assert tab.is_hidden("#no-card-float")
    finally:
        tab.close()

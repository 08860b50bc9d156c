"""The dashboard's payment tables, drawn in Chromium from the live service's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import Browser

from admission.demo import DemoVenue
from tests.reports.test_dashboard import browser, pytestmark, render
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

"""The invoice tender at the till (pay later, for groups): the seller picks "Invoice", the till
asks who pays, the reference and the due date, and the sale goes with that invoice, online or
offline; the receipt says which invoice and by when."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient
from textual.widgets import Input, Select, Static

from admission.demo import DemoVenue
from admission.i18n import speaking
from admission.i18n.formatting import calendar_date, long_date
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.forms import parse_invoice
from scanner_client.till.invoice_screen import InvoiceScreen
from scanner_client.till.receipts import layout, plain_text
from scanner_client.till.sale import SaleProblem
from scanner_client.till.till import Till
from tests.box_office.conftest import admin, seller
from tests.box_office.test_box_office_app import SIZE, add, text, until
from tests.box_office.till_support import close_till, enrolled_till, offline_till
from tests.support.live_server import LiveServer

Client = TestClient  # type: ignore[type-arg]
TODAY = date(2026, 12, 3)


def test_the_invoice_form_reads_what_the_seller_types_in_the_tills_language() -> None:
    invoice = parse_invoice(" Scouts 12 ", "T-7", "17/12/2026", TODAY)
    assert (invoice.customer, invoice.reference, invoice.due_date) == ("Scouts 12", "T-7", date(2026, 12, 17))
    assert parse_invoice("Scouts", "T-7", "2026-12-03", TODAY).due_date == TODAY  # ISO, and today is fine
    with speaking("de"):
        assert parse_invoice("Pfadfinder", "T-8", "17.12.26", TODAY).due_date == date(2026, 12, 17)
    with speaking("sv"):
        assert parse_invoice("Scouterna", "T-9", "2026-12-17", TODAY).due_date == date(2026, 12, 17)
    with pytest.raises(SaleProblem, match="customer"):
        parse_invoice("  ", "T-7", "17/12/2026", TODAY)
    with pytest.raises(SaleProblem, match="reference"):
        parse_invoice("Scouts", "", "17/12/2026", TODAY)
    with pytest.raises(SaleProblem, match="like 03/12/2026"):
        parse_invoice("Scouts", "T-7", "next week", TODAY)
    with pytest.raises(SaleProblem, match="has passed"):
        parse_invoice("Scouts", "T-7", "02/12/2026", TODAY)
    with pytest.raises(SaleProblem, match="up to 150"):
        parse_invoice("S" * 151, "T-7", "17/12/2026", TODAY)


def _turn_invoices_on(client: Client, venue: DemoVenue) -> str:
    config = client.get("/api/v1/sales/payment-methods", headers=seller(venue)).json()
    for method in config["methods"]:
        method["enabled"] = True
    saved = client.put("/api/v1/sales/payment-methods", json=config, headers=admin(venue))
    assert saved.status_code == 200, saved.text
    return saved.text


async def _fill_invoice(pilot: object, app: BoxOfficeApp, customer: str, reference: str, due: str) -> None:
    screen = app.screen
    assert isinstance(screen, InvoiceScreen)
    screen.query_one("#invoice-customer", Input).value = customer
    screen.query_one("#invoice-reference", Input).value = reference
    screen.query_one("#invoice-due", Input).value = due
    screen.query_one("#invoice-due", Input).focus()


async def test_an_offline_till_takes_an_invoice_and_the_service_registers_it_once_uploaded(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    till.store.set_config(payment_config=_turn_invoices_on(client, demo_venue))
    today = till.clock().astimezone(till.tz).date()
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        assert "Invoice (pay later): works offline" in text(app, "#rules")
        await add(pilot, app, "100", quantity="3")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, InvoiceScreen))
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        # The due date starts two weeks ahead, written as the till's language writes dates.
        assert screen.query_one("#invoice-due", Input).value == calendar_date(today + timedelta(days=14))
        yesterday = calendar_date(today - timedelta(days=1))
        await _fill_invoice(pilot, app, "Scouts", "T-7", yesterday)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, InvoiceScreen)  # refused, with the reason, nothing taken
        assert "has passed" in str(screen.query_one("#invoice-hint", Static).content)
        due = today + timedelta(days=10)
        await _fill_invoice(pilot, app, "Scouts", "T-7", calendar_date(due))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, InvoiceScreen))
        assert app.invoice is not None and app.invoice.reference == "T-7"
        assert app.query_one("#method", Select).value == "invoice"

        await pilot.press("f5")
        await until(pilot, lambda: app.sales_done == 1)
        result = app.last_result
        assert result is not None and result.offline
        assert app.invoice is None  # the next customer starts clean
        receipt = plain_text(layout(result.receipt.receipt, till.tz)) if result.receipt else ""
        assert f"Invoice T-7, due {long_date(due)}" in receipt
        assert "Invoice (pay later)" in receipt

    # The queued sale, uploaded, writes the invoice at the service.
    body = msgspec.json.encode(result.local.request)
    posted = client.post(
        "/api/v1/sales", content=body, headers=seller(demo_venue) | {"content-type": "application/json"}
    )
    assert posted.status_code == 201, posted.text
    invoices = client.get("/api/v1/payments/invoices", headers=seller(demo_venue)).json()
    assert [
        (i["customer"], i["reference"], i["due_date"], i["amount_cents"], i["status"]) for i in invoices
    ] == [("Scouts", "T-7", due.isoformat(), result.local.total_cents, "unpaid")]
    await close_till(till)


async def test_an_invoice_chosen_in_the_list_is_asked_for_when_selling_online(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    with live_server.client(demo_venue.admin_token) as manager:
        config = manager.get("/api/v1/sales/payment-methods").json()
        for method in config["methods"]:
            method["enabled"] = True
        manager.put("/api/v1/sales/payment-methods", json=config).raise_for_status()
    till: Till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    await till.sync_once()
    app = BoxOfficeApp(till)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await add(pilot, app, "100", quantity="2")
            app.query_one("#method", Select).value = "invoice"
            await pilot.press("f5")  # no details yet: the form comes first, the sale after it
            await until(pilot, lambda: isinstance(app.screen, InvoiceScreen))
            due = till.clock().astimezone(till.tz).date() + timedelta(days=30)
            await _fill_invoice(pilot, app, "Rotary Club", "R-2026-1", calendar_date(due))
            await pilot.press("enter")
            await until(pilot, lambda: app.sales_done == 1 or app.problems_shown > 0)
            result = app.last_result
            assert result is not None and result.server_id, text(app, "#message")
            assert result.receipt is not None
            assert f"Invoice R-2026-1, due {long_date(due)}" in plain_text(
                layout(result.receipt.receipt, till.tz)
            )
        with live_server.client(demo_venue.box_office_token) as box:
            invoices = box.get("/api/v1/payments/invoices").json()
        assert [(i["sale_id"], i["customer"], i["due_date"]) for i in invoices] == [
            (result.server_id, "Rotary Club", due.isoformat())
        ]
    finally:
        await close_till(till)

"""A sale's receipt at the till: the venue's address, VAT number and rates come from the change
feed, and after the sale the seller prints it (F12) or e-mails it (Ctrl+E, asking the address)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pypdf
from litestar.testing import TestClient
from textual.widgets import Footer, Input

from admission.demo import DemoVenue
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.receipt_screen import EmailReceiptScreen
from tests.box_office.conftest import admin
from tests.box_office.test_box_office_app import SIZE, add, pay, text, until
from tests.box_office.test_receipts import Inbox, smtp_server  # noqa: F401  (the fixture)
from tests.box_office.till_support import close_till, offline_till

Client = TestClient  # type: ignore[type-arg]
RECEIPT = {"address": ["Zoostraße 1", "10787 Berlin"], "vat_number": "DE123456789", "vat_rate": 7}


def _set_up_receipts(client: Client, venue: DemoVenue) -> None:
    assert client.put("/api/v1/venue/receipt", json=RECEIPT, headers=admin(venue)).status_code == 200
    templates = client.get("/api/v1/templates", headers=admin(venue)).json()
    weekend = next(t for t in templates if t["name"] == "Weekend pass")
    fields = {k: v for k, v in weekend.items() if k != "id"} | {"vat_rate": 19}
    updated = client.put(f"/api/v1/templates/{weekend['id']}", json=fields, headers=admin(venue))
    assert updated.status_code == 200, updated.text


async def test_the_receipt_prints_the_venue_and_a_vat_row_per_rate_from_the_feed(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    _set_up_receipts(client, demo_venue)
    till = offline_till(tmp_path / "till", client, demo_venue)
    try:
        day = next(t for t in till.templates().values() if t.plu == "100")
        weekend = next(t for t in till.templates().values() if t.name == "Weekend pass")
        app = BoxOfficeApp(till)
        async with app.run_test(size=SIZE) as pilot:
            await add(pilot, app, "100", quantity="2")
            await add(pilot, app, "Weekend")
            await pay(pilot, app, "cash")
            result = app.last_result
            assert result is not None and result.receipt is not None
            page = pypdf.PdfReader(result.receipt.pdf).pages[0].extract_text()
            assert "Zoostraße 1" in page and "10787 Berlin" in page and "DE123456789" in page
            assert "7 %" in page and "19 %" in page  # the venue's standard rate and the template's own
            rows = {row.rate_basis_points: row for row in result.receipt.receipt.vat()}
            assert rows[700].gross == 2 * day.price_cents and rows[1900].gross == weekend.price_cents
            assert all(row.net + row.vat == row.gross for row in rows.values())
    finally:
        await close_till(till)


async def test_after_a_sale_f12_prints_and_ctrl_e_saves_the_email_without_a_mail_server(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    device = tmp_path / "printer.bin"
    till.store.set_config(receipt_printer=f"file:{device}")
    try:
        app = BoxOfficeApp(till)
        async with app.run_test(size=SIZE) as pilot:
            footer_keys = {key for key, b in app.screen.active_bindings.items() if b.binding.show}
            assert {"f12", "ctrl+e"} <= footer_keys and app.screen.query(Footer)
            await pilot.press("f12")  # nothing sold yet: said, nothing printed
            await until(pilot, lambda: app.problems_shown == 1)
            assert "No receipt yet" in text(app, "#message") and not device.exists()

            await add(pilot, app, "100")
            await pay(pilot, app, "cash")
            assert "F12 prints it" in text(app, "#message")
            await pilot.press("f12")
            await until(pilot, lambda: app.receipts_handed == 1)
            assert b"Day ticket" in device.read_bytes() and b"\x1dV" in device.read_bytes()
            assert "printed" in text(app, "#message")

            await pilot.press("ctrl+e")
            await until(pilot, lambda: isinstance(app.screen, EmailReceiptScreen))
            app.screen.query_one("#receipt-email", Input).value = "guest@example.org"
            await pilot.press("enter")
            await until(pilot, lambda: app.receipts_handed == 2)
            assert "No mail server" in text(app, "#message")
            result = app.last_result
            assert result is not None and result.receipt is not None
            saved = email.message_from_bytes(result.receipt.eml.read_bytes(), policy=email.policy.default)
            assert saved["To"] == "guest@example.org"
    finally:
        await close_till(till)


async def test_an_address_typed_before_the_sale_gets_the_receipt_by_smtp(
    client: Client,
    demo_venue: DemoVenue,
    tmp_path: Path,
    smtp_server: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp_server
    till = offline_till(tmp_path / "till", client, demo_venue)
    till.store.set_config(smtp_host="127.0.0.1", smtp_port=str(port), smtp_security="none")
    try:
        app = BoxOfficeApp(till)
        async with app.run_test(size=SIZE) as pilot:
            await add(pilot, app, "100")
            app.query_one("#email", Input).value = "guest@example.org"
            await pay(pilot, app, "cash")
            await until(pilot, lambda: app.receipts_handed == 1)
            assert "Receipt sent to guest@example.org" in text(app, "#message")
            assert "SOLD (offline" in text(app, "#message")
        (message,) = inbox.messages
        assert message["To"] == "guest@example.org"
        assert next(part.get_filename() for part in message.iter_attachments()).endswith("-receipt.pdf")
    finally:
        await close_till(till)

"""The box-office screen driven by Textual's Pilot: offline on a real till store (enrolled through
the in-process service), and online against the real service process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pypdf
from litestar.testing import TestClient
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from admission.demo import DemoVenue
from admission.domain.codes import format_ticket_number
from scanner_client.core.money import format_money
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.refunds import ConfirmRefundScreen, RefundScreen
from scanner_client.till.screens import UnsyncedSalesScreen
from scanner_client.till.till import Till
from tests.box_office.conftest import admin, seller
from tests.box_office.till_support import close_till, enrolled_till, offline_till
from tests.support.live_server import LiveServer
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]
SIZE = (160, 50)


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


def text(app: BoxOfficeApp, selector: str) -> str:
    return str(app.query_one(selector, Static).content)


async def add(pilot: Pilot[None], app: BoxOfficeApp, query: str, quantity: str = "1") -> None:
    app.query_one("#qty", Input).value = quantity
    search = app.query_one("#search", Input)
    search.value = ""  # a refused line leaves its text there for correcting; start afresh
    search.focus()
    await pilot.press(*query)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def pay(
    pilot: Pilot[None], app: BoxOfficeApp, method: str, tendered: str = "", brand: str | None = None
) -> None:
    app.query_one("#method", Select).value = method
    if brand is not None:
        app.query_one("#brand", Select).value = brand
    app.query_one("#tendered", Input).value = tendered
    done, problems = app.sales_done, app.problems_shown
    await pilot.press("f5")
    await until(pilot, lambda: app.sales_done > done or app.problems_shown > problems)


def confirming(app: BoxOfficeApp) -> bool:
    """The refund confirmation is on screen, with its preview drawn."""
    return isinstance(app.screen, ConfirmRefundScreen) and bool(app.screen.query("#refund-preview"))


def _set_card_limit(client: Client, venue: DemoVenue, till: Till, limit: int) -> None:
    config = client.get("/api/v1/sales/payment-methods", headers=seller(venue)).json()
    config["card_offline_limit"] = limit
    saved = client.put("/api/v1/sales/payment-methods", json=config, headers=admin(venue))
    till.store.set_config(payment_config=saved.text)


async def test_offline_sale_prints_tickets_and_a_receipt_and_queues_the_sale(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        assert "OFFLINE" in text(app, "#status")
        assert "Card: offline, 200 of 200 stored payments left" in text(app, "#rules")
        assert "Mobile (integrated): not available offline" in text(app, "#rules")
        await add(pilot, app, "100", quantity="2")
        await add(pilot, app, "Weekend")
        assert [(line.template.name, line.quantity) for line in app.cart] == [
            ("Day ticket", 2),
            ("Weekend pass", 1),
        ]
        assert "€90.00" in text(app, "#total")  # Babel, in the till's language
        await pay(pilot, app, "cash", tendered="100")
        result = app.last_result
        assert result is not None and result.offline and result.change_cents == 1000
        assert "SOLD (offline" in text(app, "#message") and "change 10.00" in text(app, "#message")
        assert app.cart == [] and "unsynced sales 1" in text(app, "#status")
        assert len(result.ticket_files) == 3 * 3 and all(p.exists() for p in result.ticket_files)
        eml = next(p for p in result.receipt_files if p.suffix == ".eml")
        assert b"OFFLINE SALE" in eml.read_bytes() and b"application/pdf" in eml.read_bytes()

        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, UnsyncedSalesScreen))
        assert app.screen.query_one("#unsynced", DataTable).row_count == 1
        await pilot.press("escape")

    # The queued sale is what the service registers; a gate admits its tickets.
    body = msgspec.json.encode(result.local.request)
    posted = client.post(
        "/api/v1/sales", content=body, headers=seller(demo_venue) | {"content-type": "application/json"}
    )
    assert posted.status_code == 201, posted.text
    scan = {"code": result.tickets[0].code, "gate": "Main gate", "nonce": "pilot-1"}
    verdict = client.post(
        "/api/v1/scans", json=scan, headers=bearer(demo_venue.gate_tokens["Main gate"])
    ).json()
    assert verdict["verdict"] == "admit"
    await close_till(till)


async def test_event_tickets_offline_are_refused_and_the_fallback_is_offered(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await add(pilot, app, "200")
        assert app.cart == []
        assert "cannot be sold" in (app.last_problem or "") and "PLU 201" in (app.last_problem or "")
        await pilot.press("f7")
        await pilot.pause()
        assert [line.template.name for line in app.cart] == ["Concert entry (fallback)"]
        app.query_one("#search", Input).value = "201"
        await pilot.pause()
        assert app.matches[0].name == "Concert entry (fallback)"  # found by PLU as well
        await pay(pilot, app, "mobile")
        assert app.last_result is not None and app.last_result.offline
    await close_till(till)


async def test_bad_input_gets_a_clear_message_and_records_nothing(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await add(pilot, app, "100", quantity="-2")
        assert "Quantity must be a whole number from 1 to 500" in (app.last_problem or "")
        await add(pilot, app, "999")
        assert app.last_problem == "No template with PLU or name '999'"
        assert app.cart == []
        await pay(pilot, app, "cash")
        assert "cart is empty" in (app.last_problem or "")

        await add(pilot, app, "100", quantity="2")
        await pay(pilot, app, "cash", tendered="30")
        assert "short of the total 50.00" in (app.last_problem or "")
        await pay(pilot, app, "card", brand="maestro")
        assert "Maestro cards need online authorisation" in (app.last_problem or "")
        await pay(pilot, app, "card", brand="visa_electron")
        assert "Visa Electron cards need online authorisation" in (app.last_problem or "")
        await pay(pilot, app, "mobile_integrated")
        assert "does not work offline" in (app.last_problem or "")
        await pay(pilot, app, "cash", tendered="ten")
        assert "must be a number" in (app.last_problem or "")
        assert till.store.sales() == [] and app.sales_done == 0
        assert not (tmp_path / "till" / "out").exists()
        assert len(app.cart) == 1  # the seller can correct the payment and sell
    await close_till(till)


async def test_the_offline_card_limit_is_shown_and_enforced(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    _set_card_limit(client, demo_venue, till, 2)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        assert "Card: offline, 2 of 2 stored payments left (Visa, Mastercard only)" in text(app, "#rules")
        for left in (1, 0):
            await add(pilot, app, "100")
            await pay(pilot, app, "card", brand="mastercard")
            assert app.last_result is not None and app.last_result.offline
            assert f"Card: offline, {left} of 2 stored payments left" in text(app, "#rules")
        await add(pilot, app, "100")
        await pay(pilot, app, "card", brand="visa")
        assert "stored its limit of 2 offline payments" in (app.last_problem or "")
        assert app.sales_done == 2 and till.store.stored_card_payments() == 2
        await pay(pilot, app, "cash")  # cash still works
        assert app.sales_done == 3
    await close_till(till)


async def test_online_event_sale_shows_seats_left_and_is_refunded_at_the_box_office(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        assert "ONLINE" in text(app, "#status")
        app.query_one("#search", Input).value = "200"
        await until(pilot, lambda: bool(app.events))
        (choice,) = app.events
        assert choice.remaining == 495 and "495 seats left" in choice.label(till.tz)
        await pilot.press("enter")
        await pilot.pause()
        assert [(line.template.name, line.event and line.event.name) for line in app.cart] == [
            ("Concert ticket", "Evening concert")
        ]
        await pay(pilot, app, "card", brand="amex")
        result = app.last_result
        assert result is not None and not result.offline and result.server_id
        assert "SOLD (online" in text(app, "#message") and result.tickets[0].number

        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, RefundScreen))
        screen = app.screen
        assert isinstance(screen, RefundScreen)
        number = result.tickets[0].number or ""
        screen.query_one("#ref", Input).value = number
        await pilot.click("#refund")
        # Nothing is refunded before the seller has seen what will be, and said yes.
        await until(pilot, lambda: confirming(app))
        preview = str(app.screen.query_one("#refund-preview", Static).content)
        paid = format_money(result.local.total_cents, result.local.currency)
        assert f"Refund sale S{result.server_id}" in preview and "1 x Concert ticket" in preview
        assert format_ticket_number(number) in preview and f"Pay back {paid} by Card" in preview
        await pilot.press("n")
        await until(pilot, lambda: screen.outcome is not None)
        assert screen.outcome == f"Not refunded: sale S{result.server_id} is kept."
        with live_server.client(demo_venue.box_office_token) as box:
            assert box.get(f"/api/v1/sales/{result.server_id}").json()["status"] == "completed"

        screen.outcome = None
        await pilot.press("f5")
        await until(pilot, lambda: confirming(app))
        await pilot.press("y")
        await until(pilot, lambda: screen.outcome is not None)
        assert (screen.outcome or "").startswith(f"Refunded sale S{result.server_id}")
        # The refund has a receipt of its own, which F12 and Ctrl+E hand out after the sale's.
        refund = till.last_receipt
        assert refund is not None and refund.receipt.is_refund
        assert refund.receipt.total_cents == -result.local.total_cents
        assert "REFUND" in pypdf.PdfReader(refund.pdf).pages[0].extract_text()
    with live_server.client(demo_venue.box_office_token) as box:
        assert box.get(f"/api/v1/sales/{result.server_id}").json()["status"] == "refunded"
        assert box.get(f"/api/v1/events/{demo_venue.event_id}").json()["remaining"] == 495
    await close_till(till)

"""Cards at the till, driven by Textual's Pilot against the real service: sell a card, scan it
at the till, pay part of a sale from it and the rest in cash, load and pay out, and move a lost
card's balance to a new card."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from admission.demo import DemoVenue
from scanner_client.core.money import format_money
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.card_screen import CardScreen
from scanner_client.till.receipts import Receipt, layout, plain_text
from scanner_client.till.refunds import RefundScreen
from scanner_client.till.till import Till
from tests.box_office.test_box_office_app import SIZE, add, confirming, pay, text, until
from tests.box_office.till_support import close_till, enrolled_till
from tests.support.live_server import LiveServer


async def test_a_seller_sells_a_card_and_a_guest_pays_part_of_a_sale_with_it(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    with live_server.client(demo_venue.admin_token) as admin:
        admin.post("/api/v1/cards/types", json={"name": "Gift card", "kind": "gift"}).raise_for_status()
        admin.post(
            "/api/v1/cards/types",
            json={"name": "Member card", "kind": "stored_value", "unload_limit_cents": 5000},
        ).raise_for_status()
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    app = BoxOfficeApp(till)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+g")
            await until(pilot, lambda: isinstance(app.screen, CardScreen))
            screen = app.screen
            assert isinstance(screen, CardScreen)
            await until(pilot, lambda: screen.query_one("#card-type").value == "Gift card")  # type: ignore[attr-defined]
            screen.query_one("#amount", Input).value = "10"
            await pilot.press("f5")
            await until(pilot, lambda: screen.done > 0)
            assert screen.card is not None and screen.card.balance_cents == 1000
            number = screen.card.number
            assert "Card sold with" in str(screen.query_one("#card-message", Static).content)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, CardScreen))

            await add(pilot, app, "100")  # a day ticket, dearer than the card holds
            total = sum(line.total_cents for line in app.cart)
            await add(pilot, app, number)  # the card scanned at the till opens its window
            await until(pilot, lambda: isinstance(app.screen, CardScreen))
            screen = app.screen
            assert isinstance(screen, CardScreen)
            await until(pilot, lambda: screen.card is not None)
            await pilot.press("f8")
            await until(pilot, lambda: not isinstance(app.screen, CardScreen))
            assert [p.amount_cents for p in app.card_parts] == [1000]
            assert "card pays" in text(app, "#total")
            await pay(pilot, app, "cash")
            result = app.last_result
            assert result is not None and result.server_id, text(app, "#message")
            with live_server.client(demo_venue.box_office_token) as box:
                sale = box.get(f"/api/v1/sales/{result.server_id}").json()
                assert (sale["total_cents"], sale["stored_value_cents"]) == (total, 1000)
                assert box.get(f"/api/v1/cards/{number}").json()["balance_cents"] == 0

            # A member card: loaded, paid out, lost and replaced.
            await pilot.press("ctrl+g")
            await until(pilot, lambda: isinstance(app.screen, CardScreen))
            screen = app.screen
            assert isinstance(screen, CardScreen)
            await until(pilot, lambda: bool(screen.query_one("#card-type")._options))  # type: ignore[attr-defined]
            screen.query_one("#card-type").value = "Member card"  # type: ignore[attr-defined]
            screen.query_one("#amount", Input).value = "20"
            await pilot.press("f5")
            await until(pilot, lambda: screen.done > 0)
            member = screen.card
            assert member is not None and member.kind == "stored_value"
            done = screen.done
            screen.query_one("#amount", Input).value = "15"
            await pilot.press("f6")
            await until(pilot, lambda: screen.done > done)
            done = screen.done
            screen.query_one("#amount", Input).value = "5"
            await pilot.press("f7")
            await until(pilot, lambda: screen.done > done)
            assert screen.card is not None and screen.card.balance_cents == 3000
            done = screen.done
            await pilot.press("f9")
            await until(pilot, lambda: screen.done > done)
            assert screen.card is not None and screen.card.number != member.number
            assert screen.card.balance_cents == 3000
            with live_server.client(demo_venue.box_office_token) as box:
                old = box.get(f"/api/v1/cards/{member.number}").json()
            assert (old["status"], old["balance_cents"]) == ("blocked", 0)
    finally:
        await close_till(till)


def result_receipt(till: Till) -> Receipt:
    assert till.last_receipt is not None
    return till.last_receipt.receipt


async def test_a_refund_at_the_till_says_what_went_back_onto_the_card(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    with live_server.client(demo_venue.admin_token) as admin:
        admin.post("/api/v1/cards/types", json={"name": "Gift card", "kind": "gift"}).raise_for_status()
    with live_server.client(demo_venue.box_office_token) as box:
        sold = box.post("/api/v1/cards", json={"nonce": "gift-1", "card_type": "Gift card", "amount_cents": 1000})
        number = sold.json()["card"]["number"]
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    app = BoxOfficeApp(till)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await add(pilot, app, "100")
            total = sum(line.total_cents for line in app.cart)
            await add(pilot, app, number)
            await until(pilot, lambda: isinstance(app.screen, CardScreen))
            screen = app.screen
            assert isinstance(screen, CardScreen)
            screen.query_one("#amount", Input).value = "6"
            await until(pilot, lambda: screen.card is not None)
            await pilot.press("f8")
            await until(pilot, lambda: not isinstance(app.screen, CardScreen))
            await pay(pilot, app, "cash")
            result = app.last_result
            assert result is not None and result.server_id, text(app, "#message")
            masked = f"**** {number[-4:]}"
            sale_receipt = plain_text(layout(result_receipt(till), till.tz))
            assert f"Paid by value card {masked}" in sale_receipt and number not in sale_receipt

            await pilot.press("f2")
            await until(pilot, lambda: isinstance(app.screen, RefundScreen))
            refunds = app.screen
            assert isinstance(refunds, RefundScreen)
            refunds.query_one("#ref", Input).value = f"S{result.server_id}"
            await pilot.press("f5")
            await until(pilot, lambda: confirming(app))
            preview = str(app.screen.query_one("#refund-preview", Static).content)
            assert f"Value card {masked} 6.00" in preview and f"Cash {format_money(total - 600)}" in preview
            assert number not in preview  # never the whole number
            await pilot.press("y")
            await until(pilot, lambda: refunds.outcome is not None)
            assert f"6.00 went back onto card {masked}." in (refunds.outcome or ""), refunds.outcome
            refund_receipt = plain_text(layout(result_receipt(till), till.tz))
            assert f"Back onto value card {masked}" in refund_receipt
        with live_server.client(demo_venue.box_office_token) as box:
            card = box.get(f"/api/v1/cards/{number}").json()
        assert card["balance_cents"] == 1000 and card["entries"][-1]["kind"] == "refund"
    finally:
        await close_till(till)

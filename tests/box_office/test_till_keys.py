"""The till at the keyboard (Pilot, offline on a real till store): every action has a key in the
footer, Enter does what the seller expects, each sale starts clean, and the venue's notices show."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import msgspec
from litestar.testing import TestClient
from textual.widgets import Input, Select, Static
from textual.widgets._footer import FooterKey

from admission.contract import ChangesPage
from admission.demo import DemoVenue
from admission.domain.codes import now_utc
from scanner_client.till.app import BoxOfficeApp
from tests.box_office.conftest import admin, seller
from tests.box_office.test_box_office_app import SIZE, add, text, until
from tests.box_office.till_support import close_till, offline_till

Client = TestClient  # type: ignore[type-arg]


def footer_keys(app: BoxOfficeApp) -> dict[str, str]:
    return {key.key: key.description for key in app.screen.query(FooterKey)}


async def test_every_selling_action_has_a_key_in_the_footer(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        keys = footer_keys(app)
        for key in ("f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "ctrl+d", "ctrl+q"):
            assert key in keys, (key, keys)
        assert keys["f4"] == "Add to cart" and keys["f8"] == "Cash" and keys["f5"] == "Sell"
    await close_till(till)


async def test_enter_in_the_quantity_adds_the_ticket_and_enter_in_tendered_sells(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"100")
        await pilot.pause()
        app.query_one("#qty", Input).focus()
        await pilot.press("backspace", "3", "enter")
        await pilot.pause()
        assert [(line.template.name, line.quantity) for line in app.cart] == [("Day ticket", 3)]
        assert app.focused is app.query_one("#search", Input)  # ready for the next ticket

        app.query_one("#tendered", Input).focus()
        await pilot.press(*"100", "enter")
        await until(pilot, lambda: app.sales_done == 1)
        assert app.last_result is not None and app.last_result.change_cents == 2500
    await close_till(till)


async def test_payment_methods_by_single_keys_and_each_sale_starts_clean(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        method, brand = app.query_one("#method", Select), app.query_one("#brand", Select)
        await add(pilot, app, "100", quantity="2")
        await pilot.press("f9")
        assert method.value == "card" and brand.display
        await pilot.press("f9")
        assert brand.value == "visa" and "Payment: Card (Visa)" in text(app, "#message")
        await pilot.press("f9")
        assert brand.value == "mastercard"
        await pilot.press("f10")
        assert method.value == "mobile" and not brand.display
        await pilot.press("f9", "f5")
        await until(pilot, lambda: app.sales_done == 1)
        sale = app.last_result
        assert (
            sale is not None and sale.local.payment_method == "card" and sale.local.card_brand == "mastercard"
        )

        # The next customer starts with nothing of the last one's sale.
        assert method.value == "cash" and brand.value == Select.NULL and not brand.display
        assert app.query_one("#qty", Input).value == "1" and app.cart == []
        await add(pilot, app, "100")
        await pilot.press("f5")
        await until(pilot, lambda: app.sales_done == 2)
        assert app.last_result is not None and app.last_result.local.payment_method == "cash"
    await close_till(till)


async def test_the_venues_notices_show_at_the_till_while_they_last(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = offline_till(tmp_path / "till", client, demo_venue)
    ends = now_utc() + timedelta(hours=2)
    posted = client.post(
        "/api/v1/notices",
        json={"message": "Card payments are down, cash only", "ends_at": ends.isoformat()},
        headers=admin(demo_venue),
    )
    assert posted.status_code == 201, posted.text
    page = client.get("/api/v1/sync/changes", params={"since": till.store.cursor}, headers=seller(demo_venue))
    changes = msgspec.json.decode(page.content, type=ChangesPage)
    till.store.apply_changes(changes.changes, changes.cursor)  # what the till's feed follower does
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        notice = app.query_one("#notice", Static)
        assert notice.display and "Card payments are down, cash only" in str(notice.content)

        till.clock = lambda: ends + timedelta(seconds=1)  # the notice has run its time
        app.refresh_status()
        await pilot.pause()
        assert not notice.display
    await close_till(till)

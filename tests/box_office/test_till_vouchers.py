"""Hand-written vouchers registered at the till (Ctrl+R), driven by Textual's Pilot against the
real service: each voucher typed field by field and answered at once with what the service did;
offline the window says so and registers nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from admission.demo import DemoVenue
from admission.domain.card_codes import new_card_number
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.voucher_screen import VoucherScreen
from tests.box_office.test_box_office_app import SIZE, until
from tests.box_office.till_support import close_till, enrolled_till
from tests.support.live_server import LiveServer


async def _type_voucher(
    pilot: Pilot[None], screen: VoucherScreen, card: str, amount: str, written: str, number: str
) -> int:
    """Each field as the seller types it, Enter after each; answers how many answers there are then."""
    before = len(screen.answered) + screen.problems
    for field in ("#voucher-card", "#voucher-amount", "#voucher-time", "#voucher-number"):
        screen.query_one(field, Input).value = ""
    screen.query_one("#voucher-card", Input).focus()
    for value in (card, amount, written, number):
        await pilot.press(*value, "enter")
    await until(pilot, lambda: len(screen.answered) + screen.problems > before)
    return len(screen.answered)


def _message(screen: VoucherScreen) -> str:
    return str(screen.query_one("#voucher-message", Static).content)


async def test_a_seller_registers_vouchers_one_by_one_and_sees_each_answer(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    with live_server.client(demo_venue.admin_token) as admin:
        admin.post("/api/v1/cards/types", json={"name": "Gift card", "kind": "gift"}).raise_for_status()
        cards = [
            admin.post(
                "/api/v1/cards", json={"nonce": f"sell-{i}", "card_type": "Gift card", "amount_cents": 3000}
            ).json()["card"]
            for i in range(2)
        ]
        good, blocked = (c["number"] for c in cards)
        admin.post(f"/api/v1/cards/{blocked}/block", json={"reason": "stolen"}).raise_for_status()
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    app = BoxOfficeApp(till)
    written = datetime.now(till.tz).strftime("%H:%M")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+r")
            await until(pilot, lambda: isinstance(app.screen, VoucherScreen))
            screen = app.screen
            assert isinstance(screen, VoucherScreen)
            spaced = " ".join(good[i : i + 4] for i in range(0, 16, 4))  # as written by hand

            await _type_voucher(pilot, screen, spaced, "12,50", written, "A-101")
            assert screen.answered[-1].outcome == "registered" and screen.answered[-1].balance_cents == 1750
            assert "Voucher A-101: registered" in _message(screen)
            # The next voucher starts in empty fields, at the card number.
            assert screen.query_one("#voucher-card", Input).has_focus
            assert all(not screen.query_one(f, Input).value for f in ("#voucher-card", "#voucher-number"))

            await _type_voucher(pilot, screen, good, "12.50", written, "A-101")  # the same voucher again
            assert screen.answered[-1].outcome == "duplicate"
            await _type_voucher(pilot, screen, good, "20", written, "A-102")  # more than the card holds now
            overdrawn = screen.answered[-1]
            assert (overdrawn.outcome, overdrawn.conflict_cents) == ("flagged", 250)
            assert "FLAGGED" in _message(screen) and "2.50 to settle" in _message(screen)
            # Written after the card was blocked (the date with the time, as the venue writes it).
            after_block = (datetime.now(till.tz) + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
            await _type_voucher(pilot, screen, blocked, "5", after_block, "A-103")
            assert screen.answered[-1].outcome == "flagged" and screen.answered[-1].conflict_cents == 500
            mistyped = good[:-1] + str((int(good[-1]) + 1) % 10)
            await _type_voucher(pilot, screen, mistyped, "5", written, "A-104")
            assert screen.answered[-1].outcome == "refused"
            assert "check digit" in _message(screen)
            # Refused: what was typed stays there to be corrected.
            assert screen.query_one("#voucher-number", Input).value == "A-104"
            unknown = new_card_number()
            await _type_voucher(pilot, screen, unknown, "5", written, "A-105")
            assert "no card has this number" in (screen.answered[-1].reason or "")
            assert screen.query_one("#voucher-results", DataTable).row_count == 6

            problems = screen.problems
            await _type_voucher(pilot, screen, good, "5", "half past twelve", "A-106")
            assert screen.problems == problems + 1 and "Write the voucher's time like" in _message(screen)

            with live_server.client(demo_venue.box_office_token) as box:
                shown = box.get(f"/api/v1/cards/{good}").json()
            paid = [
                (e["reference"], e["amount_cents"], e["conflict_cents"])
                for e in shown["entries"]
                if e["kind"] == "pay"
            ]
            assert paid == [("voucher A-101", -1250, 0), ("voucher A-102", -2000, 250)]

            live_server.stop()  # the server goes: nothing is registered, and the window says why
            problems = screen.problems
            await _type_voucher(pilot, screen, good, "5", written, "A-107")
            assert screen.problems == problems + 1 and not till.online
            assert "OFFLINE" in str(screen.query_one("#voucher-online", Static).content)
            await _type_voucher(pilot, screen, good, "5", written, "A-107")
            assert "Offline: nothing registered" in _message(screen)
            assert len(screen.answered) == 6
    finally:
        await close_till(till)

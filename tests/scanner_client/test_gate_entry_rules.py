"""An entry rule's refusal on the gate screen, offline: the headline names the rule, the detail
says when the ticket is admitted again (venue time)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from admission.domain.codes import now_utc
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import VenueSnapshot, template
from tests.scanner_client.test_client_app import make_app, scan, text

PASS = 40


async def test_a_pass_scanned_again_too_soon_says_from_when_it_is_admitted(
    store: GateStore, venue: VenueSnapshot
) -> None:
    venue.add("template", str(PASS), template(PASS, "Fence pass", max_entries=None, min_minutes_between_entries=10))
    ticket = venue.issue(PASS)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        first = now_utc()
        assert app.query_one("#verdict").has_class("admit")

        await scan(pilot, app, ticket.code)
        assert app.query_one("#verdict").has_class("reject")
        assert text(app, "#headline") == "Too soon after the last entry"
        # Ten minutes after the first entry (made a moment ago), up to the whole minute.
        again = {
            (first + timedelta(seconds=s, minutes=10)).astimezone(ZoneInfo(venue.timezone)).strftime("%H:%M")
            for s in (-60, 0, 60)
        }
        assert any(f"again from {clock}" in text(app, "#detail") for clock in again), text(app, "#detail")


async def test_a_pass_inside_already_is_told_to_scan_the_exit_first(store: GateStore, venue: VenueSnapshot) -> None:
    venue.add("template", str(PASS), template(PASS, "Zone pass", max_entries=None, exit_required=True))
    ticket = venue.issue(PASS)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        await scan(pilot, app, ticket.number)
        assert text(app, "#headline") == "Exit required before re-entry"
        assert "(Main): scan the exit first" in text(app, "#detail")
        await pilot.press("f2")  # the exit
        await scan(pilot, app, ticket.number)
        await pilot.press("f2")
        await scan(pilot, app, ticket.number)
        assert app.query_one("#verdict").has_class("admit")

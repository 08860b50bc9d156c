"""The venue's offline limit at a gate: past it the gate admits nobody offline and says why; a
supervisor extends it once, logged in the outage log; a clock set back does not hide the time
offline; any answer from the service starts the count again. Real store, clocks under test."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from textual.widgets import Input, Static

from admission.domain.codes import now_utc
from admission.domain.model import Verdict
from scanner_client.gate.app import GateApp
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.offline_limit import LimitAlreadyExtended
from scanner_client.gate.screens.extend import ExtendOfflineScreen
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import SUPERVISOR_PIN, VenueSnapshot, shown
from tests.scanner_client.test_client_app import scan, until

HOUR = 3600.0


class Clocks:
    """The wall clock (which a person can set) and the monotonic one (which nobody can)."""

    def __init__(self) -> None:
        self.wall = now_utc()
        self.running = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.running

    def pass_hours(self, hours: float) -> None:
        self.wall += timedelta(hours=hours)
        self.running += hours * HOUR


def gate(store: GateStore, clocks: Clocks) -> GateEngine:
    return GateEngine(store, Settings.load(store), None, clock=clocks.now, monotonic=clocks.monotonic)


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


async def test_past_the_limit_an_offline_gate_admits_nobody_and_says_why(
    store: GateStore, venue: VenueSnapshot, clocks: Clocks
) -> None:
    tickets = [venue.issue(VenueSnapshot.SINGLE) for _ in range(3)]
    venue.apply(store)
    engine = gate(store, clocks)
    clocks.pass_hours(23.5)
    assert shown(engine, await engine.scan(tickets[0].number)).verdict is Verdict.ADMIT
    clocks.pass_hours(1)
    refused = await engine.scan(tickets[1].number)
    assert refused.verdict is Verdict.REJECT and refused.blocked == "offline_limit"
    assert "Offline for 24 h 30 min" in refused.message and "24 h at most" in refused.message
    assert "supervisor extends the limit once" in refused.message
    assert [p.code for p in store.passages()] == [tickets[0].number]  # nothing decided, nothing recorded


async def test_a_clock_set_back_does_not_hide_the_time_offline(
    store: GateStore, venue: VenueSnapshot, clocks: Clocks
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    engine = gate(store, clocks)
    clocks.running += 25 * HOUR  # a day and more passes while the gate runs...
    clocks.wall -= timedelta(hours=2)  # ...and someone sets its clock back
    assert (await engine.scan(ticket.number)).blocked == "offline_limit"
    # Restarted, still with the clock set back: the running time counted so far was saved.
    clocks.running = 50.0  # a reboot starts the monotonic clock again
    again = gate(store, clocks)
    assert (await again.scan(ticket.number)).blocked == "offline_limit"


async def test_the_venue_limit_comes_from_the_feed(store: GateStore, venue: VenueSnapshot, clocks: Clocks) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    engine = gate(store, clocks)
    clocks.pass_hours(3)
    assert (await engine.scan(ticket.number)).blocked is None
    store.set_config(offline_limit_hours="2")  # what the venue's feed entry sets (see test_offline_limit_live)
    assert (await engine.scan(ticket.number)).blocked == "offline_limit"


async def test_a_supervisor_extends_the_limit_once_and_it_is_logged(
    store: GateStore, venue: VenueSnapshot, clocks: Clocks
) -> None:
    tickets = [venue.issue(VenueSnapshot.SINGLE) for _ in range(3)]
    venue.apply(store)
    engine = gate(store, clocks)
    clocks.pass_hours(25)
    assert (await engine.scan(tickets[0].number)).blocked == "offline_limit"
    allowance = engine.extend_offline_limit("queue of 300 at the north gate, network down")
    assert allowance.allowed_seconds == 48 * HOUR and not allowance.reached
    assert shown(engine, await engine.scan(tickets[0].number)).verdict is Verdict.ADMIT
    (outage,) = store.outages()
    assert outage.limit_extended_at == clocks.wall
    assert outage.limit_extension_reason == "queue of 300 at the north gate, network down"
    assert outage.report().limit_extension_reason == outage.limit_extension_reason  # what is posted

    with pytest.raises(LimitAlreadyExtended):
        engine.extend_offline_limit("once more")
    clocks.pass_hours(24)
    refused = await engine.scan(tickets[1].number)
    assert refused.blocked == "offline_limit" and "extended once already" in refused.message

    # The service answers again: the count starts afresh, and so does the right to extend.
    engine.connectivity.record_success()
    assert shown(engine, await engine.scan(tickets[2].number)).verdict is Verdict.ADMIT
    assert not engine.offline_clock.allowance().reached and engine.offline_clock.allowance().extended_at is None


async def test_the_gate_screen_shows_the_limit_and_a_supervisor_extends_it_with_f7(
    store: GateStore, venue: VenueSnapshot, clocks: Clocks
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    app = GateApp(gate(store, clocks))

    def text(selector: str) -> str:
        return str(app.query_one(selector, Static).content)

    async with app.run_test(size=(120, 40)) as pilot:
        clocks.pass_hours(30)
        app.refresh_status()
        await until(pilot, lambda: text("#headline") == "Offline for too long: not admitting")
        assert "Offline for 30 h" in text("#detail") and "(F7)" in text("#detail")
        assert "offline 30 h of 24 h" in text("#status")
        await scan(pilot, app, ticket.number)
        assert app.query_one("#verdict").has_class("reject") and store.passages() == []

        await pilot.press("f7")
        await until(pilot, lambda: isinstance(app.screen, ExtendOfflineScreen))
        await pilot.press(*"0000", "enter", *"storm", "enter")
        await until(pilot, lambda: "Wrong PIN" in str(app.screen.query_one("#extend-error", Static).content))
        app.screen.query_one("#pin", Input).value = SUPERVISOR_PIN
        app.screen.query_one("#reason", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ExtendOfflineScreen))
        assert "Offline limit extended" in text("#headline")
        assert "offline 30 h of 48 h" in text("#status")
        await scan(pilot, app, ticket.number)
        assert app.query_one("#verdict").has_class("admit")
        (outage,) = store.outages()
        assert outage.limit_extension_reason == "storm"

        await pilot.press("f7")  # a second time: the PIN and reason are asked, the extension refused
        await until(pilot, lambda: isinstance(app.screen, ExtendOfflineScreen))
        await pilot.press(*SUPERVISOR_PIN, "enter", *"again", "enter")
        await until(pilot, lambda: not isinstance(app.screen, ExtendOfflineScreen))
        assert "offline 30 h of 48 h" in text("#status")

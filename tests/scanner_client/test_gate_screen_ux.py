"""What staff at the gate see while a scan is decided, and what becomes of scans that come fast,
merged, or while a dialog is open (Pilot, on a real local store)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from textual.widgets import Input

from admission.contract import NoticeData, ScanRequest, ScanResponse
from admission.domain.codes import now_utc
from admission.domain.model import Verdict
from scanner_client.core.remote import ServerUnavailable
from scanner_client.gate.app import GateApp
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.screens.supervisor import SupervisorScreen
from scanner_client.gate.screens.unsynced import UnsyncedScreen
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import SUPERVISOR_PIN, VenueSnapshot
from tests.scanner_client.test_client_app import scan, text, until


class SlowService(GateRemote):
    """A service that answers no scan: each online check fails, at once or once `release` is set."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "token", scan_timeout=60)
        self.hold = False
        self.release = asyncio.Event()
        self.waiting = 0

    async def scan(self, request: ScanRequest) -> ScanResponse:
        if self.hold:
            self.waiting += 1
            await self.release.wait()
        raise ServerUnavailable("no answer in time")


async def test_a_slow_online_check_shows_checking_instead_of_the_last_verdict(
    store: GateStore, venue: VenueSnapshot
) -> None:
    first, second = venue.issue(VenueSnapshot.SINGLE), venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    settings = Settings.load(store)
    settings.failure_threshold = 1000  # stays online: every scan asks the (slow) service first
    service = SlowService()
    app = GateApp(GateEngine(store, settings, service))
    async with app.run_test(size=(100, 40)) as pilot:
        await scan(pilot, app, first.number)
        assert app.query_one("#verdict").has_class("admit")

        service.hold = True
        await pilot.press(*second.number, "enter")
        await until(pilot, lambda: service.waiting == 1)
        await pilot.pause()
        verdict = app.query_one("#verdict")
        assert verdict.has_class("checking") and not verdict.has_class("admit")
        assert text(app, "#headline") == "Checking…"
        assert text(app, "#detail") == " ".join(second.number[i : i + 4] for i in range(0, 13, 4))

        service.release.set()
        await until(pilot, lambda: app.outcomes_shown == 2)
        assert app.last_outcome is not None and app.last_outcome.verdict is Verdict.ADMIT
        assert app.query_one("#verdict").has_class("admit") and text(app, "#headline") == "Welcome"
    await service.aclose()


def make_app(store: GateStore, **settings: object) -> GateApp:
    loaded = Settings.load(store)
    for name, value in settings.items():
        setattr(loaded, name, value)
    return GateApp(GateEngine(store, loaded, remote=None))


async def test_two_scans_merged_before_one_enter_are_both_scanned_in_order(
    store: GateStore, venue: VenueSnapshot
) -> None:
    tickets = [venue.issue(VenueSnapshot.SINGLE) for _ in range(4)]
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*tickets[0].number, *tickets[1].number, "enter")
        await until(pilot, lambda: app.outcomes_shown == 2)
        await pilot.press(*tickets[2].code, *tickets[3].code, "enter")
        await until(pilot, lambda: app.outcomes_shown == 4)
        assert app.query_one("#verdict").has_class("admit")
    passages = list(reversed(store.passages(10)))
    assert [p.code for p in passages] == [
        tickets[0].number,
        tickets[1].number,
        tickets[2].code,
        tickets[3].code,
    ]
    assert all(p.verdict is Verdict.ADMIT for p in passages)


async def test_a_burst_without_enter_holding_two_codes_is_scanned_as_two(
    store: GateStore, venue: VenueSnapshot
) -> None:
    first, second = venue.issue(VenueSnapshot.SINGLE), venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    app = make_app(store, end_pause_ms=100)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*first.number, *second.number)  # this scanner sends no Enter
        await until(pilot, lambda: app.outcomes_shown == 2)
    assert [p.code for p in reversed(store.passages(10))] == [first.number, second.number]


async def test_an_unsplittable_merged_scan_is_shown_as_a_misread(
    store: GateStore, venue: VenueSnapshot
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        garbled = ticket.number + ticket.number[:6]
        await scan(pilot, app, garbled)
        assert app.query_one("#verdict").has_class("reject")
        assert text(app, "#headline") == "Not a valid ticket"
        assert f"scanned: {garbled}" in text(app, "#detail")
    (passage,) = store.passages(10)
    assert passage.code == garbled and passage.verdict is Verdict.REJECT


class ScannerClock:
    """Key times as a scanner types them (2 ms apart, however slowly the test machine runs)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 0.002
        return self.now


def scanner_speed(app: GateApp) -> None:
    catcher = app.catcher
    catcher.clock = ScannerClock()
    catcher.hold = 5.0  # a burst ends with its Enter, never by the test machine's slowness


def notices(app: GateApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_scan_while_the_supervisor_dialog_is_open_is_held_and_scanned_after_it(
    store: GateStore, venue: VenueSnapshot
) -> None:
    void = venue.issue(VenueSnapshot.SINGLE, status="void", void_reason="reissued")
    next_in_line = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        scanner_speed(app)
        await scan(pilot, app, void.number)
        await pilot.press("f4")
        assert isinstance(app.screen, SupervisorScreen)
        await pilot.press(*next_in_line.number, "enter")  # the next visitor's ticket is scanned
        await pilot.pause()
        assert app.screen.query_one("#pin", Input).value == ""  # not typed into the PIN
        assert isinstance(app.screen, SupervisorScreen) and app.outcomes_shown == 1
        assert any("Scan held: " in n and "is checked when this window closes" in n for n in notices(app))

        # The supervisor types the PIN and the reason: a person typing is not a scan.
        await pilot.press(*SUPERVISOR_PIN, "enter", *"lost ticket", "enter")
        await until(pilot, lambda: app.outcomes_shown == 3)
        assert app.last_outcome is not None and app.last_outcome.code == next_in_line.number
        assert app.last_outcome.verdict is Verdict.ADMIT and text(app, "#headline") == "Welcome"
    override, held = (store.passage(p.nonce) for p in list(reversed(store.passages(10)))[1:])
    assert override is not None and override.source == "override" and override.code == void.number
    assert held is not None and held.code == next_in_line.number and held.verdict is Verdict.ADMIT


async def test_scans_while_the_unsynced_list_is_open_are_scanned_in_order_when_it_closes(
    store: GateStore, venue: VenueSnapshot
) -> None:
    tickets = [venue.issue(VenueSnapshot.SINGLE) for _ in range(3)]
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        scanner_speed(app)
        await pilot.press("f3")
        assert isinstance(app.screen, UnsyncedScreen)
        await pilot.press(*tickets[0].number, "enter", *tickets[1].code, *tickets[2].number, "enter")
        await pilot.pause()
        assert app.outcomes_shown == 0 and isinstance(app.screen, UnsyncedScreen)
        await pilot.press("escape")
        await until(pilot, lambda: app.outcomes_shown == 3)
    assert [p.code for p in reversed(store.passages(10))] == [
        tickets[0].number,
        tickets[1].code,
        tickets[2].number,
    ]


async def test_a_notice_leaves_the_gate_screen_when_its_time_is_up(
    store: GateStore, venue: VenueSnapshot
) -> None:
    now = now_utc()
    venue.add(
        "notice", "1", NoticeData(id=1, message="North gate closed", ends_at=now - timedelta(minutes=1))
    )
    venue.add("notice", "2", NoticeData(id=2, message="Cash only today", ends_at=now + timedelta(hours=1)))
    venue.apply(store)
    app = make_app(store)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: bool(app.figures.notices))
        assert text(app, "#notice") == "Cash only today"

"""What staff at the gate see while a scan is decided, and what becomes of scans that come fast,
merged, or while a dialog is open (Pilot, on a real local store)."""

from __future__ import annotations

import asyncio

from admission.contract import ScanRequest, ScanResponse
from admission.domain.model import Verdict
from scanner_client.core.remote import ServerUnavailable
from scanner_client.gate.app import GateApp
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import VenueSnapshot
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

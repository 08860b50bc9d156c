"""Fleet health from the devices' side: a running gate and a till report on themselves to the real
service through their own sync loops, and a PC whose clock is off warns on its status line."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from admission import __version__
from admission.contract import DeviceHealthAck, DeviceHealthIn, ServiceClock
from admission.demo import DemoVenue
from admission.domain.codes import now_utc
from admission.domain.wording import clock_offset_words
from scanner_client.core.health import HealthReporter, measure_offset
from scanner_client.core.remote import ServerRefused, ServerUnavailable
from scanner_client.gate.app import GateApp
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from tests.box_office.till_support import close_till, enrolled_gate, enrolled_till
from tests.scanner_client.test_client_app import until
from tests.support.live_server import LiveServer

AHEAD = timedelta(minutes=2)


def fleet_row(server: LiveServer, venue: DemoVenue, device: str) -> dict[str, Any]:
    with server.client(venue.viewer_token) as viewer:
        answer = viewer.get("/api/v1/fleet")
    assert answer.status_code == 200, answer.text
    rows: dict[str, dict[str, Any]] = {row["name"]: row for row in answer.json()["devices"]}
    return rows[device]


def status_line(app: GateApp) -> Static:
    return app.gate_screen.query_one("#status", Static)


async def test_a_gate_whose_clock_is_ahead_warns_on_its_screen_and_is_flagged(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    enrolled = await enrolled_gate(
        tmp_path / "gate", live_server.url, demo_venue.gate_tokens["Main gate"], "Main gate"
    )
    enrolled.settings.feed_wait = 1  # a long-poll would hold the server's shutdown
    engine = GateEngine(enrolled.store, enrolled.settings, enrolled.remote, clock=lambda: now_utc() + AHEAD)
    app = GateApp(engine)
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: engine.health.reported_at is not None, seconds=15)
            await until(pilot, lambda: status_line(app).has_class("clock-skewed"))
            shown = str(status_line(app).content)
            # two minutes ahead, give or take the round trip's asymmetry on a busy machine
            assert re.search(r"CLOCK OFF BY \+(1 min 5\d s|2 min)", shown), shown
            assert "set this PC's time" in shown
            assert shown.startswith("ONLINE")
    finally:
        assert engine.remote is not None
        await engine.remote.aclose()
        engine.store.close()

    row = await asyncio.to_thread(fleet_row, live_server, demo_venue, "gate-main")
    assert row["flags"] == ["clock_skew"] and row["online"] is True
    assert 115 <= row["clock_offset_seconds"] <= 125
    assert row["version"] == __version__ and row["queue"] == 0
    assert row["last_sync_at"] is not None  # it read the feed when it enrolled


async def test_a_till_reports_its_queue_and_a_right_clock_is_not_flagged(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.box_office_token, None)
    try:
        report = await till.sync_once()  # `box-office-sync`: uploads, reads the feed, reports
        assert not report.errors
        assert till.health.reported_at is not None and till.health.clock_warning() is None
    finally:
        await close_till(till)
    row = await asyncio.to_thread(fleet_row, live_server, demo_venue, "box-office-1")
    assert row["flags"] == [] and row["queue"] == 0 and row["version"] == __version__
    assert abs(row["clock_offset_seconds"]) < 5


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(45.4, "+45 s"), (-185, "-3 min 5 s"), (7500, "+2 h 5 min"), (-800_000_000, "-9259 days")],
)
def test_a_clock_offset_reads_in_words_with_its_sign(seconds: float, words: str) -> None:
    assert clock_offset_words(seconds) == words


def test_the_offset_is_measured_at_half_the_round_trip() -> None:
    sent = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
    service = datetime(2026, 12, 3, 11, 59, 0, tzinfo=UTC)
    # The service read its clock at 11:59:00 while this PC's clock went from 12:00:00 to 12:00:02.
    assert measure_offset(sent, service, sent + timedelta(seconds=2)) == 61.0
    assert measure_offset(service, sent, service) == -60.0


class ScriptedRemote(GateRemote):
    """A service that tells its time and answers reports as scripted (no network)."""

    def __init__(self, service_ahead: timedelta, answer: Exception | None = None) -> None:
        super().__init__("http://127.0.0.1:9", "token")
        self.service_ahead = service_ahead
        self.answer = answer
        self.reports: list[DeviceHealthIn] = []

    async def service_clock(self) -> ServiceClock:
        return ServiceClock(now=now_utc() + self.service_ahead)

    async def report_health(self, report: DeviceHealthIn) -> DeviceHealthAck:
        self.reports.append(report)
        if self.answer is not None:
            raise self.answer
        return DeviceHealthAck(received_at=now_utc(), clock_skew_limit_seconds=60, flags=[])


async def test_the_warning_follows_the_services_limit() -> None:
    remote = ScriptedRemote(service_ahead=timedelta(seconds=-45))  # this PC is 45 s ahead
    reporter = HealthReporter(now_utc)
    reporter.clock_limit = 30
    try:
        assert await reporter.report(remote, device="gate-main", queue=3, last_sync_at=None, online=True)
        (sent,) = remote.reports
        assert sent.device == "gate-main" and sent.queue == 3 and sent.version == __version__
        assert sent.clock_offset_seconds is not None and 44 <= sent.clock_offset_seconds <= 46
        # The service's limit is 60 s: 45 s off is not warned.
        assert reporter.clock_limit == 60 and reporter.clock_warning() is None
    finally:
        await remote.aclose()


@pytest.mark.parametrize(
    ("failure", "tries_again"),
    [
        (ServerRefused(404, "Not Found"), False),  # a service of an older release
        (ServerRefused(403, "Forbidden"), True),
        (ServerUnavailable("no answer"), True),
    ],
)
async def test_a_failed_report_is_quiet_and_keeps_the_measured_clock(
    failure: Exception, tries_again: bool
) -> None:
    remote = ScriptedRemote(service_ahead=timedelta(minutes=-5), answer=failure)
    reporter = HealthReporter(now_utc, interval=0)
    try:
        assert not await reporter.report(remote, device="gate-main", queue=0, last_sync_at=None, online=True)
        assert reporter.reported_at is None
        warning = reporter.clock_warning()  # the clock was measured: the PC still warns
        assert warning is not None and "+5 min" in warning
        assert reporter.due() is tries_again
    finally:
        await remote.aclose()

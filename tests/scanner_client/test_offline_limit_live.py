"""The offline limit end to end: the venue setting travels through the API, the venue file and
the change feed to the gate; a supervisor's extension reaches the service with the outage and
shows in the managers' outage report. The real service process, both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from admission.cli import main as admission
from admission.cli.common import console
from admission.demo import DemoVenue
from admission.domain.model import Verdict
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings, open_store
from tests.scanner_client.client_support import shown
from tests.scanner_client.live_support import enroll, outages
from tests.support.live_server import LiveServer


def service_cli(venue: DemoVenue, *args: str) -> int:
    return admission([*args, "--database-url", venue.database_url, "--data-dir", str(venue.data_dir)])


def test_the_offline_limit_travels_through_the_api_the_venue_file_and_the_feed(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with live_server.client(demo_venue.admin_token) as admin:
        venue = admin.get("/api/v1/venue").json()
        assert venue["offline_limit_hours"] == 24
        for wrong in (0, 721):
            refused = admin.put("/api/v1/venue", json={**venue, "offline_limit_hours": wrong})
            assert refused.status_code == 400 or refused.status_code == 422, refused.text
        assert admin.put("/api/v1/venue", json={**venue, "offline_limit_hours": 2}).status_code == 200
        assert admin.get("/api/v1/venue").json()["offline_limit_hours"] == 2

    data = tmp_path / "gate"
    enroll(data, live_server, demo_venue)
    store = open_store(data)
    try:
        assert store.get_config("offline_limit_hours") == "2"  # from the feed's venue entry
    finally:
        store.close()

    file = tmp_path / "venue.toml"
    capsys.readouterr()
    assert service_cli(demo_venue, "venue", "export", "--out", str(file)) == 0
    text = file.read_text()
    assert "offline_limit_hours = 2" in text
    file.write_text(text.replace("offline_limit_hours = 2", "offline_limit_hours = 6"))
    assert service_cli(demo_venue, "venue", "apply", str(file)) == 0
    with live_server.client(demo_venue.viewer_token) as viewer:
        assert viewer.get("/api/v1/venue").json()["offline_limit_hours"] == 6
    file.write_text(text.replace("offline_limit_hours = 2", "offline_limit_hours = 0"))
    capsys.readouterr()
    assert service_cli(demo_venue, "venue", "apply", str(file)) != 0
    assert "offline_limit_hours = 24" in capsys.readouterr().err  # what to write instead


class Running:
    """The monotonic clock under the test's hand: hours pass while the wall clock stays true,
    so the service takes the gate's scan times as they are."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


async def test_a_supervisors_extension_reaches_the_service_with_the_outage(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "gate"
    await asyncio.to_thread(enroll, data, live_server, demo_venue)
    store = open_store(data)
    settings = Settings.load(store)
    settings.feed_wait = 1
    remote = GateRemote(settings.server_url, settings.token, scan_timeout=settings.scan_timeout)
    running = Running()
    engine = GateEngine(store, settings, remote, monotonic=running)
    background = asyncio.create_task(engine.run())
    day = [t.number for t in demo_venue.tickets if t.template == "Day ticket"]
    try:
        await asyncio.to_thread(live_server.stop, True)
        assert shown(engine, await engine.scan(day[0])).mode == "offline"
        running.seconds += 25 * 3600
        assert (await engine.scan(day[1])).blocked == "offline_limit"
        engine.extend_offline_limit("network down, queue at the main gate")
        admitted = shown(engine, await engine.scan(day[1]))
        assert (admitted.mode, admitted.verdict) == ("offline", Verdict.ADMIT)

        await asyncio.to_thread(live_server.start)
        for _ in range(200):  # back online, queue uploaded, outage reported: by itself
            if engine.online and store.queued_count() == 0 and not store.outages_to_post():
                break
            await asyncio.sleep(0.05)
        assert engine.online and not store.outages_to_post()
    finally:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
        await remote.aclose()
        store.close()

    (outage,) = await asyncio.to_thread(outages, live_server, demo_venue)
    assert outage["limit_extended_at"] is not None
    assert outage["limit_extension_reason"] == "network down, queue at the main gate"
    console.width = 250
    capsys.readouterr()
    assert await asyncio.to_thread(service_cli, demo_venue, "report", "outages") == 0
    assert "network down, queue at the main gate" in capsys.readouterr().out

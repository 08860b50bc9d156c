"""Gates and tills with an ordered list of servers (a venue hub, then the central service): the
list is kept as enrolled, a dead server is passed over before the device goes offline, and the
device returns up the list as soon as the better server answers again. Two real service
processes on one database stand for the hub and the central service here."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from admission.demo import DemoVenue
from admission.domain.model import Verdict
from scanner_client.core.remote import Remote, ServerUnavailable
from scanner_client.core.servers import join_servers, parse_servers
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings, open_store
from tests.scanner_client.client_support import shown
from tests.scanner_client.live_support import cli, headless, server_scans
from tests.support.live_server import LiveServer


def test_a_server_list_is_read_from_repeated_values_and_comma_lists() -> None:
    assert parse_servers("http://hub:8000/") == ["http://hub:8000"]
    assert parse_servers(["http://hub:8000, https://central", "http://hub:8000", " "]) == [
        "http://hub:8000",
        "https://central",
    ]
    assert join_servers(["http://hub", "https://central"]) == "http://hub,https://central"


async def test_an_unreachable_server_is_passed_over_within_the_same_call() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        if request.url.host == "hub.test":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"id": 1, "name": "gate-main", "role": "gate", "gate": "Main gate"})

    changed: list[str] = []
    remote = Remote("http://hub.test,http://central.test", "t", transport=httpx.MockTransport(answer))
    remote.on_server_change = lambda: changed.append(remote.server)
    try:
        me = await remote.me()
        assert me.name == "gate-main" and remote.server == "http://central.test"
        assert asked == ["hub.test", "central.test"] and changed == ["http://central.test"]
        # Pinned to the hub (a feed page counted in the hub's numbers): no fall back.
        with pytest.raises(ServerUnavailable):
            await remote.changes(0, limit=10, server=0)
    finally:
        await remote.aclose()


@pytest.fixture
def second_server(demo_venue: DemoVenue, tmp_path: Path) -> Iterator[LiveServer]:
    """A second service process on the same database, with its own data folder (and lock)."""
    folder = tmp_path / "second-server"
    shutil.copytree(Path(demo_venue.data_dir) / "keys", folder / "keys")
    server = LiveServer(msgspec.structs.replace(demo_venue, data_dir=str(folder)))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def enroll_with(data: Path, servers: list[str], venue: DemoVenue) -> None:
    server_args = [arg for url in servers for arg in ("--server", url)]
    done = cli(data, "enroll", *server_args, "--token", venue.gate_tokens["Main gate"], "--gate", "Main gate")
    assert done.returncode == 0, done.stderr
    tuned = cli(data, "config", "--probe-interval", "0.2", "--failure-threshold", "1", "--scan-timeout", "2")
    assert tuned.returncode == 0, tuned.stderr
    assert f"servers            {', '.join(servers)}" in tuned.stdout


def test_headless_gate_falls_back_down_the_list_before_going_offline(
    live_server: LiveServer, second_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    data = tmp_path / "gate"
    enroll_with(data, [live_server.url, second_server.url], demo_venue)
    numbers = [t.number for t in demo_venue.tickets if t.template == "Day ticket"]

    first = headless(data, [numbers[0]])
    assert (first[0]["mode"], first[0]["server"]) == ("online", live_server.url)

    live_server.stop(kill=True)
    second = headless(data, [numbers[1], numbers[0]])
    assert [(o["mode"], o["server"], o["reason"]) for o in second] == [
        ("online", second_server.url, "ok"),
        ("online", second_server.url, "already_used"),
    ]
    status = cli(data, "status")
    assert f"{live_server.url}: unreachable" in status.stdout
    assert f"{second_server.url}: reachable" in status.stdout

    second_server.stop(kill=True)
    third = headless(data, [numbers[2]])
    assert (third[0]["mode"], third[0]["verdict"]) == ("offline", "admit")

    second_server.start()  # the queue goes up the list's only answering server
    assert cli(data, "sync").returncode == 0
    scans = server_scans(demo_venue)
    assert sorted(s.nonce for s in scans) == sorted(
        o["nonce"] for o in [*first, *second, *third]
    )  # each once: the outage passage uploaded, nothing doubled


async def test_running_gate_returns_up_the_list_when_the_better_server_answers(
    live_server: LiveServer, second_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    data = tmp_path / "gate"
    await asyncio.to_thread(enroll_with, data, [live_server.url, second_server.url], demo_venue)
    store = open_store(data)
    settings = Settings.load(store)
    settings.feed_wait = 1
    remote = GateRemote(settings.server_url, settings.token, scan_timeout=settings.scan_timeout)
    engine = GateEngine(store, settings, remote)
    background = asyncio.create_task(engine.run())
    numbers = [t.number for t in demo_venue.tickets if t.template == "Day ticket"]
    try:
        assert engine.server == live_server.url
        assert engine.server_words() == f"server 1 of 2: {live_server.url}"
        await asyncio.to_thread(live_server.stop, True)
        at_second = shown(engine, await engine.scan(numbers[0]))
        assert (at_second.mode, at_second.verdict) == ("online", Verdict.ADMIT)
        assert engine.online and engine.server == second_server.url
        assert engine.server_words() == f"server 2 of 2: {second_server.url}"

        await asyncio.to_thread(live_server.start)
        for _ in range(100):  # the better server answers again: the gate moves back by itself
            if engine.server == live_server.url:
                break
            await asyncio.sleep(0.1)
        assert engine.server == live_server.url and engine.online
        again = shown(engine, await engine.scan(numbers[0]))
        assert (again.mode, again.reason.value) == ("online", "already_used")
    finally:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
        await remote.aclose()
        store.close()

"""End to end: the real `scanner-client` process against the real service process, through an
outage: online scans, the server stopped, offline scans (including a ticket sold after the last
sync), a client restart while the server is down, the server back, and the upload checked
against the service's own records."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from admission.demo import DemoVenue
from admission.domain.model import Direction, Reason, Verdict
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings, open_store
from tests.scanner_client.client_support import shown
from tests.scanner_client.live_support import (
    cli,
    enroll,
    headless,
    issue_ticket,
    outages,
    server_scans,
    void_ticket,
)
from tests.support.live_server import LiveServer


def tickets(venue: DemoVenue, template: str) -> list[str]:
    return [t.number for t in venue.tickets if t.template == template]


def codes(venue: DemoVenue, template: str) -> list[str]:
    return [t.code for t in venue.tickets if t.template == template]


def test_outage_offline_scanning_restart_and_exactly_once_upload(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    data = tmp_path / "gate-main"
    enroll(data, live_server, demo_venue)
    day_numbers, day_codes = tickets(demo_venue, "Day ticket"), codes(demo_venue, "Day ticket")
    card = tickets(demo_venue, "10-visit card")[0]

    # Online: the server decides and registers.
    online = headless(data, [day_numbers[0], day_codes[0]])
    assert [(o["mode"], o["verdict"], o["reason"]) for o in online] == [
        ("online", "admit", "ok"),
        ("online", "reject", "already_used"),
    ]
    void_ticket(live_server, demo_venue, day_numbers[2])
    assert cli(data, "sync").returncode == 0  # the gate learns the refund
    sold_later = issue_ticket(live_server, demo_venue, "Day ticket")  # the gate has NOT synced this one

    live_server.stop(kill=True)  # the outage
    first_run = headless(
        data,
        [
            sold_later["code"],  # unknown to the snapshot, but its signature is valid
            sold_later["code"],
            day_numbers[1],
            day_codes[0],  # used online before the outage: the local log knows
            day_numbers[2],  # voided before the outage
            "\x1b[A#garbage#",
            card,
            card,
        ],
    )
    assert all(o["mode"] == "offline" for o in first_run)
    assert [(o["verdict"], o["reason"]) for o in first_run] == [
        ("admit", "ok"),
        ("reject", "already_used"),
        ("admit", "ok"),
        ("reject", "already_used"),
        ("reject", "void"),
        ("reject", "invalid"),
        ("admit", "ok"),
        ("admit", "ok"),
    ]
    assert first_run[7]["entries_left"] == 8

    # The PC restarts while the server is still down: it validates from its own store at once.
    started = time.monotonic()
    second_run = headless(data, [day_numbers[1], sold_later["code"], sold_later["number"]])
    assert time.monotonic() - started < 15
    assert [(o["mode"], o["reason"]) for o in second_run] == [("offline", "already_used")] * 2 + [
        ("offline", "invalid")  # a bare number is only as good as the last sync: it is not signed
    ]
    assert second_run[2]["message"] == "Unknown ticket number"
    status = cli(data, "status", "--no-probe")
    assert "unsynced      11 passages" in status.stdout and "offline since" in status.stdout

    live_server.start()
    synced = cli(data, "sync")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("uploaded 11 passages")

    offline_shown = first_run + second_run
    recorded = {s.nonce: s for s in server_scans(demo_venue)}
    store = open_store(data)
    try:
        assert store.queued_count() == 0
        local = {p.nonce: p for p in store.passages(100) if p.verdict is not None}
        assert set(local) == {o["nonce"] for o in online + offline_shown}
        for shown in offline_shown:
            server = recorded[shown["nonce"]]  # registered, once (nonces are unique on the server)
            assert server.source == "offline" and server.device == "gate-main"
            assert abs(server.scanned_at - local[shown["nonce"]].scanned_at) < timedelta(milliseconds=1)
            assert server.verdict == shown["verdict"]
            assert local[shown["nonce"]].server_status == "registered"
        assert sum(1 for s in recorded.values() if s.device == "gate-main") == len(local)
    finally:
        store.close()

    (outage,) = outages(live_server, demo_venue)
    assert outage["device"] == "gate-main"
    assert outage["passages_offline"] == 11
    assert outage["ended_at"] is not None and outage["registered_at"] is not None


def test_two_offline_gates_admitting_the_same_ticket_are_flagged(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    main, north = tmp_path / "main", tmp_path / "north"
    refused = cli(
        main, "enroll", "--server", live_server.url, "--token", "not-a-real-token", "--gate", "Main gate"
    )
    assert refused.returncode == 3 and "token was refused" in refused.stderr
    assert "not-a-real-token" not in refused.stdout + refused.stderr
    wrong_gate = cli(
        main,
        "enroll",
        "--server",
        live_server.url,
        "--token",
        demo_venue.gate_tokens["Main gate"],
        "--gate",
        "North gate",
    )
    assert wrong_gate.returncode == 3 and "registered for gate 'Main gate'" in wrong_gate.stderr
    enroll(main, live_server, demo_venue, "Main gate")
    enroll(north, live_server, demo_venue, "North gate")
    ticket = tickets(demo_venue, "Day ticket")[3]
    live_server.stop()
    (at_main,) = headless(main, [ticket])
    (at_north,) = headless(north, [ticket])
    assert (at_main["verdict"], at_north["verdict"]) == ("admit", "admit")  # neither could know
    live_server.start()
    assert cli(main, "sync").returncode == 0
    assert cli(north, "sync").stdout.startswith("uploaded 1 passages (1 conflicts")
    recorded = {s.nonce: s for s in server_scans(demo_venue)}
    assert not recorded[at_main["nonce"]].conflict
    assert recorded[at_north["nonce"]].conflict and recorded[at_north["nonce"]].verdict == "admit"
    status = cli(north, "status", "--no-probe").stdout
    assert "conflicts     1" in status and "unsynced      0" in status
    store = open_store(north)
    try:
        (flagged,) = store.flagged()
        assert flagged.nonce == at_north["nonce"] and flagged.server_reason == "already_used"
    finally:
        store.close()


async def test_running_gate_switches_offline_and_back_by_itself(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    """One engine, running: the server goes away mid-shift and comes back; nobody touches the gate."""
    data = tmp_path / "gate"
    await asyncio.to_thread(enroll, data, live_server, demo_venue)
    store = open_store(data)
    settings = Settings.load(store)
    settings.feed_wait = 1
    remote = GateRemote(settings.server_url, settings.token, scan_timeout=settings.scan_timeout)
    engine = GateEngine(store, settings, remote)
    background = asyncio.create_task(engine.run())
    numbers = tickets(demo_venue, "Day ticket")
    try:
        first = shown(engine, await engine.scan(numbers[0]))
        assert (first.mode, first.verdict) == ("online", Verdict.ADMIT)

        await asyncio.to_thread(live_server.stop, True)
        # the call fails: decided here, same nonce
        second = shown(engine, await engine.scan(numbers[1]))
        third = shown(engine, await engine.scan(numbers[0]))
        assert (second.mode, second.verdict) == ("offline", Verdict.ADMIT)
        assert (third.mode, third.reason) == ("offline", Reason.ALREADY_USED)
        assert not engine.online and store.current_outage() is not None
        exit_scan = shown(engine, await engine.scan(numbers[1], Direction.OUT))
        assert exit_scan.verdict is Verdict.ADMIT

        await asyncio.to_thread(live_server.start)
        for _ in range(200):  # back online, queue uploaded, outage reported: by itself
            if engine.online and store.queued_count() == 0 and not store.outages_to_post():
                break
            await asyncio.sleep(0.05)
        assert engine.online and store.queued_count() == 0 and not store.outages_to_post()
        fourth = shown(engine, await engine.scan(numbers[1]))
        # The server knows the offline entry and exit now: this is a re-entry, not a first entry.
        assert (fourth.mode, fourth.verdict, fourth.message) == ("online", Verdict.ADMIT, "Re-entry")
    finally:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
        await remote.aclose()
        store.close()
    recorded = {s.nonce: s for s in await asyncio.to_thread(server_scans, demo_venue)}
    assert {second.nonce, third.nonce, exit_scan.nonce} <= set(recorded)
    assert recorded[second.nonce].source == "offline"

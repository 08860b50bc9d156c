"""A venue hub end to end, every part a real process: the central service, a hub
(`admission serve --upstream`) and three gates whose server list is the hub, then the central
service. The hub is cut from the central service; one single-entry ticket is scanned at two
gates through the hub and the second is refused; the link comes back and every passage is
registered centrally exactly once; then the hub is killed mid-scanning and the gates carry on
with the central service, and what the hub had not forwarded yet arrives when it returns.

A till that lists the hub first sells through it while the hub is cut from the centre: the hub
acknowledges the till-signed sale, its gates share one truth on the ticket, and once the link is
back the sale, like every passage, is registered centrally exactly once.

The hub starts from an empty database and reads the central feed (docs/hub.md: how a hub is set
up): the venue, its templates, gates and devices, and its tickets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from admission.demo import DemoVenue
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.till.sale import SaleResult
from tests.box_office.till_support import close_till
from tests.hub.test_sale_forwarding import central_sales
from tests.hub.test_till_at_hub import line, till_at_hub
from tests.scanner_client.live_support import GATES, cli, headless, issue_ticket, server_scans, void_ticket
from tests.support.hubs import make_hub
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
def hub(
    live_server: LiveServer, demo_venue: DemoVenue, hub_database_url: str, tmp_path: Path
) -> Iterator[LiveServer]:
    server = make_hub(live_server, demo_venue, hub_database_url, tmp_path / "hub")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def enroll_gate(data: Path, servers: list[str], venue: DemoVenue, gate: str) -> None:
    args = [arg for url in servers for arg in ("--server", url)]
    done = cli(data, "enroll", *args, "--token", venue.gate_tokens[gate], "--gate", gate)
    assert done.returncode == 0, done.stderr
    tuned = cli(data, "config", "--probe-interval", "0.2", "--failure-threshold", "1", "--scan-timeout", "2")
    assert tuned.returncode == 0, tuned.stderr


def wait_for(condition: object, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.25)
    raise AssertionError("not reached in time")


def test_gates_share_one_truth_through_the_hub(
    live_server: LiveServer, hub: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    gates = {gate: tmp_path / device for gate, device in GATES.items()}
    for gate, data in gates.items():
        enroll_gate(data, [hub.url, live_server.url], demo_venue, gate)
    single = [t for t in demo_venue.tickets if t.template == "Day ticket"]

    live_server.stop(kill=True)  # the venue's internet line is down
    at_main = headless(gates["Main gate"], [single[0].number])
    at_north = headless(gates["North gate"], [single[0].code, single[1].number])
    assert [(o["mode"], o["server"], o["verdict"]) for o in at_main] == [("online", hub.url, "admit")]
    assert [(o["mode"], o["server"], o["verdict"], o["reason"]) for o in at_north] == [
        ("online", hub.url, "reject", "already_used"),  # one truth at the venue
        ("online", hub.url, "admit", "ok"),
    ]

    live_server.start()  # the line is back: the hub forwards what it registered
    registered = [*at_main, *at_north]
    wait_for(lambda: {s.nonce for s in server_scans(demo_venue)} >= {o["nonce"] for o in registered})

    hub.stop(kill=True)  # the hub dies: the gates go on with the central service
    after = headless(gates["Main gate"], [single[2].number, single[1].code])
    assert [(o["mode"], o["server"], o["reason"]) for o in after] == [
        ("online", live_server.url, "ok"),
        ("online", live_server.url, "already_used"),  # the hub's admission reached the centre
    ]
    arena = headless(gates["North gate"], [single[3].number])
    assert (arena[0]["mode"], arena[0]["server"]) == ("online", live_server.url)

    scans = server_scans(demo_venue)
    nonces = [s.nonce for s in scans]
    assert sorted(nonces) == sorted(o["nonce"] for o in [*registered, *after, *arena])  # each once
    by_nonce = {s.nonce: s for s in scans}
    assert by_nonce[at_north[0]["nonce"]].verdict == "reject" and not any(s.conflict for s in scans)


def test_a_hub_that_dies_forwards_what_it_registered_when_it_returns(
    live_server: LiveServer, hub: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    data = tmp_path / "gate"
    enroll_gate(data, [hub.url, live_server.url], demo_venue, "Main gate")
    single = [t for t in demo_venue.tickets if t.template == "Day ticket"]

    live_server.stop(kill=True)
    at_hub = headless(data, [single[0].number, single[1].number])
    assert {o["server"] for o in at_hub} == {hub.url}
    hub.stop(kill=True)  # before it could forward anything
    live_server.start()
    hub.start()
    wait_for(lambda: len(server_scans(demo_venue)) == 2)
    time.sleep(2.5)  # a second round of the link forwards nothing more
    assert sorted(s.nonce for s in server_scans(demo_venue)) == sorted(o["nonce"] for o in at_hub)


def test_the_hub_follows_the_central_feed(
    live_server: LiveServer, hub: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    """Tickets sold and voided at the centre, and passages registered there, reach the hub's own
    database: its gates judge them as the centre would."""
    data = tmp_path / "gate"
    enroll_gate(data, [hub.url, live_server.url], demo_venue, "Main gate")
    single = [t for t in demo_venue.tickets if t.template == "Day ticket"]
    sold = issue_ticket(live_server, demo_venue, "Day ticket")
    void_ticket(live_server, demo_venue, single[0].number)
    scan_centrally = {
        "nonce": "gate-north-c1",
        "code": single[1].number,
        "gate": "North gate",
        "direction": "in",
    }
    with live_server.client(demo_venue.gate_tokens["North gate"]) as north:
        assert north.post("/api/v1/scans", json=scan_centrally).json()["verdict"] == "admit"

    def hub_knows() -> bool:
        with hub.client(demo_venue.viewer_token) as viewer:
            found = viewer.get(f"/api/v1/tickets/{sold['number']}")
            passages = viewer.get(f"/api/v1/tickets/{single[1].number}").json().get("passages", [])
            return found.status_code == 200 and bool(passages)

    wait_for(hub_knows, 30)
    verdicts = headless(data, [sold["number"], single[0].number, single[1].code])
    assert [(o["server"], o["reason"]) for o in verdicts] == [
        (hub.url, "ok"),  # sold at the centre after the hub started, typed by its number
        (hub.url, "void"),
        (hub.url, "already_used"),  # admitted at the centre's North gate
    ]
    wait_for(lambda: len(server_scans(demo_venue)) == 4)
    central = {s.nonce: s for s in server_scans(demo_venue)}
    assert central["gate-north-c1"].verdict == "admit" and not any(s.conflict for s in central.values())


def test_a_gate_made_centrally_scans_at_the_running_hub(
    live_server: LiveServer, hub: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    """A gate and its device made at the centre while the hub runs: the hub's link brings them,
    the new gate enrols with the hub first and scans there; revoked centrally, it is refused at
    the hub too."""
    with live_server.client(demo_venue.admin_token) as admin:
        assert admin.post("/api/v1/gates", json={"name": "East gate", "zone": "zoo"}).status_code == 201
        made = admin.post("/api/v1/devices", json={"name": "gate-east", "role": "gate", "gate": "East gate"})
        assert made.status_code == 201, made.text
    token, device_id = made.json()["token"], made.json()["device"]["id"]

    def hub_knows_the_gate() -> bool:
        with hub.client(token) as east:
            return east.get("/api/v1/sync/changes?limit=1").status_code == 200

    wait_for(hub_knows_the_gate, 30)
    data = tmp_path / "gate-east"
    done = cli(
        data,
        "enroll",
        "--server",
        hub.url,
        "--server",
        live_server.url,
        "--token",
        token,
        "--gate",
        "East gate",
    )
    assert done.returncode == 0, done.stderr
    ticket = next(t for t in demo_venue.tickets if t.template == "Day ticket")
    (verdict,) = headless(data, [ticket.number])
    assert (verdict["server"], verdict["verdict"]) == (hub.url, "admit")

    with live_server.client(demo_venue.admin_token) as admin:
        assert admin.post(f"/api/v1/devices/{device_id}/revoke").status_code == 200

    def hub_refuses_the_gate() -> bool:
        with hub.client(token) as east:
            return east.get("/api/v1/sync/changes?limit=1").status_code == 401

    wait_for(hub_refuses_the_gate, 30)


async def test_a_till_sells_through_the_hub_cut_from_the_centre_and_each_sale_registers_once(
    live_server: LiveServer, demo_venue: DemoVenue, hub_database_url: str, tmp_path: Path
) -> None:
    hub, till = await till_at_hub(live_server, demo_venue, hub_database_url, tmp_path)
    try:
        gates = {gate: tmp_path / device for gate, device in GATES.items()}
        for gate, data in gates.items():
            await asyncio.to_thread(enroll_gate, data, [hub.url, live_server.url], demo_venue, gate)

        live_server.stop(kill=True)  # the venue's internet line is down
        await till.probe()
        assert till.through_hub
        cash = PaymentIn(method=PaymentMethod.CASH, amount_cents=5000)
        sales = [await till.sell([line(till, "100")], cash), await till.sell([line(till, "100", 2)], cash)]
        assert all(s.through_hub for s in sales) and till.store.pending_count() == 0
        codes = [t.code for s in sales for t in s.tickets]
        at_main = await asyncio.to_thread(headless, gates["Main gate"], codes[:2])
        at_north = await asyncio.to_thread(headless, gates["North gate"], [codes[0], codes[2]])
        assert [(o["server"], o["reason"]) for o in [*at_main, *at_north]] == [
            (hub.url, "ok"),
            (hub.url, "ok"),
            (hub.url, "already_used"),  # one truth at the venue on a ticket sold there
            (hub.url, "ok"),
        ]

        live_server.start()  # the line is back: the hub forwards sales and passages
        await asyncio.to_thread(registered_once, live_server, demo_venue, sales, [*at_main, *at_north])
    finally:
        await close_till(till)
        hub.stop()


def registered_once(
    central: LiveServer, venue: DemoVenue, sales: list[SaleResult], passages: list[dict[str, object]]
) -> None:
    """Every passage and every sale reaches the central service, each exactly once."""
    wait_for(lambda: {s.nonce for s in server_scans(venue)} >= {o["nonce"] for o in passages})
    wait_for(lambda: all(central_sales(central, venue, s.local.nonce) for s in sales))
    time.sleep(2.5)  # another round of the link sends nothing more
    for sale in sales:
        (recorded,) = central_sales(central, venue, sale.local.nonce)
        assert recorded["device"] == "box-office-1" and recorded["offline"]
        assert sorted(t["code"] for t in recorded["tickets"]) == sorted(t.code for t in sale.tickets)
    scans = server_scans(venue)
    assert sorted(s.nonce for s in scans) == sorted(str(o["nonce"]) for o in passages)  # each once
    assert not any(s.conflict for s in scans)

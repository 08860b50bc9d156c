"""A till whose server list starts with a venue hub sells through it: the till signs, the hub
acknowledges, its gates know the ticket at once and share one truth on it, and the hub's link
registers the sale centrally once. The central service and the hub are real processes (the
hub started on an empty database after the till was enrolled); the till and the
gates are the real client objects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from admission.demo import DemoVenue
from admission.domain.model import Reason, Verdict
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.gate.engine import GateEngine
from scanner_client.till.enroll import KEY_FILE, load_key
from scanner_client.till.remote import BoxOfficeRemote
from scanner_client.till.sale import CartLine, OfflineEventRefused
from scanner_client.till.till import Till
from tests.box_office.till_support import close_till, enrolled_gate, enrolled_till
from tests.hub.test_sale_forwarding import central_sales
from tests.scanner_client.live_support import server_scans
from tests.support.hubs import make_hub
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.slow


@dataclass
class Venue:
    hub: LiveServer
    till: Till
    main: GateEngine
    north: GateEngine


async def till_at_hub(
    central: LiveServer, venue: DemoVenue, hub_database_url: str, folder: Path
) -> tuple[LiveServer, Till]:
    """A till enrolled at the centre, then a hub started on an empty database (it reads the
    till's device and key from the central feed), and the till re-pointed at [hub, centre]."""
    enrolled = await enrolled_till(folder / "till", central.url, venue.box_office_token, None)
    assert enrolled.remote is not None
    await enrolled.remote.aclose()
    hub = make_hub(central, venue, hub_database_url, folder / "hub")
    hub.start()
    store = enrolled.store
    assert store.token
    remote = BoxOfficeRemote([hub.url, central.url], store.token)
    till = Till(
        store,
        remote,
        load_key(folder / "till" / KEY_FILE),
        folder / "till" / "out",
        probe_interval=0.2,
        feed_wait=1.0,
    )
    return hub, till


@pytest.fixture
async def at_venue(
    live_server: LiveServer, demo_venue: DemoVenue, hub_database_url: str, tmp_path: Path
) -> AsyncIterator[Venue]:
    hub, till = await till_at_hub(live_server, demo_venue, hub_database_url, tmp_path)
    main = await enrolled_gate(tmp_path / "main", hub.url, demo_venue.gate_tokens["Main gate"], "Main gate")
    north = await enrolled_gate(
        tmp_path / "north", hub.url, demo_venue.gate_tokens["North gate"], "North gate"
    )
    try:
        yield Venue(hub=hub, till=till, main=main, north=north)
    finally:
        await close_till(till)
        for gate in (main, north):
            await gate.remote.aclose()
            gate.store.close()
        hub.stop()


def line(till: Till, plu: str, quantity: int = 1) -> CartLine:
    (template,) = [t for t in till.find(plu) if t.plu == plu]
    return CartLine(template=template, quantity=quantity)


async def test_a_sale_through_the_hub_is_acknowledged_known_to_its_gates_and_registered_once(
    live_server: LiveServer, demo_venue: DemoVenue, at_venue: Venue
) -> None:
    till = at_venue.till
    await till.probe()
    assert till.online and till.through_hub and till.server == at_venue.hub.url

    sold = await till.sell([line(till, "100", 2)], PaymentIn(method=PaymentMethod.CASH, amount_cents=5000))
    assert sold.through_hub and not sold.offline
    assert till.store.pending_count() == 0  # acknowledged, not queued
    assert till.store.sale(sold.local.nonce).state == "synced"  # type: ignore[union-attr]
    ticket = sold.tickets[0]
    assert ticket.number is None  # signed by the till: the hub signs nothing

    # A gate behind the hub learns the ticket from the hub's feed at once ...
    await at_venue.north.pull_changes()
    assert at_venue.north.store.ticket_by_serial(int(ticket.serial)) is not None
    # ... and the hub's gates share one truth on it.
    first = await at_venue.main.scan(ticket.code)
    second = await at_venue.north.scan(ticket.code)
    assert (first.mode, first.verdict) == ("online", Verdict.ADMIT)
    assert (second.mode, second.verdict, second.reason) == ("online", Verdict.REJECT, Reason.ALREADY_USED)

    # Event tickets need the central capacity check: the fallback entry ticket is offered.
    with pytest.raises(OfflineEventRefused, match="venue hub") as refused:
        await till.sell([line(till, "200")], PaymentIn(method=PaymentMethod.CASH, amount_cents=3500))
    assert [f.plu for f in refused.value.fallbacks] == ["201"]

    # The hub's link registers the sale and both passages centrally, once.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        central = await asyncio.to_thread(central_sales, live_server, demo_venue, sold.local.nonce)
        scans = await asyncio.to_thread(server_scans, demo_venue)
        if central and len(scans) == 2:
            break
        await asyncio.sleep(0.25)
    (recorded,) = central
    assert recorded["device"] == "box-office-1" and len(recorded["tickets"]) == 2
    assert sorted(s.nonce for s in scans) == sorted([first.nonce, second.nonce])

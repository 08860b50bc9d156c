"""A venue hub forwards what its gates registered to the central service exactly once: in the
gate's name and under its nonces, marked as forwarded only once the central service answered,
so a hub that stops before marking sends again and nothing doubles; a ticket admitted at the
hub and elsewhere is flagged as a conflict centrally.

The hub starts from an empty database (on the central one's backend) and follows the central
feed; both run as real `admission serve` processes on loopback ports, the hub's link cut (its
upstream answers nowhere) so the test says when it forwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, func, select

from admission.db.engine import Database
from admission.db.models import HubForwarded
from admission.demo import DemoVenue
from admission.services.hub import HubForwarder, Upstream, UpstreamRefused
from tests.scanner_client.live_support import server_scans
from tests.support.hubs import dead_upstream
from tests.support.live_server import LiveServer


@pytest.fixture
def hub(hub_venue: DemoVenue, hub_token: str) -> Iterator[LiveServer]:
    server = LiveServer(hub_venue, extra=("--upstream", dead_upstream(), "--token", hub_token))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def scan_at(server: LiveServer, venue: DemoVenue, gate: str, nonce: str, code: str) -> dict:  # type: ignore[type-arg]
    with server.client(venue.gate_tokens[gate]) as client:
        response = client.post(
            "/api/v1/scans", json={"nonce": nonce, "code": code, "gate": gate, "direction": "in"}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


async def forwarded_count(venue: DemoVenue) -> int:
    db = Database(venue.database_url)
    try:
        async with db.read_session() as session:
            return int(await session.scalar(select(func.count()).select_from(HubForwarded)) or 0)
    finally:
        await db.dispose()


async def forget_forwarding(venue: DemoVenue) -> None:
    """As if the hub had stopped after sending and before marking the scans forwarded."""
    db = Database(venue.database_url)
    try:
        async with db.session() as session:
            await session.execute(delete(HubForwarded))
    finally:
        await db.dispose()


async def test_hub_scans_reach_the_central_service_once(
    live_server: LiveServer, hub: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue, hub_token: str
) -> None:
    day = [t for t in demo_venue.tickets if t.template == "Day ticket"]
    # The link is down: the hub decides for its gates; the second gate is refused at the hub.
    first = scan_at(hub, hub_venue, "Main gate", "gate-main-1", day[0].number)
    second = scan_at(hub, hub_venue, "North gate", "gate-north-1", day[0].code)
    assert (first["verdict"], second["verdict"], second["reason"]) == ("admit", "reject", "already_used")
    scan_at(hub, hub_venue, "Main gate", "gate-main-2", day[1].number)
    # Meanwhile a gate at the central service admits a ticket the hub admits too.
    scan_at(live_server, demo_venue, "North gate", "gate-north-9", day[2].number)
    scan_at(hub, hub_venue, "Main gate", "gate-main-3", day[2].code)

    upstream = Upstream(live_server.url, hub_token)
    forwarder = HubForwarder(Database(hub_venue.database_url), upstream, batch_size=2)
    try:
        done = await forwarder.forward_once()
        assert done.sent == 4
        assert done.by_status == {"registered": 3, "conflict": 1}
        assert (await forwarder.forward_once()).sent == 0  # nothing owed any more

        await forget_forwarding(hub_venue)
        again = await forwarder.forward_once()
        assert again.by_status == {"duplicate": 4}
        assert await forwarded_count(hub_venue) == 4
    finally:
        await upstream.aclose()
        await forwarder.db.dispose()

    central = {s.nonce: s for s in await asyncio.to_thread(server_scans, demo_venue)}
    assert sorted(central) == ["gate-main-1", "gate-main-2", "gate-main-3", "gate-north-1", "gate-north-9"]
    assert central["gate-main-1"].device == "gate-main" and central["gate-north-1"].device == "gate-north"
    assert central["gate-north-1"].verdict == "reject"
    assert central["gate-main-3"].conflict and not central["gate-north-9"].conflict


async def test_a_gate_token_cannot_forward_for_another_gate(
    live_server: LiveServer, hub: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue
) -> None:
    day = [t for t in demo_venue.tickets if t.template == "Day ticket"]
    scan_at(hub, hub_venue, "North gate", "gate-north-1", day[0].number)
    upstream = Upstream(live_server.url, demo_venue.gate_tokens["Main gate"])
    forwarder = HubForwarder(Database(hub_venue.database_url), upstream)
    try:
        with pytest.raises(UpstreamRefused) as refused:
            await forwarder.forward_once()
        assert refused.value.status == 403
        assert await forwarded_count(hub_venue) == 0  # still owed
    finally:
        await upstream.aclose()
        await forwarder.db.dispose()
    assert [s.nonce for s in await asyncio.to_thread(server_scans, demo_venue)] == []

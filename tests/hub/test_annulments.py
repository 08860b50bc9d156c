"""A scan annulled at a hub after the hub forwarded it is annulled centrally too, exactly once
(a hub that sends the annulment again gets a duplicate); an annulment the centre refuses (past
its window, measured by its own clock) is recorded at the hub with the centre's reason and not
sent again; only a hub may forward annulments, and only a gate's. The centre's answer to a
forwarded scan replaces the mark the hub's follower may have put on it first."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from admission.contract import BatchResult
from admission.db.engine import Database
from admission.db.models import HubForwarded, Scan
from admission.demo import DemoVenue
from admission.domain.model import Reason, Verdict
from admission.services.hub import record_forwarded
from tests.scanner_client.live_support import server_scans
from tests.support.hubs import forward, hub_api
from tests.support.live_server import LiveServer
from tests.support.venues import bearer


async def annulment_records(venue: DemoVenue) -> dict[str, tuple[str | None, str | None]]:
    db = Database(venue.database_url)
    try:
        async with db.read_session() as session:
            rows = await session.execute(
                select(Scan.nonce, HubForwarded.annul_status, HubForwarded.annul_detail).join(
                    HubForwarded, HubForwarded.scan_id == Scan.id
                )
            )
            return {nonce: (status, detail) for nonce, status, detail in rows}
    finally:
        await db.dispose()


async def forget_annulments(venue: DemoVenue) -> None:
    """As if the hub had stopped after sending the annulments and before writing the answers."""
    db = Database(venue.database_url)
    try:
        async with db.session() as session:
            await session.execute(update(HubForwarded).values(annul_status=None, annul_detail=None))
    finally:
        await db.dispose()


def test_a_late_annulment_reaches_the_centre_once(
    live_server: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue, hub_token: str
) -> None:
    day = [t for t in demo_venue.tickets if t.template == "Day ticket"]
    gate = bearer(demo_venue.gate_tokens["Main gate"])
    with hub_api(hub_venue) as hub:
        for nonce, ticket in (("gate-main-1", day[0]), ("gate-main-2", day[1])):
            answer = hub.post(
                "/api/v1/scans",
                json={"nonce": nonce, "code": ticket.number, "gate": "Main gate", "direction": "in"},
                headers=gate,
            )
            assert answer.json()["verdict"] == "admit"
        assert forward(hub_venue, live_server.url, hub_token).by_status == {"registered": 2}
        # The turnstile did not turn: the gate annuls at the hub, after the scan was forwarded.
        assert hub.post("/api/v1/scans/gate-main-1/annul", headers=gate).status_code == 200

    done = forward(hub_venue, live_server.url, hub_token)
    assert (done.sent, done.annulments) == (0, {"annulled": 1})
    assert forward(hub_venue, live_server.url, hub_token).annulments == {}  # nothing owed any more
    central = {s.nonce: s for s in server_scans(demo_venue)}
    assert central["gate-main-1"].annulled and not central["gate-main-2"].annulled
    with live_server.client(demo_venue.gate_tokens["North gate"]) as north:  # it counts no more
        again = {"nonce": "gate-north-1", "code": day[0].code, "gate": "North gate", "direction": "in"}
        assert north.post("/api/v1/scans", json=again).json()["reason"] == "ok"

    asyncio.run(forget_annulments(hub_venue))
    assert forward(hub_venue, live_server.url, hub_token).annulments == {"duplicate": 1}
    assert asyncio.run(annulment_records(hub_venue))["gate-main-1"] == ("duplicate", None)


def test_an_annulment_the_centre_refuses_is_recorded_with_its_reason(
    live_server: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue, hub_token: str
) -> None:
    ticket = next(t for t in demo_venue.tickets if t.template == "Day ticket")
    gate = bearer(demo_venue.gate_tokens["Main gate"])
    with hub_api(hub_venue) as hub:
        scan = {"nonce": "gate-main-1", "code": ticket.code, "gate": "Main gate", "direction": "in"}
        assert hub.post("/api/v1/scans", json=scan, headers=gate).json()["verdict"] == "admit"
        forward(hub_venue, live_server.url, hub_token)
        assert hub.post("/api/v1/scans/gate-main-1/annul", headers=gate).status_code == 200
    with live_server.client(demo_venue.admin_token) as admin:  # the centre's window has passed
        venue = admin.get("/api/v1/venue").json()
        changed = admin.put(
            "/api/v1/venue",
            json={"name": venue["name"], "timezone": venue["timezone"], "annul_window_seconds": 0},
        )
        assert changed.status_code == 200, changed.text

    assert forward(hub_venue, live_server.url, hub_token).annulments == {"refused": 1}
    status, detail = asyncio.run(annulment_records(hub_venue))["gate-main-1"]
    assert status == "refused" and detail is not None and "too late" in detail
    assert forward(hub_venue, live_server.url, hub_token).annulments == {}  # not sent again
    (central,) = server_scans(demo_venue)
    assert central.verdict == "admit" and not central.annulled  # the passage counts there


def test_only_a_hub_forwards_annulments_and_only_a_gates(
    live_server: LiveServer, demo_venue: DemoVenue, hub_token: str
) -> None:
    ask = {"device": "gate-main", "nonces": ["gate-main-1"]}
    with live_server.client(demo_venue.gate_tokens["Main gate"]) as gate:
        assert gate.post("/api/v1/hub/annulments", json=ask).status_code == 403
    with live_server.client(hub_token) as hub:
        unknown = hub.post("/api/v1/hub/annulments", json=ask)
        assert unknown.status_code == 200
        assert unknown.json()["results"][0]["status"] == "refused"  # the gate has no such scan
        assert hub.post("/api/v1/hub/annulments", json={**ask, "device": "manager"}).status_code == 403
        assert hub.post("/api/v1/hub/annulments", json={**ask, "nonces": []}).status_code == 400


async def mark_from_upstream_then_record(venue: DemoVenue) -> str:
    """The hub's follower took the centre's feed past a scan before the forwarder wrote the
    centre's answer: the answer replaces the mark, and nothing fails."""

    db = Database(venue.database_url)
    try:
        async with db.session() as session:
            scan_id = await session.scalar(select(Scan.id).where(Scan.nonce == "gate-main-1"))
            assert scan_id is not None
            await session.execute(
                update(HubForwarded).where(HubForwarded.scan_id == scan_id).values(status="upstream")
            )
        async with db.session() as session:
            await record_forwarded(
                session,
                [
                    (
                        scan_id,
                        BatchResult(
                            nonce="gate-main-1", status="registered", verdict=Verdict.ADMIT, reason=Reason.OK
                        ),
                    )
                ],
            )
        async with db.read_session() as session:
            return str(
                await session.scalar(select(HubForwarded.status).where(HubForwarded.scan_id == scan_id))
            )
    finally:
        await db.dispose()


def test_the_centres_answer_replaces_a_mark_from_its_feed(
    live_server: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue, hub_token: str
) -> None:
    ticket = next(t for t in demo_venue.tickets if t.template == "Day ticket")
    with hub_api(hub_venue) as hub:
        scan = {"nonce": "gate-main-1", "code": ticket.code, "gate": "Main gate", "direction": "in"}
        hub.post("/api/v1/scans", json=scan, headers=bearer(demo_venue.gate_tokens["Main gate"]))
    assert forward(hub_venue, live_server.url, hub_token).sent == 1
    assert asyncio.run(mark_from_upstream_then_record(hub_venue)) == "registered"

"""The gate engine's reactions to what the network does: timeouts, 5xx, 4xx, partial batches.

The server side here is an httpx MockTransport answering like the service would (or failing
like a dead link would); the client code under test is the real one, store included.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from admission.domain.model import Verdict
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import VenueSnapshot, shown


class FakeService:
    """Answers the gate's calls; `down` makes every call fail like a dead link."""

    def __init__(self) -> None:
        self.down = False
        self.slow = False
        self.scans: list[dict[str, object]] = []  # answered
        self.scan_attempts = 0
        self.batches: list[list[str]] = []
        self.outages: list[dict[str, object]] = []
        self.annulled: list[str] = []
        self.poison: set[str] = set()  # codes the batch endpoint refuses (422)
        self.refused: dict[str, str] = {}  # codes whose passages the batch refuses, with why

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v1")
        if path == "/scans":
            self.scan_attempts += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.slow:
            await asyncio.sleep(5)
        if path == "/devices/me":
            return httpx.Response(200, json={"id": 1, "name": "gate-pc-1", "role": "gate", "gate": "Main"})
        if path == "/scans":
            body = json.loads(request.content)
            self.scans.append(body)
            return httpx.Response(
                200,
                json={
                    "verdict": "admit",
                    "reason": "ok",
                    "message": "Welcome",
                    "nonce": body["nonce"],
                    "scanned_at": body["scanned_at"],
                    "ticket": None,
                },
            )
        if path == "/passages/batch":
            batch = json.loads(request.content)
            if any(p["code"] in self.poison for p in batch["passages"]):
                return httpx.Response(
                    422, json={"title": "Validation failed", "detail": "bad code", "status": 422}
                )
            self.batches.append([p["nonce"] for p in batch["passages"]])
            results = [
                {
                    "nonce": p["nonce"],
                    "status": "refused" if p["code"] in self.refused else "registered",
                    "verdict": p["local_verdict"],
                    "reason": p["local_reason"],
                    "detail": self.refused.get(p["code"]),
                }
                for p in batch["passages"]
            ]
            return httpx.Response(200, json={"results": results})
        if path == "/sync/changes":
            return httpx.Response(
                200, json={"cursor": int(request.url.params["since"]), "more": False, "changes": []}
            )
        if path == "/outages":
            self.outages.append(json.loads(request.content))
            return httpx.Response(201, json={})
        if path.endswith("/annul"):
            self.annulled.append(path.split("/")[2])
            return httpx.Response(200, json={})
        return httpx.Response(404, json={"title": "Not found", "status": 404})


@pytest.fixture
def service() -> FakeService:
    return FakeService()


def engine_for(store: GateStore, service: FakeService, **overrides: object) -> GateEngine:
    settings = Settings.load(store)
    settings.scan_timeout = 0.3
    settings.failure_threshold = 2
    settings.probe_interval = 0.05
    settings.feed_wait = 0
    for name, value in overrides.items():
        setattr(settings, name, value)
    remote = GateRemote(
        "http://service.test",
        settings.token,
        scan_timeout=settings.scan_timeout,
        transport=httpx.MockTransport(service),
    )
    return GateEngine(store, settings, remote)


async def test_online_scan_is_registered_by_the_server_with_the_local_nonce(
    store: GateStore, venue: VenueSnapshot, service: FakeService
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    engine = engine_for(store, service)
    outcome = shown(engine, await engine.scan(ticket.number))
    assert outcome.mode == "online" and service.scans[0]["nonce"] == outcome.nonce == "gate-pc-1-1"
    local = store.passage(outcome.nonce)
    assert local is not None and local.server_status == "online" and not local.upload
    assert store.queued_count() == 0


async def test_failures_decide_locally_with_the_same_nonce_then_go_offline(
    store: GateStore, venue: VenueSnapshot, service: FakeService
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    engine = engine_for(store, service)
    service.slow = True  # the server takes longer than the scan timeout
    first = shown(engine, await engine.scan(ticket.number))
    assert (first.mode, first.verdict) == ("offline", Verdict.ADMIT)
    assert engine.online  # one failure is not yet an outage
    service.slow, service.down = False, True
    second = shown(engine, await engine.scan(ticket.code))
    assert second.reason.value == "already_used"  # the first, decided locally, counts
    assert not engine.online and store.current_outage() is not None
    third = shown(engine, await engine.scan(ticket.number))
    assert third.mode == "offline" and service.scan_attempts == 2  # offline: no more online attempts
    assert [p.nonce for p in store.queued(10)] == [first.nonce, second.nonce, third.nonce]

    service.down = False
    background = asyncio.create_task(engine.run())
    try:
        for _ in range(100):
            if engine.online and store.queued_count() == 0 and service.outages:
                break
            await asyncio.sleep(0.02)
    finally:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
    assert engine.online and store.queued_count() == 0
    assert sorted(n for batch in service.batches for n in batch) == sorted(
        [first.nonce, second.nonce, third.nonce]
    )
    (report,) = [o for o in service.outages if o["registered_at"]]  # posted once it was fully registered
    assert report["passages_offline"] == 2 and report["ended_at"] is not None


async def test_a_refused_passage_does_not_block_the_queue(
    store: GateStore, venue: VenueSnapshot, service: FakeService
) -> None:
    venue.apply(store)
    engine = engine_for(store, service, batch_size=8)
    engine.go_offline()
    codes = [f"code-{i}" for i in range(8)]
    for code in codes:
        shown(engine, await engine.scan(code))
    service.poison = {"code-5"}
    engine.go_online()
    report = await engine.push_queue()
    assert (report.uploaded, report.refused) == (7, 1)
    assert store.queued_count() == 0
    (refused,) = store.flagged()
    assert (
        refused.code == "code-5"
        and refused.server_status == "refused"
        and "Validation failed" in str(refused.server_reason)
    )


async def test_a_passage_the_batch_refuses_stays_visible_and_is_not_sent_again(
    store: GateStore, venue: VenueSnapshot, service: FakeService
) -> None:
    venue.apply(store)
    engine = engine_for(store, service, batch_size=8)
    engine.go_offline()
    for code in ("code-0", "code-1", "code-2"):
        shown(engine, await engine.scan(code))
    service.refused = {"code-1": "this device scans at gate 'Main', not at 'North'"}
    engine.go_online()
    report = await engine.push_queue()
    assert (report.uploaded, report.refused) == (2, 1)
    assert store.queued_count() == 0
    (refused,) = store.flagged()
    assert (refused.code, refused.server_status, refused.server_reason) == (
        "code-1",
        "refused",
        "this device scans at gate 'Main', not at 'North'",
    )
    assert refused.verdict is Verdict.REJECT  # the gate's own verdict on 'code-1' stays in its log
    again = await engine.push_queue()
    assert (again.uploaded, again.refused, len(service.batches)) == (0, 0, 1)


async def test_unauthorised_token_keeps_the_gate_working_offline(store: GateStore, venue: VenueSnapshot) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"title": "this token is unknown or revoked", "status": 401})

    settings = Settings.load(store)
    remote = GateRemote("http://service.test", "revoked", transport=httpx.MockTransport(refuse))
    engine = GateEngine(store, settings, remote)
    outcome = shown(engine, await engine.scan(ticket.number))
    assert outcome.verdict is Verdict.ADMIT and outcome.mode == "offline"
    assert not engine.online and engine.problem and "token" in engine.problem
    assert store.queued_count() == 1


async def test_turn_away_after_an_online_admit_annuls_it_on_the_server(
    store: GateStore, venue: VenueSnapshot, service: FakeService
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    engine = engine_for(store, service)
    admitted = shown(engine, await engine.scan(ticket.number))
    turned = shown(engine, await engine.turn_away(admitted, "no shoes"))
    await engine.push_queue()
    assert service.annulled == [admitted.nonce]
    assert service.batches == [[turned.nonce]]
    first = store.passage(admitted.nonce)
    assert first is not None and first.annul_state == "done"
    with pytest.raises(ValueError):
        await engine.override_admit(admitted, "admitted scans cannot be overridden to admit")


async def test_restart_during_an_outage_starts_offline(
    store: GateStore, venue: VenueSnapshot, service: FakeService
) -> None:
    venue.apply(store)
    engine = engine_for(store, service)
    service.down = True
    shown(engine, await engine.scan("x"))
    shown(engine, await engine.scan("y"))
    assert not engine.online
    restarted = engine_for(store, service)
    assert not restarted.online  # no timeout to sit through on the first scan after a restart
    assert (await restarted.scan("z")).mode == "offline"

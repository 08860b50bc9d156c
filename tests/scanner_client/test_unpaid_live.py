"""A ticket issued unpaid, against the real service process and a running gate: refused online
and offline with its own reason; marked paid at the box office, the running gate learns it from
the change feed's long poll within seconds (not at the poll's end), and admits it offline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from admission.demo import DemoVenue
from admission.domain.model import Reason, Verdict
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings, open_store
from tests.scanner_client.client_support import shown
from tests.scanner_client.live_support import enroll, server_scans
from tests.support.live_server import LiveServer

# The gate's long poll lasts longer than the wait below: the payment must come by the feed's
# wake-up, as a void does, not by the next poll.
FEED_WAIT = 20
WITHIN_SECONDS = 5.0


def box_office(server: LiveServer, venue: DemoVenue, method: str, path: str, **body: Any) -> Any:
    with server.client(venue.box_office_token) as box:
        answer = box.request(method, path, **({"json": body} if body else {}))
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


async def until(condition: Any, seconds: float) -> float:
    """Seconds until `condition()` holds; fails after `seconds`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "not reached in time"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_marked_paid_reaches_a_running_gate_within_seconds_and_it_admits_offline(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    data = tmp_path / "gate"
    await asyncio.to_thread(enroll, data, live_server, demo_venue)
    store = open_store(data)
    settings = Settings.load(store)
    settings.feed_wait = FEED_WAIT
    remote = GateRemote(settings.server_url, settings.token, scan_timeout=settings.scan_timeout)
    engine = GateEngine(store, settings, remote)
    background = asyncio.create_task(engine.run())
    try:
        templates = await asyncio.to_thread(box_office, live_server, demo_venue, "GET", "/api/v1/templates")
        day = next(t["id"] for t in templates if t["name"] == "Day ticket")
        (ticket,) = await asyncio.to_thread(
            box_office, live_server, demo_venue, "POST", "/api/v1/tickets/issue",
            template_id=day, count=1, payment_state="pending",
        )  # fmt: skip
        serial = int(ticket["serial"])
        await until(lambda: store.ticket_by_serial(serial) is not None, WITHIN_SECONDS)
        stored = store.ticket_by_serial(serial)
        assert stored is not None and not stored.paid

        online = shown(engine, await engine.scan(ticket["code"]))
        assert (online.mode, online.verdict, online.reason) == ("online", Verdict.REJECT, Reason.UNPAID)
        offline = engine.preview(ticket["number"])  # what the gate would say on its own
        assert offline.decision.reason is Reason.UNPAID
        assert offline.decision.message == online.message

        await asyncio.to_thread(
            box_office, live_server, demo_venue, "POST", f"/api/v1/tickets/{ticket['number']}/paid"
        )
        took = await until(lambda: getattr(store.ticket_by_serial(serial), "paid", False), WITHIN_SECONDS)
        assert took < WITHIN_SECONDS
        assert engine.preview(ticket["code"]).decision.reason is Reason.OK

        await asyncio.to_thread(live_server.stop, True)  # the outage: the gate decides alone
        entry = shown(engine, await engine.scan(ticket["code"]))
        assert (entry.mode, entry.verdict, entry.reason) == ("offline", Verdict.ADMIT, Reason.OK)

        await asyncio.to_thread(live_server.start)
        await until(lambda: engine.online and store.queued_count() == 0, 30)
    finally:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
        await remote.aclose()
        store.close()
    recorded = {s.nonce: s for s in await asyncio.to_thread(server_scans, demo_venue)}
    # The service agrees with what the gate did: the offline entry is registered, no conflict.
    assert recorded[online.nonce].reason == "unpaid"
    assert (recorded[entry.nonce].verdict, recorded[entry.nonce].conflict) == ("admit", False)

"""The gate app when the service answers that this device was revoked (Pilot, a real store, the
service's answers from an httpx MockTransport): the store is wiped, the screen says why and what
to do, and no scan is decided any more."""

from __future__ import annotations

import httpx
from textual.widgets import Static

from scanner_client.gate.app import GateApp
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.remote import GateRemote
from scanner_client.gate.settings import Settings
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import VenueSnapshot
from tests.scanner_client.test_client_app import scan, until

REVOKED = {
    "type": "urn:admission:problem:device-revoked",
    "code": "device_revoked",
    "title": "this device was revoked",
    "status": 401,
}
ROTATED = {"code": "token_revoked", "title": "this token was replaced or revoked", "status": 401}


def answering(problem: dict[str, object]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(401, json=problem))


def text(app: GateApp, selector: str) -> str:
    return str(app.query_one(selector, Static).content)


async def test_a_revoked_gate_wipes_its_store_says_so_and_scans_no_more(
    store: GateStore, venue: VenueSnapshot
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    settings = Settings.load(store)
    remote = GateRemote("http://service.test", settings.token, transport=answering(REVOKED))
    app = GateApp(GateEngine(store, settings, remote))
    async with app.run_test(size=(120, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        assert app.query_one("#verdict").has_class("reject")
        assert text(app, "#headline") == "This gate was revoked"
        assert "Enrol this PC again" in text(app, "#detail")
        assert "REVOKED" in text(app, "#status")
        assert store.ticket_count() == 0 and store.templates() == {} and store.issuer_keys() == []
        assert store.number_hasher() is None and store.token is None
        assert store.passages() == []  # nothing was decided, nothing was recorded

        await scan(pilot, app, ticket.number)  # and again: still refused, still nothing recorded
        assert text(app, "#headline") == "This gate was revoked"
        assert store.passages() == []


async def test_a_gate_whose_token_was_replaced_keeps_working_offline(
    store: GateStore, venue: VenueSnapshot
) -> None:
    ticket = venue.issue(VenueSnapshot.SINGLE)
    venue.apply(store)
    settings = Settings.load(store)
    remote = GateRemote("http://service.test", settings.token, transport=answering(ROTATED))
    app = GateApp(GateEngine(store, settings, remote))
    async with app.run_test(size=(120, 40)) as pilot:
        await scan(pilot, app, ticket.number)
        await until(pilot, lambda: "token" in text(app, "#status"))
        assert app.query_one("#verdict").has_class("admit")
        assert store.ticket_count() == 1 and store.token is not None and len(store.passages()) == 1
        assert "REVOKED" not in text(app, "#status")

"""A till selling event tickets offline on a capacity lease, against the real service process
stopped and restarted: it takes its lease when it syncs, sells within it and never beyond it or
after it expired, a gate admits what it sold, and when the service is back the sale registers
once, its seats count once, and the till gives the unused seats back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from textual.widgets import Input

from admission.contract.leases import LeaseOut
from admission.demo import DemoVenue
from admission.domain.model import Verdict
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.till.app import BoxOfficeApp
from scanner_client.till.sale import CartLine, OfflineEventRefused, SaleProblem
from scanner_client.till.till import Till
from tests.box_office.conftest import admin, seller
from tests.box_office.test_box_office_app import SIZE, pay, text, until
from tests.box_office.till_support import close_till, enrolled_gate, enrolled_till, offline_till
from tests.support.live_server import LiveServer

Client = TestClient  # type: ignore[type-arg]

PRICE = 3500


def concert(till: Till, quantity: int, event_id: int) -> CartLine:
    (template,) = [t for t in till.find("200") if t.plu == "200"]
    return CartLine(template=template, quantity=quantity, event=till.store.events()[event_id])


def cash(cents: int) -> PaymentIn:
    return PaymentIn(method=PaymentMethod.CASH, amount_cents=cents)


def event_figures(server: LiveServer, venue: DemoVenue) -> tuple[int, int, int | None]:
    with server.client(venue.viewer_token) as viewer:
        event: dict[str, Any] = viewer.get(f"/api/v1/events/{venue.event_id}").json()
    return event["sold"], event["leased"], event["remaining"]


async def test_a_till_sells_within_its_lease_offline_and_gives_back_the_rest_once_it_is_back(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.admin_token, "till-1")
    gate = await enrolled_gate(
        tmp_path / "gate", live_server.url, demo_venue.gate_tokens["Arena entrance"], "Arena entrance"
    )
    expires = datetime.now(UTC) + timedelta(minutes=30)
    try:
        sold, _, remaining = event_figures(live_server, demo_venue)
        with live_server.client(demo_venue.admin_token) as manager:
            grant = {
                "event_id": demo_venue.event_id,
                "device": "till-1",
                "seats": 3,
                "expires_at": expires.isoformat(),
            }
            lease = manager.post("/api/v1/leases", json=grant)
            assert lease.status_code == 201, lease.text
        assert event_figures(live_server, demo_venue) == (sold, 3, remaining - 3)
        await till.sync_once()
        (words,) = till.lease_words()
        assert words.startswith("3 seats left on the lease for ")

        live_server.stop()
        two = await till.sell([concert(till, 2, demo_venue.event_id)], cash(2 * PRICE))
        assert two.offline and not till.online
        assert [t.event_id for t in two.tickets] == [demo_venue.event_id] * 2
        assert till.lease_words()[0].startswith("1 seat left on the lease for ")
        (choice,) = await till.events_for(concert(till, 1, demo_venue.event_id).template)
        assert choice.leased and choice.remaining == 1 and "1 seat left on the lease" in choice.label(till.tz)
        with pytest.raises(SaleProblem, match="Only 1 seat is left on the lease"):
            await till.sell([concert(till, 2, demo_venue.event_id)], cash(2 * PRICE))
        real_clock = till.clock
        till.clock = lambda: expires + timedelta(minutes=1)
        with pytest.raises(SaleProblem, match="expired"):
            await till.sell([concert(till, 1, demo_venue.event_id)], cash(PRICE))
        till.clock = real_clock
        assert till.store.pending_count() == 1  # nothing refused was recorded

        # The gate, offline too, admits the ticket for its event on the code alone.
        verdict = await gate.scan(two.tickets[0].code)
        gate.mark_shown(verdict.nonce)
        assert (verdict.verdict, verdict.mode) == (Verdict.ADMIT, "offline")

        live_server.start()
        report = await till.sync_once()
        assert (report.uploaded, report.errors) == (1, [])
        # The sale served its outage: the lease went back with its unused seat.
        assert till.store.leases() == [] and till.lease_words() == []
        assert event_figures(live_server, demo_venue) == (sold + 2, 0, remaining - 2)
        with live_server.client(demo_venue.admin_token) as manager:
            (held,) = manager.get("/api/v1/leases").json()
            assert (held["state"], held["sold"], held["returned"]) == ("returned", 2, 1)
            assert manager.get("/api/v1/leases/conflicts").json() == []

        # An acknowledgement lost in a crash: re-posted, registered once, seats counted once.
        till.store.set_state(two.local.nonce, "queued")
        assert (await till.sync_once()).uploaded == 1
        assert event_figures(live_server, demo_venue) == (sold + 2, 0, remaining - 2)
        assert (await gate.sync_once()).uploaded == 1
    finally:
        await close_till(till)
        await gate.remote.aclose()  # type: ignore[union-attr]
        gate.store.close()


async def test_without_a_lease_the_till_offers_the_fallback_as_before(
    live_server: LiveServer, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    till = await enrolled_till(tmp_path / "till", live_server.url, demo_venue.admin_token, "till-1")
    try:
        await till.sync_once()
        live_server.stop()
        with pytest.raises(OfflineEventRefused) as refused:
            await till.sell([concert(till, 1, demo_venue.event_id)], cash(PRICE))
        assert [f.plu for f in refused.value.fallbacks] == ["201"]
        (choice,) = await till.events_for(concert(till, 1, demo_venue.event_id).template)
        assert not choice.leased and "seats unknown" in choice.label(till.tz)
    finally:
        live_server.start()
        await close_till(till)


async def test_the_till_screen_sells_a_leased_event_offline_and_shows_what_is_left(
    client: Client, demo_venue: DemoVenue, tmp_path: Path
) -> None:
    grant = {"event_id": demo_venue.event_id, "device": "box-office-1", "seats": 5}
    assert client.post("/api/v1/leases", json=grant, headers=admin(demo_venue)).status_code == 201
    till = offline_till(tmp_path / "till", client, demo_venue)
    held = client.get("/api/v1/leases", headers=seller(demo_venue))
    till.store.keep_leases(msgspec.json.decode(held.content, type=list[LeaseOut]))
    app = BoxOfficeApp(till)
    async with app.run_test(size=SIZE) as pilot:
        assert "5 seats left on the lease for Evening concert" in text(app, "#rules")
        search = app.query_one("#search", Input)
        search.focus()
        await pilot.press(*"200")
        await until(pilot, lambda: bool(app.events) and app.events[0].leased)
        app.query_one("#qty", Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        assert [(line.template.plu, line.quantity, line.event is not None) for line in app.cart] == [
            ("200", 2, True)
        ]
        await pay(pilot, app, "cash", tendered="70")
        result = app.last_result
        assert result is not None and result.offline
        assert {t.event_id for t in result.tickets} == {demo_venue.event_id}
        await until(pilot, lambda: "3 seats left on the lease for Evening concert" in text(app, "#rules"))
    await close_till(till)

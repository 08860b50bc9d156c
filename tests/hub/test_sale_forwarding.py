"""A venue hub forwards its tills' sales to the central service exactly once: in the till's name
and under its nonce, marked forwarded only once the central service answered, so a hub that
stops before marking sends again and nothing doubles; a sale the till also uploaded itself
counts once; a sale the central service refuses is kept with the reason and not sent again.

The central service runs as a real `admission serve` process; the hub starts from an empty
database and reads the central feed, and answers its till in-process (its link is driven here)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from rich.console import Console
from sqlalchemy import update

from admission.api.app import create_app
from admission.cli import hub_sales as hub_sales_cli
from admission.cli import main as admission
from admission.config import Settings
from admission.db.engine import Database
from admission.db.models import HubSale
from admission.demo import DemoVenue
from admission.services.hub import Upstream
from admission.services.hub.sale_forwarding import HubSaleRow, SaleForwarder, hub_sales
from tests.api.test_hub_sales import signed_sale
from tests.box_office.signing import TillKey, register_till_key
from tests.support.hubs import empty_hub, follow
from tests.support.live_server import LiveServer
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def till_key(live_server: LiveServer, demo_venue: DemoVenue) -> TillKey:
    """The till's key, registered centrally before the hub reads the feed (the hub holds it)."""
    with live_server.client(demo_venue.box_office_token) as seller:
        return register_till_key(seller, demo_venue.box_office_token)  # type: ignore[arg-type]


@pytest.fixture
def hub_venue(
    live_server: LiveServer,
    demo_venue: DemoVenue,
    till_key: TillKey,
    hub_database_url: str,
    hub_token: str,
    tmp_path: Path,
) -> DemoVenue:
    """The hub on an empty database, having read the central feed (the till's key with it)."""
    hub = empty_hub(demo_venue, hub_database_url, tmp_path / "hub")
    assert follow(hub, live_server.url, hub_token) > 0
    return hub


@pytest.fixture
def hub(hub_venue: DemoVenue, live_server: LiveServer) -> Iterator[Client]:
    settings = Settings(
        database_url=hub_venue.database_url, data_dir=Path(hub_venue.data_dir), upstream=live_server.url
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def sell_at(server: Any, venue: DemoVenue, sale: dict[str, Any]) -> dict[str, Any]:
    response = server.post("/api/v1/sales", json=sale, headers=bearer(venue.box_office_token))
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def rows(venue: DemoVenue) -> dict[str, HubSaleRow]:
    db = Database(venue.database_url)
    try:
        async with db.read_session() as session:
            return {row.nonce: row for row in await hub_sales(session)}
    finally:
        await db.dispose()


async def forget_answers(venue: DemoVenue) -> None:
    """As if the hub had stopped after sending and before noting the central service's answers."""
    db = Database(venue.database_url)
    try:
        async with db.session() as session:
            await session.execute(update(HubSale).values(forwarded_at=None, status=None, detail=None))
    finally:
        await db.dispose()


def central_sales(central: LiveServer, venue: DemoVenue, nonce: str) -> list[dict[str, Any]]:
    with central.client(venue.box_office_token) as seller:
        return list(seller.get("/api/v1/sales", params={"nonce": nonce}).json())


async def test_a_hubs_sales_reach_the_central_service_once(
    live_server: LiveServer,
    hub: Client,
    hub_venue: DemoVenue,
    demo_venue: DemoVenue,
    till_key: TillKey,
    hub_token: str,
) -> None:
    day = 1  # the demo's day ticket
    at_hub = [signed_sale(till_key, day), signed_sale(till_key, day, 3)]
    for sale in at_hub:
        sell_at(hub, hub_venue, sale)
    # The till fell back to the central service with a third sale, then listed the hub again and
    # uploaded it there too (its queue posts to the server in use).
    both = signed_sale(till_key, day)
    with live_server.client(demo_venue.box_office_token) as central:
        sell_at(central, demo_venue, both)
    sell_at(hub, hub_venue, both)

    upstream = Upstream(live_server.url, hub_token)
    forwarder = SaleForwarder(Database(hub_venue.database_url), upstream, batch_size=2)
    try:
        assert await forwarder.forward_once() == {"registered": 2, "duplicate": 1}
        assert await forwarder.forward_once() == {}  # nothing owed any more
        await forget_answers(hub_venue)  # the hub died between sending and noting
        assert await forwarder.forward_once() == {"duplicate": 3}
    finally:
        await upstream.aclose()
        await forwarder.db.dispose()

    for sale in [*at_hub, both]:
        (recorded,) = await asyncio.to_thread(central_sales, live_server, demo_venue, sale["nonce"])
        assert recorded["device"] == "box-office-1" and recorded["offline"]
        assert len(recorded["tickets"]) == len(sale["tickets"])
    assert {row.status for row in (await rows(hub_venue)).values()} == {"duplicate"}


async def test_a_sale_the_central_service_refuses_is_kept_with_the_reason(
    live_server: LiveServer,
    hub: Client,
    hub_venue: DemoVenue,
    demo_venue: DemoVenue,
    till_key: TillKey,
    hub_token: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The till used one nonce for two sales (say, a store restored from an old backup): the
    central service refuses the second, the hub keeps it for a manager and sends it no more."""
    first = signed_sale(till_key, 1)
    with live_server.client(demo_venue.box_office_token) as central:
        sell_at(central, demo_venue, first)
    clash = signed_sale(till_key, 1, 2, nonce=first["nonce"])
    fine = signed_sale(till_key, 1)
    sell_at(hub, hub_venue, clash)
    sell_at(hub, hub_venue, fine)

    upstream = Upstream(live_server.url, hub_token)
    forwarder = SaleForwarder(Database(hub_venue.database_url), upstream)
    try:
        assert await forwarder.forward_once() == {"refused": 1, "registered": 1}
        assert await forwarder.forward_once() == {}  # the refused one is not sent forever
    finally:
        await upstream.aclose()
        await forwarder.db.dispose()
    kept = (await rows(hub_venue))[clash["nonce"]]
    assert kept.status == "refused" and kept.detail and "another sale" in kept.detail
    # The manager reads it at the hub; the command fails while a refused sale waits to be settled.
    options = ["--data-dir", hub_venue.data_dir, "--database-url", hub_venue.database_url]
    monkeypatch.setattr(hub_sales_cli, "console", Console(width=250))  # no wrapped cells to match across
    assert await asyncio.to_thread(admission, ["--language", "en", "hub-sales", *options]) == 1
    shown = capsys.readouterr().out
    assert clash["nonce"] in shown and fine["nonce"] in shown and "REFUSED" in shown
    assert await asyncio.to_thread(admission, ["--language", "en", "hub-sales", "--refused", *options]) == 1
    assert fine["nonce"] not in capsys.readouterr().out
    assert [len(s["tickets"]) for s in central_sales(live_server, demo_venue, first["nonce"])] == [1]


async def test_a_hub_whose_token_is_refused_keeps_its_sales_owed(
    live_server: LiveServer, hub: Client, hub_venue: DemoVenue, demo_venue: DemoVenue, till_key: TillKey
) -> None:
    sale = signed_sale(till_key, 1)
    sell_at(hub, hub_venue, sale)
    upstream = Upstream(live_server.url, "adm_hub_not-a-token")
    forwarder = SaleForwarder(Database(hub_venue.database_url), upstream)
    try:
        with pytest.raises(Exception, match="401"):
            await forwarder.forward_once()
    finally:
        await upstream.aclose()
        await forwarder.db.dispose()
    assert (await rows(hub_venue))[sale["nonce"]].status is None  # still owed
    assert central_sales(live_server, demo_venue, sale["nonce"]) == []

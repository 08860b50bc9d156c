"""A lease held by a venue hub covers the offline sales the hub forwards for its tills
(`record_offline(..., forwarded_by=hub)`); the same sale posted by the till itself is not covered
by the hub's lease."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import TestClient
from sqlalchemy import select

from admission.contract import SaleIn
from admission.db.engine import Database
from admission.db.models import Device
from admission.demo import DemoVenue
from admission.domain import payments
from admission.services import catalog
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.sales.offline import record_offline
from tests.box_office.conftest import admin, seller
from tests.box_office.signing import register_till_key
from tests.leases.test_leases_api import _concert, _event, _leased_sale

Client = TestClient  # type: ignore[type-arg]


async def _record(venue: DemoVenue, body: dict[str, Any], *, forwarded: bool) -> int:
    db = Database(venue.database_url)
    try:
        async with db.session() as session:
            devices = {d.name: d for d in (await session.scalars(select(Device))).all()}
            till, hub = devices["box-office-1"], devices["hub-north"]
            who = Principal(device_id=till.id, device_name=till.name, role="box_office", gate=None)
            by = Principal(device_id=hub.id, device_name=hub.name, role="hub", gate=None)
            config = payments.config_from_settings((await catalog.get_venue(session)).settings)
            ring = await KeyRing.load(session, Path(venue.data_dir))
            data = msgspec.convert(body, SaleIn)
            sale = await record_offline(
                session, who, data, config, ring, forwarded_by=by if forwarded else None
            )
            return sale.id
    finally:
        await db.dispose()


async def test_a_hub_held_lease_covers_the_sales_the_hub_forwards(
    client: Client, demo_venue: DemoVenue
) -> None:
    made = client.post(
        "/api/v1/devices", json={"name": "hub-north", "role": "hub"}, headers=admin(demo_venue)
    )
    assert made.status_code == 201, made.text
    body = {"event_id": demo_venue.event_id, "device": "hub-north", "seats": 2}
    lease = client.post("/api/v1/leases", json=body, headers=admin(demo_venue)).json()
    sold_before = _event(client, demo_venue)["sold"]
    till = register_till_key(client, demo_venue.box_office_token)
    concert = _concert(client, demo_venue)

    await _record(demo_venue, _leased_sale(till, concert, demo_venue.event_id, 2), forwarded=True)
    (held,) = client.get("/api/v1/leases", headers=admin(demo_venue)).json()
    assert (held["id"], held["sold"], held["left"]) == (lease["id"], 2, 0)
    assert client.get("/api/v1/leases/conflicts", headers=admin(demo_venue)).json() == []
    assert client.get("/api/v1/leases", headers=seller(demo_venue)).json() == []  # the hub's, not the till's

    # Posted by the till itself, the hub's lease does not cover it.
    own = await _record(demo_venue, _leased_sale(till, concert, demo_venue.event_id, 1), forwarded=False)
    (conflict,) = client.get("/api/v1/leases/conflicts", headers=admin(demo_venue)).json()
    assert (conflict["sale_id"], conflict["reason"], conflict["beyond"]) == (own, "no_lease", 1)
    assert _event(client, demo_venue)["sold"] == sold_before + 3

"""A till's sale through a venue hub, on each backend: the hub records the till-signed sale and
owes it upstream; the central service takes it from the hub in the till's name and under the
till's nonce, so the hub sending it again, or the till uploading it too, registers it once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from admission.api.app import create_app
from admission.config import Settings
from admission.db.engine import Database
from admission.demo import DemoVenue
from admission.services.hub.sale_forwarding import OwedSale, owed_sales
from tests.api.test_hub_batches import hub_token
from tests.box_office.conftest import nonce, sale_body
from tests.box_office.signing import TillKey, register_till_key
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]
TILL = "box-office-1"  # the demo's box office


def template_id(client: Client, venue: DemoVenue, plu: str) -> int:
    (found,) = client.get(
        "/api/v1/templates", params={"plu": plu}, headers=bearer(venue.box_office_token)
    ).json()
    return int(found["id"])


def signed_sale(till: TillKey, template: int, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return sale_body(
        [{"template_id": template, "quantity": quantity, "unit_price_cents": 2500}],
        amount=2500 * quantity,
        offline=True,
        sold_at=(datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        tickets=[till.sign(template) for _ in range(quantity)],
        **extra,
    )


def forward(client: Client, token: str, sale: dict[str, Any], device: str = TILL) -> Any:
    return client.post("/api/v1/hub/sales", json={"device": device, "sale": sale}, headers=bearer(token))


def test_a_forwarded_sale_counts_once_as_the_tills_own(client: Client, venue: DemoVenue) -> None:
    hub = hub_token(client, venue)
    till = register_till_key(client, venue.box_office_token)
    sale = signed_sale(till, template_id(client, venue, "100"), 2)

    first = forward(client, hub, sale)
    assert first.status_code == 201, first.text
    assert (first.json()["device"], first.json()["offline"]) == (TILL, True)
    again = forward(client, hub, sale)  # the hub died before noting the answer
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    # The till fell back to the centre and uploads the same sale itself.
    own = client.post("/api/v1/sales", json=sale, headers=bearer(venue.box_office_token))
    assert (own.status_code, own.json()["id"]) == (200, first.json()["id"])
    found = client.get(
        "/api/v1/sales", params={"nonce": sale["nonce"]}, headers=bearer(venue.box_office_token)
    )
    assert [s["id"] for s in found.json()] == [first.json()["id"]]
    assert sorted(t["serial"] for t in first.json()["tickets"]) == sorted(
        t["serial"] for t in found.json()[0]["tickets"]
    )

    # The other order: the till first, the hub after.
    later = signed_sale(till, template_id(client, venue, "100"))
    assert client.post("/api/v1/sales", json=later, headers=bearer(venue.box_office_token)).status_code == 201
    assert forward(client, hub, later).status_code == 200


def test_only_a_hub_forwards_and_only_a_tills_signed_sales(client: Client, venue: DemoVenue) -> None:
    hub = hub_token(client, venue)
    till = register_till_key(client, venue.box_office_token)
    sale_template = template_id(client, venue, "100")
    sale = signed_sale(till, sale_template)
    for token in (venue.box_office_token, venue.gate_tokens["Main gate"], venue.viewer_token):
        assert forward(client, token, sale).status_code == 403
    for_a_gate = forward(client, hub, sale, device="gate-main")
    assert for_a_gate.status_code == 403 and "box offices only" in for_a_gate.json()["detail"]
    assert forward(client, hub, sale, device="nobody").status_code == 403
    online = sale_body([{"plu": "100", "quantity": 1}], amount=2500)
    assert forward(client, hub, online).status_code == 422
    forged = signed_sale(TillKey(key_id=till.key_id, private=Ed25519PrivateKey.generate()), sale_template)
    assert forward(client, hub, forged).status_code == 422
    assert forward(client, hub, sale).status_code == 201  # nothing above recorded anything


def test_a_till_revoked_since_still_has_its_sale_taken(client: Client, venue: DemoVenue) -> None:
    hub = hub_token(client, venue)
    till = register_till_key(client, venue.box_office_token)
    sale = signed_sale(till, template_id(client, venue, "100"))
    me = client.get("/api/v1/devices/me", headers=bearer(venue.box_office_token)).json()
    revoked = client.post(f"/api/v1/devices/{me['id']}/revoke", headers=bearer(venue.admin_token))
    assert revoked.status_code == 200, revoked.text
    taken = forward(client, hub, sale)
    assert taken.status_code == 201, taken.text
    assert taken.json()["device"] == TILL


@pytest.fixture
def hub_app(venue: DemoVenue) -> Iterator[Client]:
    """The same database served as a venue hub (its link not running: nothing is forwarded)."""
    settings = Settings(
        database_url=venue.database_url, data_dir=Path(venue.data_dir), upstream="http://central.test"
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as hub:
        yield hub


async def owed(venue: DemoVenue) -> list[OwedSale]:
    db = Database(venue.database_url)
    try:
        async with db.read_session() as session:
            return await owed_sales(session, 100)
    finally:
        await db.dispose()


def test_a_hub_records_a_tills_sale_tells_its_gates_and_owes_it_upstream(
    client: Client, hub_app: Client, venue: DemoVenue
) -> None:
    till = register_till_key(client, venue.box_office_token)
    sale = signed_sale(till, template_id(client, venue, "100"), 2)
    cursor = client.get("/api/v1/sync/changes?limit=10000", headers=bearer(venue.box_office_token)).json()[
        "cursor"
    ]

    recorded = hub_app.post("/api/v1/sales", json=sale, headers=bearer(venue.box_office_token))
    assert recorded.status_code == 201, recorded.text
    assert recorded.headers["admission-hub"] == "1"
    replayed = hub_app.post("/api/v1/sales", json=sale, headers=bearer(venue.box_office_token))
    assert (replayed.status_code, replayed.json()["id"]) == (200, recorded.json()["id"])
    (owing,) = asyncio.run(owed(venue))
    assert (owing.forwarded.device, owing.forwarded.sale.nonce) == (TILL, sale["nonce"])
    assert owing.forwarded.sale.tickets == sale["tickets"]  # the till's request, as it came

    # The hub's gates learn the tickets from its feed, and share one truth on them.
    gate = bearer(venue.gate_tokens["Main gate"])
    changes = hub_app.get(f"/api/v1/sync/changes?since={cursor}&limit=1000", headers=gate).json()["changes"]
    serials = {t["serial"] for t in recorded.json()["tickets"]}
    assert serials <= {c["key"] for c in changes if c["kind"] == "ticket"}
    code = sale["tickets"][0]
    main = {"nonce": nonce(), "code": code, "gate": "Main gate", "direction": "in"}
    north = {"nonce": nonce(), "code": code, "gate": "North gate", "direction": "in"}
    assert hub_app.post("/api/v1/scans", json=main, headers=gate).json()["verdict"] == "admit"
    second = hub_app.post("/api/v1/scans", json=north, headers=bearer(venue.gate_tokens["North gate"])).json()
    assert (second["verdict"], second["reason"]) == ("reject", "already_used")


def test_a_hub_refuses_what_it_cannot_forward_and_owes_nothing_for_it(
    client: Client, hub_app: Client, venue: DemoVenue
) -> None:
    till = register_till_key(client, venue.box_office_token)
    seller = bearer(venue.box_office_token)
    event_template = template_id(client, venue, "200")
    event_sale = sale_body(
        [
            {
                "template_id": event_template,
                "event_id": venue.event_id,
                "quantity": 1,
                "unit_price_cents": 3500,
            }
        ],
        amount=3500,
        offline=True,
        sold_at=datetime.now(UTC).isoformat(),
        tickets=[till.sign(event_template, venue.event_id)],
    )
    refused = hub_app.post("/api/v1/sales", json=event_sale, headers=seller)
    assert refused.status_code == 422 and "event ticket" in refused.json()["detail"]
    online = hub_app.post(
        "/api/v1/sales", json=sale_body([{"plu": "100", "quantity": 1}], amount=2500), headers=seller
    )
    assert online.status_code == 409 and online.json()["code"] == "hub_sells_till_signed"
    assert asyncio.run(owed(venue)) == []

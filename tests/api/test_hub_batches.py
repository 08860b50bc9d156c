"""A venue hub forwards the passages its gates registered in each gate's name: under the gate's
own nonces and gate, so a batch sent again, or a passage the gate also uploaded itself, counts
once; conflicts are flagged as for any gate; a hub cannot forward for what is not a gate."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient

from admission.api.app import create_app
from admission.config import Settings
from admission.demo import DemoVenue
from admission.services.devices import hash_token
from tests.api.test_batches import passage, post_batch
from tests.support.venues import bearer


def hub_token(client: TestClient, venue: DemoVenue) -> str:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/devices", json={"name": "hub-north", "role": "hub"}, headers=bearer(venue.admin_token)
    )
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    assert token.startswith("adm_hub_")
    return str(token)


def forward(client: TestClient, token: str, device: str, passages: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/passages/batch", json={"device": device, "passages": passages}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]  # type: ignore[no-any-return]


def test_forwarded_passages_count_once_as_the_gates_own(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    hub = hub_token(client, venue)
    day = [t for t in venue.tickets if t.template == "Day ticket"]
    batch = [
        passage("gate-main-1", day[0].number, "Main gate", 10),
        passage("gate-main-2", day[1].code, "Main gate", 9),
    ]

    assert [r["status"] for r in forward(client, hub, "gate-main", batch)] == ["registered"] * 2
    assert [r["status"] for r in forward(client, hub, "gate-main", batch)] == ["duplicate"] * 2
    # The gate uploads the same passages itself (it fell back to the service): nothing doubles.
    assert [r["status"] for r in post_batch(client, venue, "Main gate", "gate-main", batch)] == [
        "duplicate"
    ] * 2
    detail = client.get(f"/api/v1/tickets/{day[0].number}", headers=bearer(venue.viewer_token)).json()
    assert [p["nonce"] for p in detail["passages"]] == ["gate-main-1"]

    # The other order: the gate first, the hub after.
    own = [passage("gate-north-1", day[2].number, "North gate", 5)]
    assert post_batch(client, venue, "North gate", "gate-north", own)[0]["status"] == "registered"
    assert forward(client, hub, "gate-north", own)[0]["status"] == "duplicate"


def test_a_hub_forwards_a_conflict_flagged_as_usual(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    hub = hub_token(client, venue)
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    post_batch(client, venue, "Main gate", "gate-main", [passage("m-1", ticket.code, "Main gate", 30)])
    (north,) = forward(client, hub, "gate-north", [passage("n-1", ticket.number, "North gate", 20)])
    assert (north["status"], north["reason"]) == ("conflict", "already_used")


def test_a_hub_forwards_for_gates_only_and_at_their_own_gate(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    hub = hub_token(client, venue)
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    response = client.post(
        "/api/v1/passages/batch",
        json={"device": "manager", "passages": [passage("x-1", ticket.number, "Main gate", 5)]},
        headers=bearer(hub),
    )
    assert response.status_code == 403 and "gates only" in response.json()["detail"]
    (elsewhere,) = forward(client, hub, "gate-north", [passage("x-2", ticket.number, "Main gate", 5)])
    assert elsewhere["status"] == "refused"
    # A hub token is not a gate's: it cannot scan online in its own name.
    scan = client.post(
        "/api/v1/scans",
        json={"nonce": "h-1", "code": ticket.number, "gate": "Main gate", "direction": "in"},
        headers=bearer(hub),
    )
    assert scan.status_code == 403


def test_a_hub_reads_the_rows_behind_the_feed_and_nobody_else_does(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    hub = hub_token(client, venue)
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    post_batch(
        client, venue, "Main gate", "gate-main", [passage("gate-main-7", ticket.number, "Main gate", 3)]
    )
    for token in (venue.gate_tokens["Main gate"], venue.box_office_token, venue.viewer_token):
        assert client.get("/api/v1/hub/changes", headers=bearer(token)).status_code == 403
    page = client.get("/api/v1/hub/changes?limit=10000", headers=bearer(hub)).json()
    tickets = {t["serial"]: t for t in page["tickets"]}
    assert tickets[ticket.serial]["number"] == ticket.number and tickets[ticket.serial]["code"] == ticket.code
    (scan,) = [s for s in page["scans"] if s["nonce"] == "gate-main-7"]
    assert (scan["device"], scan["verdict"], scan["gate"]) == ("gate-main", "admit", "Main gate")
    # Devices with their tokens' hashes are on the hub's page only, never on the gates' feed.
    devices = {d["name"]: d for d in page["catalogue"]["devices"]}
    assert {"gate-main", "hub-north", "manager"} <= devices.keys()
    hashes = {t["token_hash"] for t in page["catalogue"]["tokens"]}
    assert hash_token(venue.gate_tokens["Main gate"]) in hashes and hash_token(hub) in hashes
    assert "device" in {c["kind"] for c in page["changes"]}
    gates_feed = client.get(
        "/api/v1/sync/changes?limit=10000", headers=bearer(venue.gate_tokens["Main gate"])
    )
    assert gates_feed.json()["cursor"] == page["cursor"]  # past the device changes all the same
    assert "device" not in {c["kind"] for c in gates_feed.json()["changes"]}
    assert "token_hash" not in gates_feed.text
    assert client.get("/api/v1/hub/changes?limit=0", headers=bearer(hub)).status_code == 400


def test_a_hub_takes_its_gates_writes_only(venue: DemoVenue) -> None:
    """Refunds, tickets and the venue's set-up made at a hub would never reach the centre: the hub
    answers them 503 (a device with a server list takes them to the next server). A sale it
    would have to sign is refused with a code the till acts on; every answer says it is a hub."""
    settings = Settings(
        database_url=venue.database_url, data_dir=Path(venue.data_dir), upstream="http://central.test"
    )
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    with TestClient(create_app(settings), raise_server_exceptions=False) as hub:
        scan = {"nonce": "gate-main-1", "code": ticket.number, "gate": "Main gate", "direction": "in"}
        answered = hub.post("/api/v1/scans", json=scan, headers=bearer(venue.gate_tokens["Main gate"]))
        assert answered.status_code == 200 and answered.json()["verdict"] == "admit"
        refund = hub.post("/api/v1/sales/1/refund", json={}, headers=bearer(venue.box_office_token))
        voided = hub.post(
            f"/api/v1/tickets/{ticket.number}/void", json={"reason": "x"}, headers=bearer(venue.admin_token)
        )
        for refused in (refund, voided):
            assert refused.status_code == 503 and refused.json()["code"] == "hub_scans_only"
            assert refused.headers["retry-after"] == "30"
        online_sale = {
            "nonce": "bo-1",
            "lines": [{"plu": "100", "quantity": 1}],
            "payment": {"method": "cash", "amount_cents": 10_000},
        }
        signed_here = hub.post("/api/v1/sales", json=online_sale, headers=bearer(venue.box_office_token))
        assert signed_here.status_code == 409 and signed_here.json()["code"] == "hub_sells_till_signed"
        assert {answered.headers["admission-hub"], signed_here.headers["admission-hub"]} == {"1"}
        looked_up = hub.get(f"/api/v1/tickets/{ticket.number}", headers=bearer(venue.viewer_token))
        assert looked_up.status_code == 200 and len(looked_up.json()["passages"]) == 1

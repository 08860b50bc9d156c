"""A venue hub started from an empty database follows the whole central catalogue: the venue,
templates with their rules and links, events and what they sell, gates, devices with their
tokens (a gate made centrally after the hub started scans at the hub with its new token; one
revoked centrally is refused there), and judges the centre's tickets as the centre does. Its
gates' feed carries the catalogue as the centre's does, and never a device.

The central service is a real `admission serve` process; the hub's API runs in the test's
process on its own empty database, and follows when the test says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from admission.demo import DemoVenue
from tests.support.hubs import empty_hub, follow, hub_api
from tests.support.live_server import LiveServer
from tests.support.venues import bearer


def created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def scan(client: Any, token: str, gate: str, nonce: str, code: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/scans",
        json={"nonce": nonce, "code": code, "gate": gate, "direction": "in"},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_hub_follows_a_catalogue_made_after_it_started(
    live_server: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue, hub_token: str
) -> None:
    now = datetime.now(UTC)
    with live_server.client(demo_venue.admin_token) as admin:
        templates = {t["name"]: t for t in admin.get("/api/v1/templates").json()}
        late = created(
            admin.post(
                "/api/v1/templates",
                json={
                    "name": "Late show",
                    "kind": "event",
                    "price_cents": 1250,
                    "allowed_zones": ["zoo"],
                    "vat_rate": 7,
                    "fallback_template_id": templates["Day ticket"]["id"],
                    "custom_rule": {"==": [{"var": "attribute.age_group"}, "adult"]},
                },
            )
        )
        show = created(
            admin.post(
                "/api/v1/events",
                json={
                    "name": "Night at the zoo",
                    "starts_at": (now + timedelta(minutes=30)).isoformat(),
                    "ends_at": (now + timedelta(hours=3)).isoformat(),
                    "capacity": 100,
                    "template_ids": [late["id"]],
                },
            )
        )
        created(
            admin.post("/api/v1/gates", json={"name": "East gate", "zone": "zoo", "event_id": show["id"]})
        )
        east = created(
            admin.post("/api/v1/devices", json={"name": "gate-east", "role": "gate", "gate": "East gate"})
        )
    with live_server.client(demo_venue.box_office_token) as box:
        issue = {"template_id": late["id"], "event_id": show["id"], "count": 1}
        (adult,) = box.post(
            "/api/v1/tickets/issue", json={**issue, "attributes": {"age_group": "adult"}}
        ).json()
        (child,) = box.post(
            "/api/v1/tickets/issue", json={**issue, "attributes": {"age_group": "child"}}
        ).json()

    assert follow(hub_venue, live_server.url, hub_token) > 0
    with hub_api(hub_venue) as hub:
        at_hub = {
            t["name"]: t for t in hub.get("/api/v1/templates", headers=bearer(demo_venue.viewer_token)).json()
        }
        assert at_hub["Late show"] == {**late, "id": late["id"]}  # rules, fallback, custom rule, VAT
        (event,) = [
            e
            for e in hub.get("/api/v1/events", headers=bearer(demo_venue.viewer_token)).json()
            if e["name"] == "Night at the zoo"
        ]
        assert (event["id"], event["template_ids"], event["capacity"]) == (show["id"], [late["id"]], 100)
        gates = {
            g["name"]: g for g in hub.get("/api/v1/gates", headers=bearer(demo_venue.viewer_token)).json()
        }
        assert (gates["East gate"]["zone"], gates["East gate"]["event_id"]) == ("zoo", show["id"])

        # The gate made centrally after the hub started scans at the hub with its new token.
        token = east["token"]
        assert scan(hub, token, "East gate", "east-1", adult["number"])["verdict"] == "admit"
        refused = scan(hub, token, "East gate", "east-2", child["code"])
        assert (refused["verdict"], refused["reason"]) == ("reject", "custom_rule")
        elsewhere = hub.post(
            "/api/v1/scans",
            json={"nonce": "east-3", "code": adult["number"], "gate": "Main gate", "direction": "in"},
            headers=bearer(token),
        )
        assert elsewhere.status_code == 403  # enrolled for East gate, at the hub as at the centre

        # The hub's gates learn the catalogue from its feed, as from the centre's, and no device.
        kinds = {
            c["kind"]
            for c in hub.get("/api/v1/sync/changes?limit=10000", headers=bearer(token)).json()["changes"]
        }
        assert {"venue", "template", "event", "gate", "key", "ticket"} <= kinds and "device" not in kinds


def test_a_device_revoked_centrally_is_refused_at_the_hub(
    live_server: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue, hub_token: str
) -> None:
    ticket = next(t for t in demo_venue.tickets if t.template == "Day ticket")
    token = demo_venue.gate_tokens["Main gate"]
    with hub_api(hub_venue) as hub:
        assert scan(hub, token, "Main gate", "gate-main-1", ticket.number)["verdict"] == "admit"
        with live_server.client(demo_venue.admin_token) as admin:
            devices = {d["name"]: d for d in admin.get("/api/v1/devices").json()}
            created(admin.post(f"/api/v1/devices/{devices['gate-main']['id']}/revoke"))
            another = created(admin.post(f"/api/v1/devices/{devices['gate-north']['id']}/tokens"))
        follow(hub_venue, live_server.url, hub_token)
        again = hub.post(
            "/api/v1/scans",
            json={"nonce": "gate-main-2", "code": ticket.code, "gate": "Main gate", "direction": "in"},
            headers=bearer(token),
        )
        assert again.status_code == 401 and again.json()["code"] == "device_revoked"
        # A token given centrally to a gate works at the hub beside the gate's first one.
        for north in (another["token"], demo_venue.gate_tokens["North gate"]):
            assert hub.get("/api/v1/sync/changes", headers=bearer(north)).status_code == 200


def test_a_hub_started_empty_judges_central_tickets_as_the_centre(
    live_server: LiveServer, demo_venue: DemoVenue, hub_database_url: str, hub_token: str, tmp_path: Path
) -> None:
    day = [t for t in demo_venue.tickets if t.template == "Day ticket"]
    weekend = next(t for t in demo_venue.tickets if t.template == "Weekend pass")
    with live_server.client(demo_venue.box_office_token) as box:
        day_id = next(t["id"] for t in box.get("/api/v1/templates").json() if t["name"] == "Day ticket")
        (unpaid,) = box.post(
            "/api/v1/tickets/issue", json={"template_id": day_id, "count": 1, "payment_state": "pending"}
        ).json()
        assert (
            box.post(f"/api/v1/tickets/{day[0].number}/void", json={"reason": "refunded"}).status_code == 200
        )
    gate = demo_venue.gate_tokens["Main gate"]
    with live_server.client(gate) as centre:
        assert scan(centre, gate, "Main gate", "gate-main-c1", day[1].code)["verdict"] == "admit"

    hub_venue = empty_hub(demo_venue, hub_database_url, tmp_path / "hub")  # started after all that
    follow(hub_venue, live_server.url, hub_token)
    codes = [day[0].number, day[1].number, unpaid["number"], day[2].code, weekend.number, "1234567890128"]
    with hub_api(hub_venue) as hub:
        at_hub = [scan(hub, gate, "Main gate", f"hub-{i}", code) for i, code in enumerate(codes)]
    with live_server.client(gate) as centre:
        at_centre = [scan(centre, gate, "Main gate", f"centre-{i}", code) for i, code in enumerate(codes)]
    assert [(a["verdict"], a["reason"]) for a in at_hub] == [(a["verdict"], a["reason"]) for a in at_centre]
    assert [a["reason"] for a in at_hub] == ["void", "already_used", "unpaid", "ok", "ok", "invalid"]


def test_a_card_blocked_centrally_is_blocked_on_the_hubs_feed(
    live_server: LiveServer, hub_venue: DemoVenue, demo_venue: DemoVenue, hub_token: str
) -> None:
    """Tills behind the hub decide offline from the hub's feed: a card's balance and block made
    at the centre reach it as from the centre."""
    with live_server.client(demo_venue.admin_token) as admin:
        created(admin.post("/api/v1/cards/types", json={"name": "Gift card", "kind": "gift"}))
        sold = created(
            admin.post("/api/v1/cards", json={"nonce": "c-1", "card_type": "Gift card", "amount_cents": 5000})
        )
        number = sold["card"]["number"]
        created(admin.post(f"/api/v1/cards/{number}/block", json={"reason": "reported stolen"}))
    follow(hub_venue, live_server.url, hub_token)
    with hub_api(hub_venue) as hub:
        page = hub.get("/api/v1/sync/changes?limit=10000", headers=bearer(demo_venue.box_office_token)).json()
    cards = [c["data"] for c in page["changes"] if c["kind"] == "card"]
    assert (cards[0]["status"], cards[0]["balance_cents"]) == ("active", 5000)
    assert (cards[-1]["status"], cards[-1]["balance_cents"]) == ("blocked", 5000)

"""An unlimited pass (`max_entries: null`) stays unlimited: stored, listed, in the feed the gates
read, and at the gate, online and offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
from litestar.testing import TestClient

from admission.contract import TemplateData
from admission.demo import DemoVenue
from admission.domain.model import AdmittedPassage, Direction, GateInfo, TicketFacts, Verdict
from admission.domain.rules import decide
from tests.support.venues import bearer


def test_a_template_created_with_null_max_entries_admits_without_limit(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    created = client.post(
        "/api/v1/templates",
        json={"name": "Season pass", "max_entries": None, "reentry_allowed": False},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["max_entries"] is None
    listed = client.get("/api/v1/templates", headers=admin).json()
    assert next(t for t in listed if t["id"] == template["id"])["max_entries"] is None

    feed = client.get("/api/v1/sync/changes", params={"since": 0}, headers=admin).json()
    in_feed = [c["data"] for c in feed["changes"] if c["kind"] == "template" and c["data"]["id"] == template["id"]]
    assert in_feed and in_feed[-1]["max_entries"] is None

    issued = client.post(
        "/api/v1/tickets/issue", json={"template_id": template["id"], "count": 1}, headers=bearer(venue.box_office_token)
    )
    assert issued.status_code in (200, 201), issued.text
    code = issued.json()[0]["code"] if isinstance(issued.json(), list) else issued.json()["tickets"][0]["code"]
    gate = bearer(venue.gate_tokens["Main gate"])
    for i in range(4):
        for direction in ("in", "out"):
            body = {"code": code, "gate": "Main gate", "nonce": f"season-{i}-{direction}", "direction": direction}
            answer = client.post("/api/v1/scans", json=body, headers=gate).json()
            assert (answer["verdict"], answer["reason"]) == ("admit", "ok"), answer


def test_the_demo_weekend_pass_is_unlimited(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    listed = client.get("/api/v1/templates", headers=bearer(venue.admin_token)).json()
    assert next(t for t in listed if t["name"] == "Weekend pass")["max_entries"] is None


def test_an_offline_gate_reads_null_as_unlimited() -> None:
    data = msgspec.json.decode(
        b'{"id": 7, "name": "Season pass", "kind": "entry", "plu": null, "price_cents": 0, "currency": "EUR",'
        b' "validity_mode": "fixed", "valid_from": null, "valid_until": null, "validity_days": null,'
        b' "allowed_zones": [], "allowed_gates": [], "max_entries": null, "reentry_allowed": false,'
        b' "fallback_template_id": null, "active": true, "title": "", "description": "", "color": "#1f6feb"}',
        type=TemplateData,
    )
    facts = TicketFacts(
        serial=1, number=None, template=data.rules(), event=None, valid_from=None, valid_until=None,
        void=False, void_reason=None, entries_carried=0, first_used_at=None,
    )
    gate = GateInfo(name="Main gate", zone="zoo", from_zone=None, event_id=None)
    zone = ZoneInfo("Europe/Berlin")
    history: list[AdmittedPassage] = []
    for day in range(5):  # one entry a day, no exits: a single-entry ticket would stop at the first
        at = datetime(2026, 6, 1, 9, tzinfo=UTC) + timedelta(days=day)
        decision = decide(facts, history, gate, Direction.IN, at, zone)
        assert decision.verdict is Verdict.ADMIT, decision
        history.append(AdmittedPassage(gate_name=gate.name, zone=gate.zone, from_zone=None, direction=Direction.IN, scanned_at=at))

"""Online scanning through the API: verdicts, replays, exits and zones, annulment, auto-exit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from admission.demo import DemoTicket, DemoVenue
from tests.support.venues import bearer


def first(venue: DemoVenue, template: str) -> DemoTicket:
    return next(t for t in venue.tickets if t.template == template)


def scan(client: TestClient, venue: DemoVenue, code: str, gate: str, nonce: str, **extra: object) -> dict:  # type: ignore[type-arg]
    body = {"code": code, "gate": gate, "nonce": nonce, **extra}
    response = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens[gate]))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_single_entry_is_admitted_once_with_where_and_when_on_reuse(
    client: TestClient, venue: DemoVenue
) -> None:  # type: ignore[type-arg]
    ticket = first(venue, "Day ticket")
    admitted = scan(client, venue, ticket.code, "Main gate", "a1")
    assert (admitted["verdict"], admitted["reason"]) == ("admit", "ok")
    assert admitted["ticket"]["template"] == "Day ticket" and admitted["ticket"]["entries_left"] == 0
    again = scan(client, venue, ticket.number, "North gate", "a2")
    assert (again["verdict"], again["reason"]) == ("reject", "already_used")
    local = datetime.fromisoformat(admitted["scanned_at"]).astimezone(ZONE)
    assert again["message"] == f"Already used at Main gate at {local:%H:%M}"


def test_replayed_nonce_returns_first_answer_and_registers_nothing(
    client: TestClient, venue: DemoVenue
) -> None:  # type: ignore[type-arg]
    ticket = first(venue, "10-visit card")
    answers = [scan(client, venue, ticket.number, "Main gate", "same-nonce") for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    detail = client.get(f"/api/v1/tickets/{ticket.number}", headers=bearer(venue.admin_token)).json()
    assert len(detail["passages"]) == 1 and detail["entries_left"] == 9


def test_rejected_scans_are_recorded_as_facts(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    # Two days ahead: one day ahead, the doors (an hour before) open today just after midnight.
    later = datetime.now(UTC) + timedelta(days=2)
    event = {"name": "Later", "starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat(),
             "template_ids": [5]}  # fmt: skip
    event_id = client.post("/api/v1/events", json=event, headers=admin).json()["id"]
    ticket = client.post(
        "/api/v1/tickets/issue", json={"template_id": 5, "event_id": event_id}, headers=admin
    ).json()[0]
    answer = scan(client, venue, ticket["number"], "Arena door", "early")
    assert (answer["verdict"], answer["reason"]) == ("reject", "event_not_today")
    detail = client.get(f"/api/v1/tickets/{ticket['number']}", headers=admin).json()
    assert [(p["verdict"], p["reason"]) for p in detail["passages"]] == [("reject", "event_not_today")]


def test_wrong_gate_for_a_zone_the_ticket_does_not_cover(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    fallback = client.post(
        "/api/v1/tickets/issue", json={"template_id": 4, "count": 1}, headers=bearer(venue.admin_token)
    ).json()[0]
    answer = scan(client, venue, fallback["code"], "Main gate", "zone-1")
    assert (answer["verdict"], answer["reason"]) == ("reject", "wrong_gate")


def test_entering_the_arena_from_the_zoo_moves_occupancy(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = first(venue, "Weekend pass")  # valid in every zone, re-entry allowed
    viewer = bearer(venue.viewer_token)
    scan(client, venue, ticket.number, "Main gate", "z1")
    assert client.get("/api/v1/occupancy", headers=viewer).json()["zones"] == {"zoo": 1}
    scan(client, venue, ticket.number, "Arena door", "z2")
    assert client.get("/api/v1/occupancy", headers=viewer).json()["zones"] == {"arena": 1, "zoo": 0}
    out = scan(client, venue, ticket.number, "Arena door", "z3", direction="out")
    assert out["verdict"] == "admit"
    assert client.get("/api/v1/occupancy", headers=viewer).json()["zones"] == {"arena": 0, "zoo": 1}


def test_reentry_after_exit_needs_the_template_to_allow_it(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    single = client.post("/api/v1/templates", json={"name": "No re-entry"}, headers=admin).json()
    ticket = client.post("/api/v1/tickets/issue", json={"template_id": single["id"]}, headers=admin).json()[0]
    scan(client, venue, ticket["number"], "Main gate", "r1")
    scan(client, venue, ticket["number"], "Main gate", "r2", direction="out")
    back = scan(client, venue, ticket["number"], "Main gate", "r3")
    assert (back["verdict"], back["reason"]) == ("reject", "reentry_not_allowed")
    day = first(venue, "Day ticket")  # re-entry allowed
    scan(client, venue, day.number, "Main gate", "d1")
    scan(client, venue, day.number, "Main gate", "d2", direction="out")
    assert scan(client, venue, day.number, "Main gate", "d3")["verdict"] == "admit"


def test_gate_annuls_its_own_passage_within_the_window(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = first(venue, "Day ticket")
    scan(client, venue, ticket.number, "Main gate", "turn-1")
    other_gate = client.post("/api/v1/scans/turn-1/annul", headers=bearer(venue.gate_tokens["North gate"]))
    assert other_gate.status_code == 404  # its nonces are its own: it has no scan "turn-1"
    annulled = client.post("/api/v1/scans/turn-1/annul", headers=bearer(venue.gate_tokens["Main gate"]))
    assert annulled.status_code == 200
    assert scan(client, venue, ticket.number, "Main gate", "turn-2")["verdict"] == "admit"
    twice = client.post("/api/v1/scans/turn-1/annul", headers=bearer(venue.gate_tokens["Main gate"]))
    assert twice.status_code == 409


def test_annul_after_the_window_is_refused(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    client.put(
        "/api/v1/venue",
        json={"name": "Demo", "timezone": "Europe/Copenhagen", "annul_window_seconds": 0},
        headers=admin,
    )
    scan(client, venue, first(venue, "Day ticket").number, "Main gate", "late-1")
    response = client.post("/api/v1/scans/late-1/annul", headers=bearer(venue.gate_tokens["Main gate"]))
    assert response.status_code == 409 and "within 0 s" in response.json()["detail"]


def test_auto_exit_empties_every_zone(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    for i, ticket in enumerate([t for t in venue.tickets if t.template == "Day ticket"][:3]):
        scan(client, venue, ticket.number, "Main gate", f"ae-{i}")
    at = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    result = client.post("/api/v1/occupancy/auto-exit", json={"at": at}, headers=bearer(venue.admin_token))
    assert result.json() == {"exits_recorded": 3}
    assert client.get("/api/v1/occupancy", headers=bearer(venue.viewer_token)).json()["zones"] == {"zoo": 0}
    again = client.post("/api/v1/occupancy/auto-exit", json={"at": at}, headers=bearer(venue.admin_token))
    assert again.json() == {"exits_recorded": 0}


ZONE = __import__("zoneinfo").ZoneInfo("Europe/Copenhagen")

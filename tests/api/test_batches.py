"""Offline batches: registered, duplicate (for good), conflict; the gate's scan time is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer


def passage(
    nonce: str, code: str, gate: str, minutes_ago: int, verdict: str = "admit", reason: str = "ok"
) -> dict:  # type: ignore[type-arg]
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"nonce": nonce, "code": code, "gate": gate, "direction": "in", "scanned_at": at.isoformat(),
            "local_verdict": verdict, "local_reason": reason}  # fmt: skip


def post_batch(
    client: TestClient, venue: DemoVenue, gate: str, device: str, passages: list[dict]
) -> list[dict]:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/passages/batch",
        json={"device": device, "passages": passages},
        headers=bearer(venue.gate_tokens[gate]),
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]  # type: ignore[no-any-return]


def test_batch_registers_once_and_keeps_the_offline_scan_time(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    tickets = [t for t in venue.tickets if t.template == "Day ticket"][:3]
    batch = [passage(f"gate-main-{i}", t.number, "Main gate", 50 - i) for i, t in enumerate(tickets)]
    results = post_batch(client, venue, "Main gate", "gate-main", batch)
    assert [r["status"] for r in results] == ["registered"] * 3
    again = post_batch(client, venue, "Main gate", "gate-main", batch)
    assert [(r["status"], r["verdict"]) for r in again] == [("duplicate", "admit")] * 3
    detail = client.get(f"/api/v1/tickets/{tickets[0].number}", headers=bearer(venue.viewer_token)).json()
    (registered,) = detail["passages"]
    assert registered["scanned_at"] == datetime.fromisoformat(batch[0]["scanned_at"]).isoformat().replace(
        "+00:00", "Z"
    )
    assert registered["source"] == "offline"
    assert datetime.fromisoformat(registered["received_at"]) > datetime.fromisoformat(
        registered["scanned_at"]
    )


def test_two_offline_gates_admitting_one_ticket_flag_a_conflict(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    main = post_batch(client, venue, "Main gate", "gate-main", [passage("m-1", ticket.code, "Main gate", 30)])
    north = post_batch(
        client, venue, "North gate", "gate-north", [passage("n-1", ticket.number, "North gate", 20)]
    )
    assert main[0]["status"] == "registered"
    assert (north[0]["status"], north[0]["verdict"], north[0]["reason"]) == (
        "conflict",
        "admit",
        "already_used",
    )
    detail = client.get(f"/api/v1/tickets/{ticket.number}", headers=bearer(venue.viewer_token)).json()
    assert [(p["nonce"], p["conflict"]) for p in detail["passages"]] == [("m-1", False), ("n-1", True)]


def test_offline_rejects_are_registered_as_rejects(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    results = post_batch(
        client,
        venue,
        "Main gate",
        "gate-main",
        [passage("r-1", "garbage", "Main gate", 5, "reject", "invalid")],
    )
    assert (results[0]["status"], results[0]["verdict"], results[0]["reason"]) == (
        "registered",
        "reject",
        "invalid",
    )


def test_online_nonce_resent_in_a_batch_is_a_duplicate(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = venue.tickets[0]
    online = {"code": ticket.number, "gate": "Main gate", "nonce": "gate-main-77"}
    client.post("/api/v1/scans", json=online, headers=bearer(venue.gate_tokens["Main gate"]))
    results = post_batch(
        client, venue, "Main gate", "gate-main", [passage("gate-main-77", ticket.number, "Main gate", 0)]
    )
    assert (results[0]["status"], results[0]["verdict"]) == ("duplicate", "admit")


def test_supervisor_override_is_recorded_as_such(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = venue.tickets[0]
    client.post(
        "/api/v1/scans",
        json={"code": ticket.number, "gate": "Main gate", "nonce": "o-0"},
        headers=bearer(venue.gate_tokens["Main gate"]),
    )
    override = passage("o-1", ticket.number, "Main gate", 0, "admit", "already_used") | {
        "override_reason": "lost wristband"
    }
    results = post_batch(client, venue, "Main gate", "gate-main", [override])
    assert (results[0]["status"], results[0]["verdict"]) == ("registered", "admit")
    detail = client.get(f"/api/v1/tickets/{ticket.number}", headers=bearer(venue.viewer_token)).json()
    assert detail["passages"][-1]["source"] == "override"


def online_scan(client: TestClient, venue: DemoVenue, code: str, nonce: str, gate: str = "Main gate") -> dict:  # type: ignore[type-arg]
    body = {"code": code, "gate": gate, "nonce": nonce}
    response = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens[gate]))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def passages_of(client: TestClient, venue: DemoVenue, number: str) -> list[tuple[str, str, str, bool]]:  # type: ignore[type-arg]
    detail = client.get(f"/api/v1/tickets/{number}", headers=bearer(venue.viewer_token)).json()
    return [(p["source"], p["verdict"], p["reason"], p["annulled"]) for p in detail["passages"]]


def test_a_gate_that_turned_someone_away_after_an_unanswered_online_scan_annuls_it(
    client: TestClient, venue: DemoVenue  # type: ignore[type-arg]
) -> None:
    # The online call reached the service and admitted, but its answer never reached the gate
    # (timeout); the gate decided the same scan itself and turned the person away.
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    assert online_scan(client, venue, ticket.number, "gate-main-5")["verdict"] == "admit"
    own = passage("gate-main-5", ticket.number, "Main gate", 0, "reject", "already_used")
    results = post_batch(client, venue, "Main gate", "gate-main", [own])
    assert [(r["status"], r["verdict"], r["reason"]) for r in results] == [("registered", "reject", "already_used")]
    assert passages_of(client, venue, ticket.number) == [("online", "admit", "ok", True)]
    again = post_batch(client, venue, "Main gate", "gate-main", [own])
    assert [(r["status"], r["verdict"]) for r in again] == [("duplicate", "reject")]
    # The entry was never used: the ticket still admits.
    assert online_scan(client, venue, ticket.number, "gate-main-6")["verdict"] == "admit"


def test_a_gate_that_admitted_after_an_unanswered_online_reject_registers_the_admission(
    client: TestClient, venue: DemoVenue  # type: ignore[type-arg]
) -> None:
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    online_scan(client, venue, ticket.number, "gate-north-1", gate="North gate")  # used at the north gate
    assert online_scan(client, venue, ticket.number, "gate-main-9")["reason"] == "already_used"
    # The main gate never saw that answer, decided itself (its snapshot did not know the use
    # yet) and let the person in: a fact, registered and flagged.
    own = passage("gate-main-9", ticket.number, "Main gate", 0, "admit", "ok")
    results = post_batch(client, venue, "Main gate", "gate-main", [own])
    assert [(r["status"], r["verdict"], r["reason"]) for r in results] == [("conflict", "admit", "already_used")]
    assert passages_of(client, venue, ticket.number) == [
        ("online", "admit", "ok", False),
        ("online", "reject", "already_used", False),
        ("offline", "admit", "already_used", False),
    ]
    again = post_batch(client, venue, "Main gate", "gate-main", [own])
    assert [(r["status"], r["verdict"]) for r in again] == [("duplicate", "admit")]
    assert len(passages_of(client, venue, ticket.number)) == 3


def test_another_device_cannot_rewrite_a_gates_online_scan(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = next(t for t in venue.tickets if t.template == "Day ticket")
    online_scan(client, venue, ticket.number, "shared-nonce")
    other = passage("shared-nonce", ticket.number, "North gate", 0, "reject", "already_used")
    results = post_batch(client, venue, "North gate", "gate-north", [other])
    # The nonce is North gate's own: its turn-away is its own fact; Main gate's admission stands.
    assert [(r["status"], r["verdict"]) for r in results] == [("registered", "reject")]
    assert passages_of(client, venue, ticket.number) == [
        ("online", "admit", "ok", False),
        ("offline", "reject", "already_used", False),
    ]

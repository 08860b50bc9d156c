"""A reissued ticket and the one that replaced it are one entitlement: an admission with the old
code (a gate that did not know of the reissue yet, a supervisor override, a passage scanned
before the reissue and uploaded after it) is an entry of the new ticket, counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer


def offline(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
    nonce: str,
    code: str,
    at: datetime,
    override: str | None = None,
) -> dict[str, Any]:
    passage = {
        "nonce": nonce,
        "code": code,
        "gate": "North gate",
        "direction": "in",
        "scanned_at": at.isoformat(),
        "local_verdict": "admit",
        "local_reason": "void" if override else "ok",
        **({"override_reason": override} if override else {}),
    }
    response = client.post(
        "/api/v1/passages/batch",
        json={"device": "gate-north", "passages": [passage]},
        headers=bearer(venue.gate_tokens["North gate"]),
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["results"][0])


def online(client: TestClient, venue: DemoVenue, code: str, nonce: str) -> dict[str, Any]:  # type: ignore[type-arg]
    body = {"code": code, "gate": "Main gate", "nonce": nonce}
    response = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Main gate"]))
    assert response.status_code == 200, response.text
    return dict(response.json())


def reissue(client: TestClient, venue: DemoVenue, number: str) -> dict[str, Any]:  # type: ignore[type-arg]
    response = client.post(f"/api/v1/tickets/{number}/reissue", headers=bearer(venue.box_office_token))
    assert response.status_code == 201, response.text
    return dict(response.json())


def detail(client: TestClient, venue: DemoVenue, number: str) -> dict[str, Any]:  # type: ignore[type-arg]
    return dict(client.get(f"/api/v1/tickets/{number}", headers=bearer(venue.viewer_token)).json())


def day_entries(client: TestClient, venue: DemoVenue) -> int:  # type: ignore[type-arg]
    report = client.get("/api/v1/reports/templates", headers=bearer(venue.viewer_token)).json()
    return sum(r["entries"] for r in report["rows"] if r["template"] == "Day ticket")


def test_the_old_code_admitted_by_a_gate_unaware_of_the_reissue_uses_the_new_ticket(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    old = next(t for t in venue.tickets if t.template == "Day ticket")
    new = reissue(client, venue, old.number)
    # North gate was offline and still knew the old code as valid: it let the guest in.
    result = offline(client, venue, "n-1", old.code, datetime.now(UTC))
    assert (result["status"], result["verdict"], result["reason"]) == ("conflict", "admit", "void")

    refused = online(client, venue, new["number"], "new-1")
    assert (refused["verdict"], refused["reason"]) == ("reject", "already_used")
    assert "North gate" in refused["message"]
    replacement = detail(client, venue, new["number"])
    assert replacement["entries_left"] == 0
    assert [(p["nonce"], p["verdict"]) for p in replacement["passages"]] == [
        ("n-1", "admit"),
        ("new-1", "reject"),
    ]
    assert day_entries(client, venue) == 1
    feed = client.get(
        "/api/v1/sync/changes?since=0&limit=1000", headers=bearer(venue.gate_tokens["Main gate"])
    )
    (fed,) = [c["data"] for c in feed.json()["changes"] if c["kind"] == "passage"]
    assert (fed["nonce"], fed["ticket_serial"]) == ("n-1", new["serial"])
    # Reissued once more, the next ticket carries the entry over.
    newer = reissue(client, venue, new["number"])
    assert detail(client, venue, newer["number"])["entries_carried"] == 1
    assert online(client, venue, newer["number"], "newer-1")["reason"] == "already_used"


def test_a_supervisor_override_with_the_old_code_counts_for_the_new_ticket(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    old = next(t for t in venue.tickets if t.template == "Day ticket")
    new = reissue(client, venue, old.number)
    result = offline(client, venue, "o-1", old.number, datetime.now(UTC), "lost card")
    assert (result["status"], result["verdict"]) == ("registered", "admit")
    assert online(client, venue, new["code"], "new-1")["reason"] == "already_used"
    assert day_entries(client, venue) == 1


def test_the_old_code_scanned_before_the_reissue_is_the_entry_and_a_later_one_the_conflict(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    """The guest went in with the old card at an offline gate, then reported it lost; the new
    card was let in online before the gate uploaded. The old card's entry came first: it is
    clean, and the new card's online admission is the extra entry."""
    old = next(t for t in venue.tickets if t.template == "Day ticket")
    before_reissue = datetime.now(UTC) - timedelta(seconds=5)
    new = reissue(client, venue, old.number)
    assert online(client, venue, new["number"], "new-1")["verdict"] == "admit"
    result = offline(client, venue, "n-1", old.code, before_reissue)
    assert (result["status"], result["verdict"], result["reason"]) == ("registered", "admit", "ok")
    flags = {p["nonce"]: p["conflict"] for p in detail(client, venue, new["number"])["passages"]}
    assert flags == {"n-1": False, "new-1": True}
    conflicts = client.get("/api/v1/reports/conflicts", headers=bearer(venue.viewer_token)).json()["rows"]
    assert [(c["nonce"], c["ticket_number"]) for c in conflicts] == [("new-1", new["number"])]
    assert online(client, venue, new["number"], "new-2")["reason"] == "already_used"

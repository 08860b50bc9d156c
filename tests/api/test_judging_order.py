"""The later-scanned admission is the conflict, whatever order the passages reached the service in:
two offline gates, an offline gate and an online scan, the same scan time; and what the reports
and the change feed say afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer

DEVICES = {"Main gate": "gate-main", "North gate": "gate-north"}


def upload(
    client: TestClient, venue: DemoVenue, gate: str, nonce: str, code: str, at: datetime
) -> dict[str, Any]:  # type: ignore[type-arg]
    """One passage admitted at an offline gate, uploaded in a batch of its own."""
    body = {
        "device": DEVICES[gate],
        "passages": [
            {
                "nonce": nonce,
                "code": code,
                "gate": gate,
                "direction": "in",
                "scanned_at": at.isoformat(),
                "local_verdict": "admit",
                "local_reason": "ok",
            }
        ],
    }
    response = client.post("/api/v1/passages/batch", json=body, headers=bearer(venue.gate_tokens[gate]))
    assert response.status_code == 200, response.text
    return dict(response.json()["results"][0])


def flags(client: TestClient, venue: DemoVenue, number: str) -> dict[str, bool]:  # type: ignore[type-arg]
    detail = client.get(f"/api/v1/tickets/{number}", headers=bearer(venue.viewer_token)).json()
    return {p["nonce"]: p["conflict"] for p in detail["passages"] if p["verdict"] == "admit"}


def open_conflicts(client: TestClient, venue: DemoVenue) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    report = client.get("/api/v1/reports/conflicts", headers=bearer(venue.viewer_token)).json()
    return list(report["rows"])


def day_ticket(venue: DemoVenue, index: int = 0) -> Any:
    return [t for t in venue.tickets if t.template == "Day ticket"][index]


@pytest.mark.parametrize("main_first", [True, False], ids=["earlier-uploaded-first", "later-uploaded-first"])
def test_the_later_scanned_of_two_offline_admissions_is_the_conflict_in_either_upload_order(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
    main_first: bool,
) -> None:
    ticket = day_ticket(venue)
    now = datetime.now(UTC)
    earlier = ("Main gate", "m-1", ticket.code, now - timedelta(minutes=30))
    later = ("North gate", "n-1", ticket.number, now - timedelta(minutes=20))
    uploads = [earlier, later] if main_first else [later, earlier]
    results = {nonce: upload(client, venue, gate, nonce, code, at) for gate, nonce, code, at in uploads}

    assert flags(client, venue, ticket.number) == {"m-1": False, "n-1": True}
    assert results["m-1"]["status"] == "registered"  # the earlier one is clean in either order
    (row,) = open_conflicts(client, venue)
    assert (row["nonce"], row["reason"], row["gate"]) == ("n-1", "already_used", "North gate")
    assert row["message"].startswith("Admitted offline, but: Already used at Main gate")
    summary = client.get("/api/v1/reports/summary", headers=bearer(venue.viewer_token)).json()
    assert summary["open_conflicts"] == 1
    # Both passages stay admitted facts: the feed carries both, neither annulled.
    feed = client.get(
        "/api/v1/sync/changes?since=0&limit=1000", headers=bearer(venue.gate_tokens["Main gate"])
    )
    passages = {c["key"]: c["data"] for c in feed.json()["changes"] if c["kind"] == "passage"}
    assert {n: (p["ticket_serial"], p["annulled"]) for n, p in passages.items()} == {
        "m-1": (str(ticket.serial), False),
        "n-1": (str(ticket.serial), False),
    }
    # The manager reviews the flagged one; the clean one has nothing to review.
    admin = bearer(venue.admin_token)
    reviewed = client.post("/api/v1/reports/conflicts/n-1/review", json={"note": "checked"}, headers=admin)
    assert reviewed.status_code == 200, reviewed.text
    assert (
        client.post("/api/v1/reports/conflicts/m-1/review", json={"note": "x"}, headers=admin).status_code
        == 409
    )
    assert open_conflicts(client, venue) == []


def test_the_same_scan_time_is_decided_by_device_then_nonce_in_either_upload_order(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    flagged_gates = []
    for index, order in enumerate((["Main gate", "North gate"], ["North gate", "Main gate"])):
        ticket = day_ticket(venue, index)
        for gate in order:
            upload(client, venue, gate, f"{DEVICES[gate]}-{index}", ticket.number, at)
        conflicts = {nonce for nonce, flagged in flags(client, venue, ticket.number).items() if flagged}
        assert len(conflicts) == 1
        flagged_gates.append(conflicts.pop().rsplit("-", 1)[0])
    devices = client.get("/api/v1/devices", headers=bearer(venue.admin_token)).json()
    ids = {d["name"]: d["id"] for d in devices if d["name"] in DEVICES.values()}
    later_device = max(ids, key=lambda name: ids[name])
    assert flagged_gates == [later_device, later_device]


def online_scan(client: TestClient, venue: DemoVenue, code: str, nonce: str) -> dict[str, Any]:  # type: ignore[type-arg]
    body = {"code": code, "gate": "Main gate", "nonce": nonce}
    response = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Main gate"]))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_online_admission_scanned_after_a_late_offline_one_becomes_the_conflict(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    ticket = day_ticket(venue)
    shown = online_scan(client, venue, ticket.code, "online-1")
    assert shown["verdict"] == "admit"
    # North gate was offline and let the same ticket in ten minutes earlier; it uploads now.
    result = upload(
        client, venue, "North gate", "n-1", ticket.number, datetime.now(UTC) - timedelta(minutes=10)
    )
    assert (result["status"], result["verdict"]) == ("registered", "admit")
    assert flags(client, venue, ticket.number) == {"online-1": True, "n-1": False}
    (row,) = open_conflicts(client, venue)
    assert row["nonce"] == "online-1"
    assert row["message"].startswith("Admitted online, but: Already used at North gate")
    # The guest was shown ADMIT: a repeated nonce still gets that answer back.
    assert online_scan(client, venue, ticket.code, "online-1") == shown
    # A ticket is used once, however its entries are flagged.
    assert online_scan(client, venue, ticket.code, "online-2")["reason"] == "already_used"


def test_an_exit_that_arrives_late_turns_a_flagged_entry_into_a_free_reentry(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    """Re-judging follows the scan order both ways: an entry flagged because the guest seemed to
    be inside is cleared when the exit before it arrives (the day ticket allows re-entry)."""
    ticket = day_ticket(venue)
    now = datetime.now(UTC)  # seconds apart: one venue day, where a re-entry is free
    upload(client, venue, "Main gate", "in-1", ticket.number, now - timedelta(seconds=30))
    second = upload(client, venue, "North gate", "in-2", ticket.number, now - timedelta(seconds=10))
    assert (second["status"], second["reason"]) == ("conflict", "already_used")
    exit_passage = {
        "nonce": "out-1",
        "code": ticket.number,
        "gate": "Main gate",
        "direction": "out",
        "scanned_at": (now - timedelta(seconds=20)).isoformat(),
        "local_verdict": "admit",
        "local_reason": "ok",
    }
    response = client.post(
        "/api/v1/passages/batch",
        json={"device": "gate-main", "passages": [exit_passage]},
        headers=bearer(venue.gate_tokens["Main gate"]),
    )
    assert response.status_code == 200, response.text
    assert flags(client, venue, ticket.number) == {"in-1": False, "out-1": False, "in-2": False}
    assert open_conflicts(client, venue) == []

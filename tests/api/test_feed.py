"""The change feed: a paged snapshot from 0, resumable cursors, everything a gate needs."""

from __future__ import annotations

from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer


def read_all(client: TestClient, token: str, since: int = 0, limit: int = 7) -> tuple[list[dict], int, int]:  # type: ignore[type-arg]
    changes, pages = [], 0
    while True:
        page = client.get(
            "/api/v1/sync/changes", params={"since": since, "limit": limit}, headers=bearer(token)
        ).json()
        changes += page["changes"]
        since, pages = page["cursor"], pages + 1
        if not page["more"]:
            return changes, since, pages


def test_snapshot_in_pages_holds_everything_a_gate_needs(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    changes, cursor, pages = read_all(client, venue.gate_tokens["Main gate"])
    kinds = {c["kind"] for c in changes}
    assert {"venue", "key", "template", "event", "gate", "ticket"} <= kinds
    assert pages > 3
    seqs = [c["seq"] for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and cursor == seqs[-1]
    serials = {c["data"]["serial"] for c in changes if c["kind"] == "ticket"}
    assert serials == {t.serial for t in venue.tickets}


def test_cursor_resumes_with_only_what_is_new(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    token = venue.gate_tokens["Main gate"]
    _, cursor, _ = read_all(client, token)
    ticket = venue.tickets[0]
    client.post(
        "/api/v1/scans",
        json={"code": ticket.number, "gate": "Main gate", "nonce": "f-1"},
        headers=bearer(token),
    )
    client.post(f"/api/v1/tickets/{venue.tickets[1].number}/void", json={}, headers=bearer(venue.admin_token))
    new, _, _ = read_all(client, token, since=cursor)
    assert [(c["kind"], c["key"]) for c in new] == [("passage", "f-1"), ("ticket", venue.tickets[1].serial)]
    assert new[1]["data"]["status"] == "void"
    nothing = client.get(
        "/api/v1/sync/changes", params={"since": new[-1]["seq"]}, headers=bearer(token)
    ).json()
    assert nothing == {"cursor": new[-1]["seq"], "more": False, "changes": []}

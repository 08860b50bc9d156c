"""Nonces belong to the device that sends them, and a gate's token scans at its own gate only.

A device cannot claim another gate's nonces; a nonce used again for another scan is refused
(409 online, a refused passage in a batch) instead of being taken for a duplicate; a gate
device naming another gate is refused (403 online, a refused passage in a batch).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from admission.demo import DemoTicket, DemoVenue
from tests.support.venues import bearer

MAIN, NORTH = "Main gate", "North gate"


def day_tickets(venue: DemoVenue) -> list[DemoTicket]:
    return [t for t in venue.tickets if t.template == "Day ticket"]


def post_scan(client: TestClient, token: str, code: str, gate: str, nonce: str, **extra: Any) -> Any:  # type: ignore[type-arg]
    body = {"code": code, "gate": gate, "nonce": nonce, **extra}
    return client.post("/api/v1/scans", json=body, headers=bearer(token))


def passage(
    nonce: str, code: str, gate: str, verdict: str = "admit", reason: str = "ok", **extra: Any
) -> dict:  # type: ignore[type-arg]
    at = datetime.now(UTC) - timedelta(minutes=5)
    return {"nonce": nonce, "code": code, "gate": gate, "direction": "in", "scanned_at": at.isoformat(),
            "local_verdict": verdict, "local_reason": reason, **extra}  # fmt: skip


def post_batch(client: TestClient, token: str, device: str, passages: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/passages/batch", json={"device": device, "passages": passages}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]  # type: ignore[no-any-return]


def passages_of(client: TestClient, venue: DemoVenue, ticket: DemoTicket) -> list[tuple[str, str, str, bool]]:  # type: ignore[type-arg]
    detail = client.get(f"/api/v1/tickets/{ticket.number}", headers=bearer(venue.viewer_token)).json()
    return [(p["gate"], p["source"], p["verdict"], p["annulled"]) for p in detail["passages"]]


def test_another_device_cannot_take_over_a_gates_nonces(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    claimed, main_online, main_offline = day_tickets(venue)[:3]
    north = venue.gate_tokens[NORTH]
    # North gate's device claims Main gate's next nonces, online and in a batch.
    assert post_scan(client, north, claimed.number, NORTH, "gate-main-1").status_code == 200
    post_batch(client, north, "gate-north", [passage("gate-main-2", claimed.number, NORTH)])

    # Main gate's own scan under that nonce is decided for what Main gate scanned.
    answer = post_scan(client, venue.gate_tokens[MAIN], main_online.number, MAIN, "gate-main-1")
    assert answer.status_code == 200
    assert answer.json()["ticket"]["serial"] == main_online.serial
    assert passages_of(client, venue, main_online) == [(MAIN, "online", "admit", False)]
    # Its offline admission is registered, not dropped as a duplicate.
    results = post_batch(
        client, venue.gate_tokens[MAIN], "gate-main", [passage("gate-main-2", main_offline.number, MAIN)]
    )
    assert [(r["status"], r["verdict"]) for r in results] == [("registered", "admit")]
    assert passages_of(client, venue, main_offline) == [(MAIN, "offline", "admit", False)]


def test_a_gate_annuls_and_settles_only_its_own_scan_under_a_shared_nonce(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
) -> None:
    claimed, own, turned_away = day_tickets(venue)[:3]
    north, main = venue.gate_tokens[NORTH], venue.gate_tokens[MAIN]
    post_scan(client, north, claimed.number, NORTH, "gate-main-7")
    post_scan(client, north, claimed.number, NORTH, "gate-main-8")
    post_scan(client, main, own.number, MAIN, "gate-main-7")
    post_scan(client, main, turned_away.number, MAIN, "gate-main-8")

    assert client.post("/api/v1/scans/gate-main-7/annul", headers=bearer(main)).status_code == 200
    # The gate's online answer for gate-main-8 went unseen and it turned the person away.
    reject = passage("gate-main-8", turned_away.number, MAIN, "reject", "turned_away")
    assert post_batch(client, main, "gate-main", [reject])[0]["status"] == "registered"

    assert passages_of(client, venue, own) == [(MAIN, "online", "admit", True)]
    assert passages_of(client, venue, turned_away) == [(MAIN, "online", "admit", True)]
    assert passages_of(client, venue, claimed) == [
        (NORTH, "online", "admit", False),
        (NORTH, "online", "reject", False),
    ]


def test_a_nonce_sent_again_for_another_scan_is_a_conflict_online(
    client: TestClient, venue: DemoVenue
) -> None:  # type: ignore[type-arg]
    first, other = day_tickets(venue)[:2]
    main = venue.gate_tokens[MAIN]
    answer = post_scan(client, main, first.number, MAIN, "n-1")
    assert answer.status_code == 200
    for code, extra in ((other.number, {}), (first.number, {"direction": "out"})):
        refused = post_scan(client, main, code, MAIN, "n-1", **extra)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "another scan" in refused.json()["detail"]
    # The same scan sent again gets its first answer, and counts once.
    assert post_scan(client, main, first.number, MAIN, "n-1").json() == answer.json()
    assert passages_of(client, venue, first) == [(MAIN, "online", "admit", False)]
    assert passages_of(client, venue, other) == []


def test_a_nonce_sent_again_for_another_scan_is_refused_in_a_batch(
    client: TestClient, venue: DemoVenue
) -> None:  # type: ignore[type-arg]
    first, other, fine = day_tickets(venue)[:3]
    main = venue.gate_tokens[MAIN]
    post_scan(client, main, first.number, MAIN, "b-1")
    post_batch(client, main, "gate-main", [passage("b-2", first.number, MAIN, "reject", "already_used")])
    results = post_batch(
        client,
        main,
        "gate-main",
        [
            passage("b-1", other.number, MAIN),  # online before, for another ticket
            passage("b-2", other.number, MAIN),  # in a batch before, for another ticket
            passage("b-3", fine.number, MAIN),
            passage("b-2", first.number, MAIN, "reject", "already_used"),  # the same scan again
        ],
    )
    assert [(r["nonce"], r["status"]) for r in results] == [
        ("b-1", "refused"),
        ("b-2", "refused"),
        ("b-3", "registered"),
        ("b-2", "refused"),
    ]
    assert all("another scan" in (r["detail"] or "") for r in results if r["status"] == "refused")
    assert passages_of(client, venue, other) == []
    assert passages_of(client, venue, fine) == [(MAIN, "offline", "admit", False)]
    # The same passage sent again alone is the duplicate it is.
    again = post_batch(
        client, main, "gate-main", [passage("b-2", first.number, MAIN, "reject", "already_used")]
    )
    assert [(r["status"], r["verdict"]) for r in again] == [("duplicate", "reject")]


def test_one_nonce_twice_in_a_batch_for_different_scans_is_refused(
    client: TestClient, venue: DemoVenue
) -> None:  # type: ignore[type-arg]
    first, other = day_tickets(venue)[:2]
    results = post_batch(
        client,
        venue.gate_tokens[MAIN],
        "gate-main",
        [passage("t-1", first.number, MAIN), passage("t-1", other.number, MAIN)],
    )
    assert [r["status"] for r in results] == ["refused", "refused"]
    assert passages_of(client, venue, first) == passages_of(client, venue, other) == []


def test_a_gate_token_scans_at_its_own_gate_only(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket, fine = day_tickets(venue)[:2]
    main = venue.gate_tokens[MAIN]
    refused = post_scan(client, main, ticket.number, NORTH, "elsewhere-1")
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "Main gate" in refused.json()["detail"]
    results = post_batch(
        client,
        main,
        "gate-main",
        [passage("elsewhere-2", ticket.number, NORTH), passage("here-1", fine.number, MAIN)],
    )
    assert [(r["status"], r["verdict"]) for r in results] == [("refused", "admit"), ("registered", "admit")]
    assert "North gate" in results[0]["detail"]
    assert passages_of(client, venue, ticket) == []
    assert passages_of(client, venue, fine) == [(MAIN, "offline", "admit", False)]


def test_a_gate_device_without_a_gate_and_an_admin_scan_anywhere(
    client: TestClient, venue: DemoVenue
) -> None:  # type: ignore[type-arg]
    first, second = day_tickets(venue)[:2]
    roaming = client.post(
        "/api/v1/devices", json={"name": "handheld-1", "role": "gate"}, headers=bearer(venue.admin_token)
    ).json()["token"]
    assert post_scan(client, roaming, first.number, NORTH, "h-1").status_code == 200
    assert post_scan(client, venue.admin_token, second.number, "Arena door", "adm-1").status_code == 200
    assert passages_of(client, venue, first) == [(NORTH, "online", "admit", False)]

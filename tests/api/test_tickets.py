"""Ticket lifecycle through the API: bulk issue, look-up, void, reissue, barcodes, capacity."""

from __future__ import annotations

import itertools

import pytest
import zxingcpp
from litestar.testing import TestClient

from admission.barcodes import decode_image
from admission.demo import DemoVenue
from admission.domain.codes import is_valid_ticket_number
from tests.support.venues import bearer


def scan(client: TestClient, venue: DemoVenue, code: str, nonce: str, gate: str = "Main gate") -> dict:  # type: ignore[type-arg]
    body = {"code": code, "gate": gate, "nonce": nonce}
    return client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens[gate])).json()  # type: ignore[no-any-return]


# One big order is a thousand tickets in the default run; the ten-thousand order (a school
# district's season) takes minutes on PostgreSQL under load, so it runs with the slow tests.
@pytest.mark.parametrize("count", [1_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_bulk_issue_in_one_request(client: TestClient, venue: DemoVenue, count: int) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/tickets/issue", json={"template_id": 1, "count": count}, headers=bearer(venue.admin_token)
    )
    assert response.status_code == 201, response.text
    tickets = response.json()
    numbers = {t["number"] for t in tickets}
    assert len(tickets) == count and len(numbers) == count
    assert all(is_valid_ticket_number(n) for n in numbers)
    assert len({t["serial"] for t in tickets}) == count
    assert scan(client, venue, tickets[-1]["code"], "bulk-1")["verdict"] == "admit"


def test_numbers_are_not_sequential(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    tickets = client.post(
        "/api/v1/tickets/issue", json={"template_id": 1, "count": 50}, headers=bearer(venue.admin_token)
    ).json()
    values = sorted(int(t["number"][:-1]) for t in tickets)
    gaps = {b - a for a, b in itertools.pairwise(values)}
    assert len(gaps) > 40  # random numbers: nearly every gap differs


def test_look_up_by_number_and_by_code_shows_passages(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = venue.tickets[0]
    scan(client, venue, ticket.number, "look-1")
    by_number = client.get(f"/api/v1/tickets/{ticket.number}", headers=bearer(venue.box_office_token)).json()
    by_code = client.get(f"/api/v1/tickets/{ticket.code}", headers=bearer(venue.viewer_token)).json()
    assert by_number == by_code
    assert by_number["template"] == ticket.template
    assert [p["nonce"] for p in by_number["passages"]] == ["look-1"]


def test_voided_ticket_is_rejected_as_void(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = venue.tickets[1]
    voided = client.post(
        f"/api/v1/tickets/{ticket.number}/void",
        json={"reason": "refunded"},
        headers=bearer(venue.box_office_token),
    )
    assert voided.json()["status"] == "void"
    answer = scan(client, venue, ticket.code, "void-1")
    assert (answer["verdict"], answer["reason"]) == ("reject", "void")
    assert "refunded" in answer["message"]
    again = client.post(
        f"/api/v1/tickets/{ticket.number}/void", json={}, headers=bearer(venue.box_office_token)
    )
    assert again.status_code == 409


def test_reissue_carries_over_entries_and_blocks_the_old_card(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    card = next(t for t in venue.tickets if t.template == "10-visit card")
    for i in range(3):
        scan(client, venue, card.number, f"visit-{i}")
        scan_out = {"code": card.number, "gate": "Main gate", "nonce": f"out-{i}", "direction": "out"}
        client.post("/api/v1/scans", json=scan_out, headers=bearer(venue.gate_tokens["Main gate"]))
    new = client.post(f"/api/v1/tickets/{card.number}/reissue", headers=bearer(venue.box_office_token))
    assert new.status_code == 201, new.text
    replacement = new.json()
    old_answer = scan(client, venue, card.code, "old-card")
    assert (old_answer["verdict"], old_answer["reason"]) == ("reject", "void")
    # whoever holds the lost card learns only the end of the new number, not a number to type in
    assert replacement["number"][-4:] in old_answer["message"]
    assert replacement["number"][:9] not in old_answer["message"]
    new_answer = scan(client, venue, replacement["number"], "new-card")
    assert new_answer["verdict"] == "admit" and new_answer["ticket"]["entries_left"] == 6
    detail = client.get(f"/api/v1/tickets/{replacement['number']}", headers=bearer(venue.viewer_token)).json()
    assert detail["reissued_from"] == card.serial and detail["entries_carried"] == 3


def test_event_capacity_is_never_exceeded(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    event = client.get(f"/api/v1/events/{venue.event_id}", headers=admin).json()
    assert event["remaining"] == 495  # 500 seats, 5 issued by the demo
    too_many = client.post(
        "/api/v1/tickets/issue",
        json={"template_id": 5, "event_id": venue.event_id, "count": 496},
        headers=admin,
    )
    assert too_many.status_code == 409 and "495 left" in too_many.json()["detail"]
    exact = client.post(
        "/api/v1/tickets/issue",
        json={"template_id": 5, "event_id": venue.event_id, "count": 495},
        headers=admin,
    )
    assert exact.status_code == 201
    assert client.get(f"/api/v1/events/{venue.event_id}", headers=admin).json()["remaining"] == 0


@pytest.mark.parametrize(("kind", "fmt"), [("qr", "png"), ("code128", "png")])
def test_barcode_images_decode_to_the_ticket_codes(
    client: TestClient, venue: DemoVenue, kind: str, fmt: str
) -> None:  # type: ignore[type-arg]
    ticket = venue.tickets[2]
    response = client.get(
        f"/api/v1/tickets/{ticket.number}/barcode",
        params={"kind": kind, "format": fmt},
        headers=bearer(venue.viewer_token),
    )
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    decoded = {d.text for d in decode_image(response.content)}
    assert decoded == {ticket.code if kind == "qr" else ticket.number}


def test_printable_ticket_shows_both_barcodes(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    ticket = venue.tickets[3]
    png = client.get(
        f"/api/v1/tickets/{ticket.number}/print", params={"format": "png"}, headers=bearer(venue.viewer_token)
    )
    assert {d.text for d in decode_image(png.content)} == {ticket.code, ticket.number}
    html = client.get(f"/api/v1/tickets/{ticket.number}/print", headers=bearer(venue.viewer_token))
    assert html.headers["content-type"].startswith("text/html") and "Zoo day ticket" in html.text
    assert zxingcpp is not None

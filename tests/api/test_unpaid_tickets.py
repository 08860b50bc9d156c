"""Tickets issued unpaid, through the API: refused at the service and at an offline gate that
learnt them from the change feed, with their own reason, until a box office marks them paid;
admitted at once where the template lets pending tickets in. Runs on each backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from admission.demo import DEMO_TIMEZONE, DemoVenue
from admission.domain.codes import now_utc
from admission.domain.model import Direction, Reason
from scanner_client.gate.store import GateStore
from scanner_client.gate.verdicts import LocalJudge
from tests.api.test_batches import passage, post_batch
from tests.api.test_entry_rules import offline_gate
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]


def day_template_id(client: Client, venue: DemoVenue) -> int:
    templates = client.get("/api/v1/templates", headers=bearer(venue.admin_token)).json()
    return int(next(t["id"] for t in templates if t["name"] == "Day ticket"))


def issue(client: Client, venue: DemoVenue, template_id: int, **fields: Any) -> dict[str, Any]:
    body = {"template_id": template_id, "count": 1, **fields}
    answer = client.post("/api/v1/tickets/issue", json=body, headers=bearer(venue.box_office_token))
    assert answer.status_code == 201, answer.text
    return dict(answer.json()[0])


def scan(client: Client, venue: DemoVenue, code: str, nonce: str, direction: str = "in") -> dict[str, Any]:
    body = {"code": code, "gate": "Main gate", "nonce": nonce, "direction": direction}
    answer = client.post("/api/v1/scans", json=body, headers=bearer(venue.gate_tokens["Main gate"]))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def judged_offline(store: GateStore, code: str, direction: Direction = Direction.IN) -> Any:
    gate = store.gate("Main gate")
    assert gate is not None
    return LocalJudge(store).judge(code, gate.info(), direction, now_utc()).decision


def test_an_unpaid_ticket_is_refused_until_marked_paid_at_the_service_and_an_offline_gate(
    client: Client, venue: DemoVenue, tmp_path: Path
) -> None:
    ticket = issue(client, venue, day_template_id(client, venue), payment_state="pending")
    assert ticket["payment_state"] == "pending" and ticket["paid_at"] is None

    # Online: refused with its own reason, in words that say what the guest does.
    refused = scan(client, venue, ticket["code"], "unpaid-1")
    assert (refused["verdict"], refused["reason"]) == ("reject", "unpaid")
    assert "pays at the box office" in refused["message"]
    # ... and the exit of an unpaid ticket is admitted, like any exit.
    assert scan(client, venue, ticket["code"], "unpaid-out", "out")["verdict"] == "admit"

    # Offline: a gate that learnt the ticket from the feed refuses it alike, by code and number.
    store = offline_gate(client, venue, tmp_path / "before")
    try:
        for scanned in (ticket["code"], ticket["number"]):
            offline = judged_offline(store, scanned)
            assert (offline.reason, offline.message) == (Reason.UNPAID, refused["message"])
        assert judged_offline(store, ticket["code"], Direction.OUT).admitted
    finally:
        store.close()

    # Viewers and gates may not mark a ticket paid; a box office may.
    for token in (venue.viewer_token, venue.gate_tokens["Main gate"]):
        assert (
            client.post(f"/api/v1/tickets/{ticket['number']}/paid", headers=bearer(token)).status_code == 403
        )
    paid = client.post(f"/api/v1/tickets/{ticket['number']}/paid", headers=bearer(venue.box_office_token))
    assert paid.status_code == 200, paid.text
    assert paid.json()["payment_state"] == "paid" and paid.json()["paid_at"] is not None
    again = client.post(f"/api/v1/tickets/{ticket['code']}/paid", headers=bearer(venue.admin_token))
    assert again.status_code == 409 and "paid already" in again.json()["detail"]
    assert DEMO_TIMEZONE in again.json()["detail"]  # when, in the venue's time

    detail = client.get(f"/api/v1/tickets/{ticket['number']}", headers=bearer(venue.viewer_token)).json()
    assert detail["payment_state"] == "paid"

    admitted = scan(client, venue, ticket["code"], "unpaid-2")
    assert (admitted["verdict"], admitted["reason"]) == ("admit", "ok")

    # The gate learns the payment from the feed, as it learns a void.
    store = offline_gate(client, venue, tmp_path / "after")
    try:
        offline = judged_offline(store, ticket["number"])
        # Admitted online a moment ago: offline the entry is used, no longer refused as unpaid.
        assert offline.reason is Reason.ALREADY_USED
    finally:
        store.close()


def test_a_template_that_admits_pending_tickets_lets_them_in_at_the_service_and_the_gate(
    client: Client, venue: DemoVenue, tmp_path: Path
) -> None:
    admin = bearer(venue.admin_token)
    created = client.post(
        "/api/v1/templates", json={"name": "Group on invoice", "allow_pending_entry": True}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["allow_pending_entry"] is True
    ticket = issue(client, venue, created.json()["id"], payment_state="pending")
    store = offline_gate(client, venue, tmp_path / "gate")
    try:
        assert judged_offline(store, ticket["code"]).reason is Reason.OK
    finally:
        store.close()
    assert scan(client, venue, ticket["code"], "trusted-1")["reason"] == "ok"

    # Turned off again: the next pending ticket of it is refused.
    template = created.json()
    changed = client.put(
        f"/api/v1/templates/{template['id']}",
        json={"name": template["name"], "allow_pending_entry": False},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    later = issue(client, venue, template["id"], payment_state="pending")
    assert scan(client, venue, later["code"], "trusted-2")["reason"] == "unpaid"


def test_paid_is_the_default_and_sales_are_paid(client: Client, venue: DemoVenue) -> None:
    ticket = issue(client, venue, day_template_id(client, venue))
    assert ticket["payment_state"] == "paid"
    assert scan(client, venue, ticket["code"], "paid-1")["reason"] == "ok"
    answer = client.post(f"/api/v1/tickets/{ticket['number']}/paid", headers=bearer(venue.box_office_token))
    assert answer.status_code == 409 and "when it was issued" in answer.json()["detail"]


def test_bad_payment_input_is_a_4xx(client: Client, venue: DemoVenue) -> None:
    box = bearer(venue.box_office_token)
    template_id = day_template_id(client, venue)
    bad = client.post(
        "/api/v1/tickets/issue", json={"template_id": template_id, "payment_state": "later"}, headers=box
    )
    assert bad.status_code == 400 and "payment_state" in bad.text
    flag = client.post(
        "/api/v1/templates",
        json={"name": "Bad flag", "allow_pending_entry": "maybe"},
        headers=bearer(venue.admin_token),
    )
    assert flag.status_code == 400 and "allow_pending_entry" in flag.text
    missing = client.post("/api/v1/tickets/0000000000000/paid", headers=box)
    assert 400 <= missing.status_code < 500
    void_first = issue(client, venue, template_id, payment_state="pending")
    voided = client.post(
        f"/api/v1/tickets/{void_first['number']}/void", json={"reason": "cancelled"}, headers=box
    )
    assert voided.status_code == 200
    refused = client.post(f"/api/v1/tickets/{void_first['number']}/paid", headers=box)
    assert refused.status_code == 409 and "void" in refused.json()["detail"]


def test_an_offline_admission_of_an_unpaid_ticket_is_kept_and_flagged(client: Client, venue: DemoVenue) -> None:
    """A gate that knew the ticket only by its signed code (issued after its last sync) admitted
    it: the passage is a fact, registered as admitted, and flagged for a manager with the reason."""
    ticket = issue(client, venue, day_template_id(client, venue), payment_state="pending")
    batch = [passage("gate-main-unpaid", ticket["code"], "Main gate", 5)]
    (result,) = post_batch(client, venue, "Main gate", "gate-main", batch)
    assert (result["status"], result["verdict"], result["reason"]) == ("conflict", "admit", "unpaid")

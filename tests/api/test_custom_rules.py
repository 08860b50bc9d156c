"""A template's custom rule through the API: refused with a problem-details body pointing at the
wrong part when it cannot be saved; once saved, it decides a ticket's history the same way at the
service (online scans) and at an offline gate that learnt the template and the ticket (with its
attributes, set at issue) from the service's own change feed."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.dates import get_day_names
from litestar.testing import TestClient

from admission.demo import DemoVenue
from admission.domain.custom_rules import WEEKDAYS
from admission.domain.model import Direction
from scanner_client.gate.verdicts import LocalJudge
from tests.api.test_entry_rules import BASE, offline_gate
from tests.scanner_client.client_support import DEVICE
from tests.support.venues import bearer

TODAY = WEEKDAYS[BASE.weekday()]  # BASE's weekday, venue time
TOMORROW_WORDS = get_day_names("wide", context="stand-alone", locale="en_GB")[BASE.weekday()]


def rule() -> dict[str, Any]:
    return {
        "and": [
            {"==": [{"var": "attribute.age_group"}, "adult"]},
            {"in": [{"var": "weekday"}, [TODAY]]},
            {"<": [{"var": "entries_today"}, 2]},
        ]
    }


def issue(client: TestClient, venue: DemoVenue, template_id: int, **attributes: str) -> str:  # type: ignore[type-arg]
    issued = client.post(
        "/api/v1/tickets/issue",
        json={"template_id": template_id, "count": 1, "attributes": attributes},
        headers=bearer(venue.box_office_token),
    )
    assert issued.status_code in (200, 201), issued.text
    body = issued.json()
    ticket = (body if isinstance(body, list) else body["tickets"])[0]
    assert ticket["attributes"] == attributes
    return str(ticket["code"])


def test_a_custom_rule_decides_alike_at_the_service_and_at_an_offline_gate(
    client: TestClient, venue: DemoVenue, tmp_path: Path  # type: ignore[type-arg]
) -> None:
    admin = bearer(venue.admin_token)
    created = client.post(
        "/api/v1/templates", json={"name": "Adults, once or twice a day", "max_entries": None, "custom_rule": rule()},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["custom_rule"] == rule()
    template_id = created.json()["id"]
    adult = issue(client, venue, template_id, age_group="adult")
    child = issue(client, venue, template_id, age_group="child")
    store = offline_gate(client, venue, tmp_path / "gate")
    judge = LocalJudge(store)
    steps = [
        (adult, 0, "in", "ok", None),
        (adult, 60, "out", "ok", None),
        (adult, 90, "in", "ok", None),
        (adult, 120, "in", "custom_rule", "Rule not met: entries today < 2"),
        (adult, 24 * 60, "in", "custom_rule", f"Rule not met: weekday is {TOMORROW_WORDS}"),
        (child, 0, "in", "custom_rule", "Rule not met: ticket's age group is adult"),
        (child, 5, "out", "ok", None),  # exits are always admitted
    ]
    try:
        for i, (code, minutes, direction, reason, message) in enumerate(steps):
            at = BASE.astimezone(UTC) + timedelta(minutes=minutes)
            body = {"code": code, "gate": "Main gate", "nonce": f"custom-{i}", "direction": direction, "scanned_at": at.isoformat()}
            online = client.post("/api/v1/scans", json=body, headers=admin).json()
            gate = store.gate("Main gate")
            assert gate is not None
            judged = judge.judge(code, gate.info(), Direction(direction), at)
            store.record_local(
                device=DEVICE, code=code, gate=gate, direction=Direction(direction), scanned_at=at,
                decision=judged.decision, ticket_serial=judged.ticket_serial, template_name=judged.template_name,
            )
            assert online["reason"] == reason, (i, online)
            assert (judged.decision.reason.value, judged.decision.message) == (online["reason"], online["message"]), i
            if message is not None:
                assert online["message"] == message
    finally:
        store.close()


@pytest.mark.parametrize(
    ("custom_rule", "pointer", "words"),
    [
        ({"and": [{"<": [{"var": "entries_todya"}, 2]}]}, "/custom_rule/and/0/</0/var", "unknown variable 'entries_todya'"),
        ({"<": [{"var": "weekday"}, "monday"]}, "/custom_rule/<", "does not apply to weekday"),
        ({"==": [{"var": "entries_today"}]}, "/custom_rule/==", "takes two operands"),
        ({"in": [{"var": "time_of_day"}, ["9:00"]]}, "/custom_rule/in/1/0", "HH:MM"),
        ({"not": {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"==": [{"var": "zone"}, "zoo"]}}}}}}}}}, "/custom_rule/not/not/not/not/not/not/not/not", "too deep"),
    ],
)
def test_a_wrong_rule_is_a_422_pointing_at_its_wrong_part(
    client: TestClient, venue: DemoVenue, custom_rule: Any, pointer: str, words: str  # type: ignore[type-arg]
) -> None:
    admin = bearer(venue.admin_token)
    answer = client.post("/api/v1/templates", json={"name": "Bad rule", "custom_rule": custom_rule}, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["pointer"] == pointer and words in problem["detail"] and pointer in problem["detail"]
    assert client.get("/api/v1/templates", params={"q": "Bad rule"}, headers=admin).json() == []

    # Updating a template with such a rule is refused alike, and changes nothing.
    made = client.post("/api/v1/templates", json={"name": "Good rule"}, headers=admin)
    assert made.status_code == 201, made.text
    template = made.json()
    updated = client.put(f"/api/v1/templates/{template['id']}", json={"name": "Good rule", "custom_rule": custom_rule}, headers=admin)
    assert updated.status_code == 422 and updated.json()["pointer"] == pointer
    assert client.get(f"/api/v1/templates/{template['id']}", headers=admin).json()["custom_rule"] is None


def test_a_rule_that_is_not_an_object_and_bad_attributes_are_a_400(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    answer = client.post("/api/v1/templates", json={"name": "List rule", "custom_rule": [1, 2]}, headers=admin)
    assert answer.status_code == 400 and "custom_rule" in answer.text
    template_id = client.post("/api/v1/templates", json={"name": "Plain"}, headers=admin).json()["id"]
    for attributes in ({"Age Group": "child"}, {"age_group": ""}, {f"a{i}": "x" for i in range(11)}):
        issued = client.post(
            "/api/v1/tickets/issue", json={"template_id": template_id, "attributes": attributes},
            headers=bearer(venue.box_office_token),
        )
        assert issued.status_code == 400, (attributes, issued.text)


def test_an_offline_admission_the_rule_refuses_is_a_conflict_with_its_reason(
    client: TestClient, venue: DemoVenue  # type: ignore[type-arg]
) -> None:
    """A gate that knew the ticket only by its signed code (sold after its last sync) did not
    know the ticket is a child's, and admitted it: the service, which knows, keeps the passage
    and flags it, with the rule's reason."""
    admin = bearer(venue.admin_token)
    adults_only = {"==": [{"var": "attribute.age_group"}, "adult"]}
    created = client.post(
        "/api/v1/templates", json={"name": "Adults only", "max_entries": None, "custom_rule": adults_only}, headers=admin
    )
    assert created.status_code == 201, created.text
    child = issue(client, venue, created.json()["id"], age_group="child")
    at = (BASE.astimezone(UTC) + timedelta(hours=2)).isoformat()
    answer = client.post(
        "/api/v1/passages/batch",
        json={"device": "gate-main", "passages": [{
            "nonce": "child-1", "code": child, "gate": "Main gate", "direction": "in", "scanned_at": at,
            "local_verdict": "admit", "local_reason": "ok",
        }]},
        headers=bearer(venue.gate_tokens["Main gate"]),
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()["results"][0]
    assert (result["status"], result["verdict"], result["reason"]) == ("conflict", "admit", "custom_rule")

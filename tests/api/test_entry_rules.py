"""Each entry rule of a template, set through the API, decides the same history the same way at
the service (online scans) and at an offline gate that learnt the template, the event and the
ticket from the service's own change feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from litestar.testing import TestClient

from admission.contract import ChangesPage
from admission.demo import DEMO_TIMEZONE, DemoVenue
from admission.domain.model import Direction
from scanner_client.gate.settings import open_store
from scanner_client.gate.store import GateStore
from scanner_client.gate.verdicts import LocalJudge
from tests.scanner_client.client_support import DEVICE, enrolled_settings
from tests.support.venues import bearer

TZ = ZoneInfo(DEMO_TIMEZONE)
# Three venue days ago, 10:00 venue time: every step below lies in the past (scans may not be
# dated in the future) and the venue days are known.
BASE = (datetime.now(TZ) - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Step:
    minutes: int  # after BASE
    gate: str
    direction: str
    reason: str  # "ok": admitted
    message: str | None = None  # checked when given


@dataclass(frozen=True)
class Scenario:
    id: str
    template: dict[str, Any]
    steps: list[Step]
    event: dict[str, int] | None = field(default=None)  # start and end, minutes after BASE


def clock(minutes: int) -> str:
    return (BASE.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(TZ).strftime("%H:%M")


SCENARIOS = [
    Scenario(
        "minimum interval",
        {"max_entries": None, "min_minutes_between_entries": 10},
        [
            Step(0, "Main gate", "in", "ok"),
            Step(4, "North gate", "in", "too_soon", f"Entered 4 min ago; the minimum is 10 min: again from {clock(10)}"),
            Step(10, "North gate", "in", "ok"),
        ],
    ),
    Scenario(
        "entries per day",
        {"max_entries": None, "max_entries_per_day": 1},
        [
            Step(0, "Main gate", "in", "ok"),
            Step(60, "Main gate", "out", "ok"),
            Step(120, "North gate", "in", "daily_limit"),
            Step(24 * 60, "Main gate", "in", "ok"),
        ],
    ),
    Scenario(
        "distinct entry days",
        {"max_entries": None, "max_entry_days": 2},
        [
            Step(0, "Main gate", "in", "ok"),
            Step(60, "Main gate", "in", "ok"),
            Step(24 * 60, "Main gate", "in", "ok"),
            Step(48 * 60, "Main gate", "in", "entry_days_used"),
        ],
    ),
    Scenario(
        "exit before re-entry",
        {"max_entries": None, "exit_required": True},
        [
            Step(0, "Main gate", "in", "ok"),
            Step(30, "North gate", "in", "exit_required", f"Inside already since {clock(0)} (Main gate): scan the exit first"),
            Step(60, "Main gate", "out", "ok"),
            Step(90, "North gate", "in", "ok"),
            Step(100, "Arena door", "in", "ok"),  # into the arena: leaves the zoo
            Step(110, "Main gate", "in", "ok"),
            Step(120, "Arena door", "in", "exit_required"),
        ],
    ),
    Scenario(
        "admission window",
        {"kind": "event", "max_entries": None, "entry_minutes_before_start": 30, "entry_minutes_after_end": 15},
        [
            Step(60, "Main gate", "in", "outside_entry_window", f"Entry opens 30 min before the start: again from {clock(90)}"),
            Step(90, "Main gate", "in", "ok"),
            Step(100, "Main gate", "out", "ok"),
            Step(254, "Main gate", "in", "ok"),
            Step(255, "Main gate", "out", "ok"),
            Step(256, "Main gate", "in", "outside_entry_window"),
        ],
        event={"start": 120, "end": 240},
    ),
]


def set_up(client: TestClient, venue: DemoVenue, scenario: Scenario) -> str:  # type: ignore[type-arg]
    """The template (and event) through the API, and one ticket of it: its signed code."""
    admin = bearer(venue.admin_token)
    created = client.post("/api/v1/templates", json={"name": f"Rule {scenario.id}", **scenario.template}, headers=admin)
    assert created.status_code == 201, created.text
    template = created.json()
    assert all(template[k] == v for k, v in scenario.template.items()), template
    event_id = None
    if scenario.event:
        starts = BASE.astimezone(UTC) + timedelta(minutes=scenario.event["start"])
        ends = BASE.astimezone(UTC) + timedelta(minutes=scenario.event["end"])
        body = {
            "name": f"Show {scenario.id}",
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "template_ids": [template["id"]],
        }
        made = client.post("/api/v1/events", json=body, headers=admin)
        assert made.status_code == 201, made.text
        event_id = made.json()["id"]
    issued = client.post(
        "/api/v1/tickets/issue",
        json={"template_id": template["id"], "event_id": event_id, "count": 1},
        headers=bearer(venue.box_office_token),
    )
    assert issued.status_code in (200, 201), issued.text
    body = issued.json()
    tickets = body if isinstance(body, list) else body["tickets"]
    return str(tickets[0]["code"])


def offline_gate(client: TestClient, venue: DemoVenue, directory: Path) -> GateStore:  # type: ignore[type-arg]
    """A gate store filled from the service's feed, as a gate's sync fills it."""
    store = open_store(directory)
    enrolled_settings(gate="Main gate").save(store)
    cursor, more = 0, True
    while more:
        answer = client.get("/api/v1/sync/changes", params={"since": cursor}, headers=bearer(venue.admin_token))
        assert answer.status_code == 200, answer.text
        page = msgspec.json.decode(answer.content, type=ChangesPage)
        store.apply_changes(page.changes, page.cursor, synced_at=datetime.now(UTC))
        cursor, more = page.cursor, page.more
    return store


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_the_rule_decides_alike_at_the_service_and_at_an_offline_gate(
    client: TestClient, venue: DemoVenue, scenario: Scenario, tmp_path: Path  # type: ignore[type-arg]
) -> None:
    code = set_up(client, venue, scenario)
    store = offline_gate(client, venue, tmp_path / "gate")  # before any scan: the gate decides alone
    judge = LocalJudge(store)
    try:
        for i, step in enumerate(scenario.steps):
            at = BASE.astimezone(UTC) + timedelta(minutes=step.minutes)
            body = {
                "code": code,
                "gate": step.gate,
                "nonce": f"rule-{i}",
                "direction": step.direction,
                "scanned_at": at.isoformat(),
            }
            online = client.post("/api/v1/scans", json=body, headers=bearer(venue.admin_token)).json()

            gate = store.gate(step.gate)
            assert gate is not None
            judged = judge.judge(code, gate.info(), Direction(step.direction), at)
            store.record_local(
                device=DEVICE,
                code=code,
                gate=gate,
                direction=Direction(step.direction),
                scanned_at=at,
                decision=judged.decision,
                ticket_serial=judged.ticket_serial,
                template_name=judged.template_name,
            )
            offline = judged.decision
            assert online["reason"] == step.reason, (step, online)
            assert (offline.reason.value, offline.message) == (online["reason"], online["message"]), step
            if step.message is not None:
                assert online["message"] == step.message
    finally:
        store.close()

    # The managers' report lists the new refusals by their reason, like any other.
    first_day = BASE.date().isoformat()
    last_day = (BASE + timedelta(days=3)).date().isoformat()
    report = client.get(
        "/api/v1/reports/reasons", params={"from": first_day, "to": last_day}, headers=bearer(venue.viewer_token)
    )
    assert report.status_code == 200, report.text
    refused = {row["reason"]: row["scans"] for row in report.json()["rows"] if row["verdict"] == "reject"}
    for reason in {step.reason for step in scenario.steps} - {"ok"}:
        assert refused.get(reason) == sum(1 for step in scenario.steps if step.reason == reason), refused


def test_rules_out_of_bounds_are_a_4xx(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    admin = bearer(venue.admin_token)
    for field_, value in (
        ("min_minutes_between_entries", -1),
        ("max_entries_per_day", 0),
        ("max_entry_days", 0),
        ("entry_minutes_after_end", 10**9),
        ("exit_required", "sometimes"),
    ):
        answer = client.post("/api/v1/templates", json={"name": f"Bad {field_}", field_: value}, headers=admin)
        assert answer.status_code == 400, (field_, answer.text)
        assert field_ in answer.text

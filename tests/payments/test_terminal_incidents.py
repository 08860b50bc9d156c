"""Card terminal down (seed 001): the incident a till registers, exactly once per nonce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from admission.cli import main
from admission.demo import DemoVenue
from tests.box_office.conftest import sale_body, seller
from tests.support.venues import bearer

Client = TestClient  # type: ignore[type-arg]
PATH = "/api/v1/payments/terminal-incidents"


def test_an_incident_is_registered_once_and_ended_by_the_same_nonce(
    client: Client, demo_venue: DemoVenue
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=30)
    body = {"started_at": start.isoformat(), "cause": "no network to the acquirer", "note": "sign put up"}
    first = client.put(f"{PATH}/inc-1", json=body, headers=seller(demo_venue))
    again = client.put(f"{PATH}/inc-1", json=body, headers=seller(demo_venue))
    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert first.json()["id"] == again.json()["id"] and first.json()["ended_at"] is None
    paid = sale_body([{"plu": "100", "quantity": 2}], amount=5000)
    assert client.post("/api/v1/sales", json=paid, headers=seller(demo_venue)).status_code == 201
    ended = client.put(
        f"{PATH}/inc-1",
        json={**body, "ended_at": datetime.now(UTC).isoformat(), "note": "terminal restarted"},
        headers=seller(demo_venue),
    ).json()
    late_start = client.put(f"{PATH}/inc-1", json=body, headers=seller(demo_venue)).json()
    assert late_start["ended_at"] == ended["ended_at"] is not None  # a re-sent start never reopens it
    listed = client.get(PATH, headers=bearer(demo_venue.viewer_token)).json()
    assert len(listed) == 1
    (incident,) = listed
    assert incident["device"] == "box-office-1" and incident["note"] == "terminal restarted"
    assert incident["duration_seconds"] >= 29 * 60
    assert incident["paid_with"] == [{"method": "cash", "sales": 1, "cents": 5000}]


def test_nonces_are_each_tills_own_and_bad_input_is_a_4xx(client: Client, demo_venue: DemoVenue) -> None:
    start = datetime.now(UTC)
    body = {"started_at": start.isoformat(), "cause": "power cut"}
    assert client.put(f"{PATH}/n-1", json=body, headers=seller(demo_venue)).status_code == 200
    assert client.put(f"{PATH}/n-1", json=body, headers=bearer(demo_venue.admin_token)).status_code == 200
    assert len(client.get(PATH, headers=seller(demo_venue)).json()) == 2
    backwards = {**body, "ended_at": (start - timedelta(minutes=1)).isoformat()}
    assert client.put(f"{PATH}/n-2", json=backwards, headers=seller(demo_venue)).status_code in (400, 422)
    naive = {"started_at": "2026-06-01T10:00:00", "cause": "x"}
    assert client.put(f"{PATH}/n-3", json=naive, headers=seller(demo_venue)).status_code in (400, 422)
    assert client.put(f"{PATH}/n-4", json={"cause": "x"}, headers=seller(demo_venue)).status_code in (
        400,
        422,
    )
    gate = bearer(next(iter(demo_venue.gate_tokens.values())))
    assert client.put(f"{PATH}/n-5", json=body, headers=gate).status_code == 403
    assert client.get(PATH, headers=gate).status_code == 403


def test_incidents_are_listed_for_a_period_in_venue_time(client: Client, demo_venue: DemoVenue) -> None:
    long_ago = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    body = {
        "started_at": long_ago.isoformat(),
        "ended_at": (long_ago + timedelta(hours=1)).isoformat(),
        "cause": "x",
    }
    client.put(f"{PATH}/old", json=body, headers=seller(demo_venue))
    client.put(
        f"{PATH}/new",
        json={"started_at": datetime.now(UTC).isoformat(), "cause": "y"},
        headers=seller(demo_venue),
    )
    today = client.get(PATH, params={"from": "today"}, headers=seller(demo_venue)).json()
    assert [i["nonce"] for i in today] == ["new"]
    that_day = client.get(
        PATH, params={"from": "2026-01-05", "to": "2026-01-05"}, headers=seller(demo_venue)
    ).json()
    assert [i["nonce"] for i in that_day] == ["old"]
    assert that_day[0]["started_at"].endswith("+01:00")  # the demo venue's time zone in winter


def test_the_manager_lists_incidents_on_the_command_line(
    client: Client, demo_venue: DemoVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    start = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    body = {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=45)).isoformat(),
        "cause": "acquirer offline",
        "note": "sign at the door",
    }
    assert client.put(f"{PATH}/cli-1", json=body, headers=seller(demo_venue)).status_code == 200
    args = ["--database-url", demo_venue.database_url, "--data-dir", demo_venue.data_dir]
    assert main(["payments", "incidents", "--from", "2026-07-01", "--to", "2026-07-01", *args]) == 0
    out = capsys.readouterr().out
    assert "acquirer offline" in out and "2026-07-01 10:00" in out and "45" in out  # Berlin summer time
    assert main(["payments", "incidents", "--from", "2026-07-02", *args]) == 0
    assert "No card terminal incidents." in capsys.readouterr().out
    assert main(["payments", "incidents", "--from", "someday", *args]) == 2

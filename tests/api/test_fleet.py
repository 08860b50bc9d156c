"""Fleet health: every gate and till reports on itself, managers see the fleet with its flags.

A report is stored and shown by the API and by `admission devices`; a clock off by more than the
limit is flagged (and the device told so); a gate or till not heard of for too long is flagged
silent; a device reports only for itself; viewers read the fleet, gates do not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from rich.console import Console
from sqlalchemy import update

from admission.api.app import create_app
from admission.cli import fleet as fleet_cli
from admission.cli import main
from admission.config import Settings
from admission.db.engine import Database
from admission.db.models import Device, DeviceHealth
from admission.demo import DemoVenue
from admission.i18n.formatting import date_time
from tests.support.venues import bearer

MAIN, NORTH = "gate-main", "gate-north"


@pytest.fixture
def client(venue: DemoVenue) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = Settings(database_url=venue.database_url, data_dir=Path(venue.data_dir))
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def report(device: str, /, **extra: Any) -> dict[str, Any]:
    synced = datetime.now(UTC) - timedelta(seconds=20)
    return {"device": device, "version": "0.9.1", "queue": 7, "last_sync_at": synced.isoformat(),
            "online": True, "clock_offset_seconds": 1.5, **extra}  # fmt: skip


def post_report(client: TestClient, token: str, body: dict[str, Any]) -> Any:  # type: ignore[type-arg]
    return client.post("/api/v1/fleet/reports", json=body, headers=bearer(token))


def fleet_rows(client: TestClient, venue: DemoVenue) -> dict[str, dict[str, Any]]:  # type: ignore[type-arg]
    answer = client.get("/api/v1/fleet", headers=bearer(venue.viewer_token))
    assert answer.status_code == 200, answer.text
    return {row["name"]: row for row in answer.json()["devices"]}


async def _backdate(url: str, device: str, minutes: int) -> None:
    """As if the device had been created, and last heard of, `minutes` ago."""
    db = Database(url)
    try:
        async with db.session() as session:
            device_id = (
                await session.execute(update(Device).where(Device.name == device).values(
                    created_at=datetime.now(UTC) - timedelta(minutes=minutes)
                ).returning(Device.id))
            ).scalar_one()
            await session.execute(
                update(DeviceHealth).where(DeviceHealth.device_id == device_id).values(
                    received_at=datetime.now(UTC) - timedelta(minutes=minutes)
                )
            )
    finally:
        await db.dispose()


def backdate(venue: DemoVenue, device: str, minutes: int) -> None:
    asyncio.run(_backdate(venue.database_url, device, minutes))


def test_a_report_is_stored_and_shown_in_the_fleet(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    answer = post_report(client, venue.gate_tokens["Main gate"], report(MAIN))
    assert answer.status_code == 200, answer.text
    assert answer.json()["flags"] == [] and answer.json()["clock_skew_limit_seconds"] == 30

    rows = fleet_rows(client, venue)
    main_gate = rows[MAIN]
    assert main_gate["role"] == "gate" and main_gate["gate"] == "Main gate"
    assert main_gate["version"] == "0.9.1" and main_gate["queue"] == 7
    assert main_gate["online"] is True and main_gate["clock_offset_seconds"] == 1.5
    assert main_gate["last_seen_at"] is not None and main_gate["last_sync_at"] is not None
    assert main_gate["flags"] == []
    # A gate that never reported is listed, not online; managers' logins are not devices to watch.
    assert rows[NORTH]["version"] is None and rows[NORTH]["online"] is False
    assert "box-office-1" in rows and "manager" not in rows

    # A till reports too, and a later report replaces the earlier one.
    assert post_report(client, venue.box_office_token, report("box-office-1", queue=2)).status_code == 200
    assert post_report(client, venue.gate_tokens["Main gate"], report(MAIN, queue=0, online=False)).status_code == 200
    rows = fleet_rows(client, venue)
    assert rows["box-office-1"]["queue"] == 2
    assert rows[MAIN]["queue"] == 0 and rows[MAIN]["online"] is False


def test_a_skewed_clock_is_flagged_and_the_device_told(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    answer = post_report(client, venue.gate_tokens["Main gate"], report(MAIN, clock_offset_seconds=-45.2))
    assert answer.status_code == 200
    assert answer.json()["flags"] == ["clock_skew"]
    assert post_report(client, venue.gate_tokens["North gate"], report(NORTH, clock_offset_seconds=29)).json()["flags"] == []

    rows = fleet_rows(client, venue)
    assert rows[MAIN]["flags"] == ["clock_skew"]
    assert rows[MAIN]["warnings"] == ["Clock off by -45 s"]
    assert rows[NORTH]["flags"] == []

    # A PC whose clock battery died starts in 2000: what it measured is stored as it is.
    years = (datetime(2000, 1, 1, tzinfo=UTC) - datetime.now(UTC)).total_seconds()
    assert post_report(client, venue.box_office_token, report("box-office-1", clock_offset_seconds=years)).json()["flags"] == ["clock_skew"]
    assert fleet_rows(client, venue)["box-office-1"]["clock_offset_seconds"] == pytest.approx(years, abs=0.01)


def test_a_silent_device_is_flagged(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    for gate, device in (("Main gate", MAIN), ("North gate", NORTH)):
        assert post_report(client, venue.gate_tokens[gate], report(device)).status_code == 200
    backdate(venue, MAIN, minutes=25)  # heard of 25 minutes ago; the limit is 10
    backdate(venue, "gate-arena", minutes=25)  # enrolled 25 minutes ago, never reported
    backdate(venue, "gate-arena-entrance", minutes=25)
    revoked = client.get("/api/v1/devices", headers=bearer(venue.admin_token)).json()
    entrance = next(d["id"] for d in revoked if d["name"] == "gate-arena-entrance")
    assert client.post(f"/api/v1/devices/{entrance}/revoke", headers=bearer(venue.admin_token)).status_code == 200

    rows = fleet_rows(client, venue)
    assert rows[MAIN]["flags"] == ["silent"] and rows[MAIN]["online"] is False
    assert rows[MAIN]["warnings"] == ["Silent for 25 min"]
    assert rows["gate-arena"]["flags"] == ["silent"] and rows["gate-arena"]["warnings"] == ["Never reported"]
    assert rows[NORTH]["flags"] == [] and rows[NORTH]["online"] is True
    assert rows["gate-arena-entrance"]["revoked"] is True and rows["gate-arena-entrance"]["flags"] == []


def test_a_device_reports_for_itself_only(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    answer = post_report(client, venue.gate_tokens["Main gate"], report(NORTH, clock_offset_seconds=300))
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "gate-main" in answer.json()["detail"]
    assert post_report(client, venue.box_office_token, report(MAIN)).status_code == 403
    rows = fleet_rows(client, venue)
    assert rows[NORTH]["version"] is None and rows[MAIN]["version"] is None


def test_viewers_read_the_fleet_and_gates_do_not(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    assert client.get("/api/v1/fleet", headers=bearer(venue.viewer_token)).status_code == 200
    assert client.get("/api/v1/fleet", headers=bearer(venue.admin_token)).status_code == 200
    assert client.get("/api/v1/fleet", headers=bearer(venue.gate_tokens["Main gate"])).status_code == 403
    assert client.get("/api/v1/fleet", headers=bearer(venue.box_office_token)).status_code == 403
    assert client.get("/api/v1/fleet").status_code == 401
    # A viewer has no device to report on.
    assert post_report(client, venue.viewer_token, report("manager")).status_code == 403


def test_the_service_tells_its_time_to_every_device(client: TestClient, venue: DemoVenue) -> None:  # type: ignore[type-arg]
    for token in (venue.gate_tokens["Main gate"], venue.box_office_token, venue.viewer_token):
        answer = client.get("/api/v1/fleet/clock", headers=bearer(token))
        assert answer.status_code == 200
        assert datetime.fromisoformat(answer.json()["now"]).tzinfo is not None


@pytest.mark.parametrize(
    "change",
    [
        {"queue": -1},
        {"version": ""},
        {"version": "x" * 41},
        {"clock_offset_seconds": "soon"},
        {"clock_offset_seconds": 1e12},
        {"last_sync_at": "2026-12-01T10:00:00"},  # no offset
        {"device": None},
    ],
)
def test_a_bad_report_is_a_4xx_and_stores_nothing(
    client: TestClient, venue: DemoVenue, change: dict[str, Any]  # type: ignore[type-arg]
) -> None:
    answer = post_report(client, venue.gate_tokens["Main gate"], report(MAIN, **change))
    assert 400 <= answer.status_code < 500, answer.text
    assert fleet_rows(client, venue)[MAIN]["version"] is None


def test_admission_devices_shows_the_fleet_in_venue_time(
    client: TestClient, venue: DemoVenue, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch  # type: ignore[type-arg]
) -> None:
    monkeypatch.setattr(fleet_cli, "console", Console(width=250))
    post_report(client, venue.gate_tokens["Main gate"], report(MAIN, clock_offset_seconds=95))
    post_report(client, venue.box_office_token, report("box-office-1", queue=3))
    backdate(venue, "gate-arena", minutes=25)
    seen = fleet_rows(client, venue)[MAIN]["last_seen_at"]
    local = datetime.fromisoformat(seen).astimezone(venue_zone(client, venue))

    options = ["--database-url", venue.database_url, "--data-dir", str(venue.data_dir)]
    assert main(["devices", *options]) == 0
    out = capsys.readouterr().out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 5}
    assert "0.9.1" in lines[MAIN] and "+1 min 35 s" in lines[MAIN] and "Clock off by +1 min 35 s" in lines[MAIN]
    assert date_time(local, local.tzinfo) in lines[MAIN]  # as the command's language writes it
    assert "│ 3 " in lines["box-office-1"] and "Clock off" not in lines["box-office-1"]
    assert "Never reported" in lines["gate-arena"]

    # The limits come from the configuration, or the command's options.
    assert main(["devices", *options, "--clock-skew-limit", "120"]) == 0
    assert "Clock off" not in capsys.readouterr().out
    monkeypatch.setenv("ADMISSION_CLOCK_SKEW_LIMIT", "not a number")
    assert main(["devices", *options]) == 2
    assert "ADMISSION_CLOCK_SKEW_LIMIT" in capsys.readouterr().err


def venue_zone(client: TestClient, venue: DemoVenue) -> Any:  # type: ignore[type-arg]
    from zoneinfo import ZoneInfo

    return ZoneInfo(client.get("/api/v1/fleet", headers=bearer(venue.viewer_token)).json()["timezone"])

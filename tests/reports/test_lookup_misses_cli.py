"""`admission report lookup-misses`: managers see who looked up numbers that name no ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from rich.console import Console

from admission.cli import main
from admission.cli import reports as reports_cli
from admission.demo import DEMO_TIMEZONE, DemoVenue
from admission.domain.codes import damm_check_digit
from tests.support.venues import bearer


def guess(i: int) -> str:
    body = f"{700_000_000_000 + i:012d}"
    return body + damm_check_digit(body)


def test_report_lists_misses_per_device_and_address_in_venue_time(
    client: TestClient,  # type: ignore[type-arg]
    venue: DemoVenue,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reports_cli, "console", Console(width=250))
    tz = ZoneInfo(DEMO_TIMEZONE)
    before = datetime.now(UTC)
    for i in range(4):
        assert client.get(f"/api/v1/tickets/{guess(i)}", headers=bearer(venue.box_office_token)).status_code == 404
    after = datetime.now(UTC)
    code = main(["report", "lookup-misses", "--database-url", venue.database_url, "--data-dir", venue.data_dir])
    assert code == 0
    out = capsys.readouterr().out
    assert f"Ticket look-ups that found nothing: {before.astimezone(tz):%a %Y-%m-%d} ({DEMO_TIMEZONE})" in out
    assert "Numbers not found" in out and "Last tried (masked)" in out and "misses" not in out
    assert "box-office-1" in out and "testclient" in out and "│ 4 " in out
    minutes = {f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" for moment in (before, after)}
    assert any(minute in out for minute in minutes)  # venue time, not UTC
    assert guess(3) not in out and f"{guess(3)[:2]}{'•' * 9}{guess(3)[-2:]}" in out
    tomorrow = (before.astimezone(tz) + timedelta(days=1)).date().isoformat()
    args = ["--database-url", venue.database_url, "--data-dir", venue.data_dir]
    assert main(["report", "lookup-misses", "--from", tomorrow, "--to", tomorrow, *args]) == 0
    assert "nothing in this period" in capsys.readouterr().out

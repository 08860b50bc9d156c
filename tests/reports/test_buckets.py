"""Report periods and time buckets in the venue's zone (pure: no database but SQLite's clock)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from admission.domain.errors import InvalidRequestError
from admission.services import reports
from admission.services.reports import buckets as report_buckets

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 12, 15, 30, tzinfo=UTC)


def local_edges(buckets: reports.Buckets) -> list[str]:
    return [datetime.fromtimestamp(e, buckets.tz).isoformat() for e in buckets.edges]


def test_periods_from_dates_times_and_words() -> None:
    day = reports.resolve_period(BERLIN, None, None, now=NOW)
    assert (day.start.isoformat(), day.end.isoformat()) == (
        "2026-06-12T00:00:00+02:00",
        "2026-06-13T00:00:00+02:00",
    )
    span = reports.resolve_period(BERLIN, "2026-06-01", "2026-06-03", now=NOW)
    assert (span.start.isoformat(), span.end.isoformat()) == (
        "2026-06-01T00:00:00+02:00",
        "2026-06-04T00:00:00+02:00",
    )
    times = reports.resolve_period(BERLIN, "2026-06-12 09:30", "2026-06-12T10:00:00Z", now=NOW)
    assert (times.start.isoformat(), times.end.isoformat()) == (
        "2026-06-12T09:30:00+02:00",
        "2026-06-12T12:00:00+02:00",
    )
    assert (
        reports.resolve_period(BERLIN, "yesterday", "yesterday", now=NOW).start.isoformat()
        == "2026-06-11T00:00:00+02:00"
    )
    with pytest.raises(InvalidRequestError):
        reports.resolve_period(BERLIN, "June", None, now=NOW)
    with pytest.raises(InvalidRequestError):
        reports.resolve_period(BERLIN, "2026-06-12T10:00", "2026-06-12T10:00", now=NOW)


def test_days_across_daylight_saving_changes_are_local_days() -> None:
    autumn = reports.resolve_period(BERLIN, "2026-10-24", "2026-10-26", now=NOW)
    buckets = reports.make_buckets(autumn, "day")
    assert local_edges(buckets) == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",  # the 25th has 25 hours
        "2026-10-27T00:00:00+01:00",
    ]
    assert buckets.unit == 3600  # the slot the database groups by divides every edge
    assert buckets.index((buckets.edges[2] - buckets.origin) // 3600 - 1) == 1  # the 25th's last hour


def test_hours_and_quarters_follow_odd_offsets() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    period = reports.resolve_period(kathmandu, "2026-06-12T10:07", "2026-06-12T11:00", now=NOW)
    hours = reports.make_buckets(period, "hour")
    assert local_edges(hours) == ["2026-06-12T10:00:00+05:45", "2026-06-12T11:00:00+05:45"]
    quarters = reports.make_buckets(period, "15min")
    assert local_edges(quarters)[:2] == ["2026-06-12T10:00:00+05:45", "2026-06-12T10:15:00+05:45"]
    assert quarters.unit == 900


def test_too_many_buckets_is_refused() -> None:
    year = reports.resolve_period(BERLIN, "2020-01-01", "2026-01-01", now=NOW)
    with pytest.raises(InvalidRequestError, match="too long"):
        reports.make_buckets(year, "15min")
    assert len(reports.make_buckets(year, "day")) == 2193  # 2020-01-01 to 2026-01-01 inclusive


EPOCH_EXPRESSIONS = ["unixepoch(substr({}, 1, 19))", "CAST(strftime('%s', substr({}, 1, 19)) AS INTEGER)"]


@pytest.mark.parametrize("expression", EPOCH_EXPRESSIONS)
def test_sqlite_epoch_expressions_keep_the_last_instant_in_its_bucket(expression: str) -> None:
    assert report_buckets._SQLITE_EPOCH in EPOCH_EXPRESSIONS  # the service uses one of these
    if expression.startswith("unixepoch") and sqlite3.sqlite_version_info < (3, 38):
        pytest.skip("unixepoch() needs SQLite 3.38")
    db = sqlite3.connect(":memory:")
    for text, expected in [
        ("2026-06-12 07:59:59.999999", 1781251199),  # the last instant before an edge
        ("2026-06-12 08:00:00.000000", 1781251200),
        ("2026-06-12 08:00:00", 1781251200),
    ]:
        assert db.execute(f"SELECT {expression.format('?')}", (text,)).fetchone()[0] == expected

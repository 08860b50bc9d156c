"""Report figures over the scripted day, through the API, on every configured backend."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from admission.demo import DemoVenue
from tests.reports.scripted_day import (
    CONFLICT_NONCE,
    DAY,
    ENTRIES,
    EXITS,
    INSIDE_AT_END_OF_DAY,
    INSIDE_NOW,
    REJECTED,
    SCANS,
)
from tests.support.venues import bearer

ONE_DAY = {"from": DAY.isoformat(), "to": DAY.isoformat()}


def report(client: Any, venue: DemoVenue, kind: str, **params: str) -> Any:
    response = client.get(
        f"/api/v1/reports/{kind}", params={**ONE_DAY, **params}, headers=bearer(venue.viewer_token)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_passages_per_gate_per_hour_match_the_script(client, scripted: DemoVenue) -> None:
    body = report(client, scripted, "passages", granularity="hour")
    assert body["timezone"] == "Europe/Copenhagen"
    assert body["start"] == "2026-06-12T00:00:00+02:00"
    assert body["end"] == "2026-06-13T00:00:00+02:00"
    cells = {
        (r["bucket"][11:16], r["gate"]): (r["entries"], r["exits"], r["refused"], r["misreads"])
        for r in body["rows"]
    }
    # Two visitors refused (their tickets were used) at 10:00; three misreads at 11:30 are not visitors.
    assert cells == {
        ("09:00", "Main gate"): (15, 0, 0, 0),
        ("10:00", "North gate"): (4, 0, 2, 0),
        ("11:00", "North gate"): (0, 0, 0, 3),
        ("12:00", "Main gate"): (0, 3, 0, 0),
        ("18:00", "Arena door"): (7, 0, 0, 0),
        ("21:00", "Arena door"): (0, 2, 0, 0),
    }
    for gate in ENTRIES:
        rows = [r for r in body["rows"] if r["gate"] == gate]
        assert sum(r["entries"] for r in rows) == ENTRIES[gate]
        assert sum(r["exits"] for r in rows) == EXITS[gate]
        assert sum(r["refused"] + r["misreads"] for r in rows) == REJECTED[gate]


def test_quarter_hours_days_and_gate_filter(client, scripted: DemoVenue) -> None:
    quarters = report(client, scripted, "passages", granularity="15min", gate="North gate")
    # 10:00:00 exactly opens a bucket; 10:14:59.999999 still belongs to it.
    assert [(r["bucket"][11:16], r["entries"], r["refused"], r["misreads"]) for r in quarters["rows"]] == [
        ("10:00", 4, 2, 0),
        ("11:30", 0, 0, 3),
    ]
    main = report(client, scripted, "passages", granularity="15min", gate="Main gate")
    assert [(r["bucket"][11:16], r["entries"], r["exits"]) for r in main["rows"]] == [
        ("09:00", 10, 0),
        ("09:15", 5, 0),
        ("12:30", 0, 3),
    ]
    days = report(
        client, scripted, "passages", granularity="day", **{"from": "2026-06-11", "to": "2026-06-13"}
    )
    per_day: dict[str, int] = {}
    for row in days["rows"]:
        per_day[row["bucket"][:10]] = per_day.get(row["bucket"][:10], 0) + row["entries"]
    assert per_day == {"2026-06-11": 1, "2026-06-12": 26, "2026-06-13": 7}


def test_per_template_and_event(client, scripted: DemoVenue) -> None:
    body = report(client, scripted, "templates")
    figures = {(r["template"], r["event"]): (r["entries"], r["exits"], r["refused"]) for r in body["rows"]}
    assert figures == {
        ("Day ticket", None): (10, 3, 2),
        ("Weekend pass", None): (5, 0, 0),
        ("10-visit card", None): (4, 0, 0),
        ("Concert ticket", "Evening concert"): (7, 2, 0),
    }
    hourly = report(client, scripted, "templates", granularity="hour")
    concert = [(r["bucket"][11:16], r["entries"], r["exits"]) for r in hourly["rows"] if r["event"]]
    assert concert == [("18:00", 7, 0), ("21:00", 0, 2)]


def test_occupancy_over_the_day_and_now(client, scripted: DemoVenue) -> None:
    body = report(client, scripted, "occupancy", granularity="hour")
    inside = {(r["bucket"][11:16], r["zone"]): r["inside"] for r in body["rows"]}
    assert inside[("00:00", "zoo")] == 1  # the visitor who came the evening before
    assert inside[("09:00", "zoo")] == 16
    assert inside[("10:00", "zoo")] == 20
    assert inside[("12:00", "zoo")] == 17
    assert (inside[("18:00", "zoo")], inside[("18:00", "arena")]) == (10, 7)  # the arena door leaves the zoo
    assert {zone: inside[("23:00", zone)] for zone in ("zoo", "arena")} == INSIDE_AT_END_OF_DAY
    assert body["peak"] == {"arena": 7, "zoo": 20}
    assert body["now"] == INSIDE_NOW
    arena_18 = next(r for r in body["rows"] if r["bucket"][11:16] == "18:00" and r["zone"] == "zoo")
    assert (arena_18["entered"], arena_18["left"]) == (0, 7)
    occupancy_api = client.get("/api/v1/occupancy", headers=bearer(scripted.viewer_token)).json()
    assert occupancy_api["zones"] == body["now"]  # the same semantics as scanning.occupancy


def test_reasons_sources_and_summary(client, scripted: DemoVenue) -> None:
    reasons = report(client, scripted, "reasons")
    assert (reasons["admitted"], reasons["rejected"]) == (31, 5)
    assert [(r["verdict"], r["reason"], r["scans"]) for r in reasons["rows"]] == [
        ("admit", "ok", 30),
        ("admit", "already_used", 1),
        ("reject", "invalid", 3),
        ("reject", "already_used", 2),
    ]
    assert sum(r["share"] for r in reasons["rows"]) == pytest.approx(1.0, abs=1e-3)
    sources = {
        r["source"]: (r["scans"], r["admitted"], r["rejected"])
        for r in report(client, scripted, "sources")["rows"]
    }
    assert sources == {
        "online": (24, 19, 5),
        "offline": (6, 6, 0),
        "import": (4, 4, 0),
        "override": (2, 2, 0),
    }
    summary = report(client, scripted, "summary")
    assert summary["scans"] == SCANS
    assert (summary["entries"], summary["exits"], summary["refused"], summary["misreads"]) == (26, 5, 2, 3)
    assert "admitted" not in summary  # exits are not admissions of visitors: entries and exits apart
    assert summary["occupancy_now"] == INSIDE_NOW
    assert summary["open_conflicts"] == 1
    assert summary["outages"] == 2
    assert summary["offline_share"] == pytest.approx(10 / 31, abs=1e-4)  # 6 offline + 4 imported


def test_csv_by_query_and_by_accept_header(client, scripted: DemoVenue) -> None:
    by_query = client.get(
        "/api/v1/reports/passages",
        params={**ONE_DAY, "granularity": "hour", "format": "csv"},
        headers=bearer(scripted.viewer_token),
    )
    assert by_query.status_code == 200
    assert by_query.headers["content-type"].startswith("text/csv")
    assert 'filename="passages-2026-06-12.csv"' in by_query.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(by_query.text)))
    assert rows[0] == ["bucket", "gate", "entries", "exits", "refused", "misreads"]
    assert ["2026-06-12T09:00:00+02:00", "Main gate", "15", "0", "0", "0"] in rows
    by_accept = client.get(
        "/api/v1/reports/reasons",
        params=ONE_DAY,
        headers={**bearer(scripted.viewer_token), "Accept": "text/csv"},
    )
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text.splitlines()[:2] == ["verdict,reason,scans,share", "admit,ok,30,0.8333"]


def test_day_buckets_follow_the_venue_clock_across_dst(client, venue: DemoVenue) -> None:
    # Copenhagen springs forward on 2026-03-29: that day has 23 hours.
    token = venue.gate_tokens["Main gate"]
    for nonce, at in (
        ("a", "2026-03-28T23:30:00+01:00"),
        ("b", "2026-03-29T23:30:00+02:00"),
        ("c", "2026-03-30T00:30:00+02:00"),
    ):
        scan = {
            "code": venue.tickets[0].number,
            "gate": "Main gate",
            "nonce": nonce,
            "scanned_at": at,
            "direction": "out",
        }
        assert client.post("/api/v1/scans", json=scan, headers=bearer(token)).status_code == 200
    days = report(client, venue, "passages", granularity="day", **{"from": "2026-03-28", "to": "2026-03-30"})
    assert [(r["bucket"], r["exits"] + r["refused"]) for r in days["rows"]] == [
        ("2026-03-28T00:00:00+01:00", 1),
        ("2026-03-29T00:00:00+01:00", 1),
        ("2026-03-30T00:00:00+02:00", 1),
    ]
    hours = report(
        client,
        venue,
        "passages",
        granularity="hour",
        **{"from": "2026-03-29T23:00", "to": "2026-03-30T01:00"},
    )
    assert [r["bucket"] for r in hours["rows"]] == ["2026-03-29T23:00:00+02:00", "2026-03-30T00:00:00+02:00"]


def test_conflicts_are_listed_and_reviewed_by_an_admin(client, scripted: DemoVenue) -> None:
    viewer, admin = bearer(scripted.viewer_token), bearer(scripted.admin_token)
    open_now = client.get("/api/v1/reports/conflicts", headers=viewer).json()
    assert [r["nonce"] for r in open_now["rows"]] == [CONFLICT_NONCE]
    assert open_now["rows"][0]["device"] == "gate-arena"
    path = f"/api/v1/reports/conflicts/{CONFLICT_NONCE}/review"
    assert client.post(path, json={"note": "x"}, headers=viewer).status_code == 403
    reviewed = client.post(path, json={"note": "Two friends, one ticket: charged at the bar"}, headers=admin)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["note"] == "Two friends, one ticket: charged at the bar"
    assert reviewed.json()["reviewed_at"] is not None
    assert client.get("/api/v1/reports/conflicts", headers=viewer).json()["rows"] == []
    done = client.get("/api/v1/reports/conflicts", params={"status": "reviewed"}, headers=viewer).json()
    assert [r["nonce"] for r in done["rows"]] == [CONFLICT_NONCE]
    again = client.post(path, json={"note": "again"}, headers=admin)
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    assert client.post("/api/v1/reports/conflicts/nope/review", json={}, headers=admin).status_code == 404
    not_conflict = "day-main-gate-09:05-0"
    assert (
        client.post(f"/api/v1/reports/conflicts/{not_conflict}/review", json={}, headers=admin).status_code
        == 409
    )
    assert client.get("/api/v1/reports/summary", params=ONE_DAY, headers=viewer).json()["open_conflicts"] == 0


def test_outages_list_and_summary(client, scripted: DemoVenue) -> None:
    body = report(client, scripted, "outages")
    assert [(r["device"], r["started_at"][11:16], r["duration_seconds"]) for r in body["rows"]] == [
        ("gate-north", "10:00", 2700.0),
        ("box-office-1", "14:00", 1200.0),
    ]
    summary = client.get(
        "/api/v1/outages/summary", params=ONE_DAY, headers=bearer(scripted.viewer_token)
    ).json()
    assert summary == {
        "outages": 2,
        "ongoing": 0,
        "devices": 2,
        "total_duration_seconds": 3900.0,
        "longest_seconds": 2700.0,
        "passages_offline": 4,
        "sales_offline": 3,
        "not_yet_registered": 0,
        "last_registered_at": "2026-06-12T14:30:00+02:00",
    }
    everything = client.get("/api/v1/outages/summary", headers=bearer(scripted.viewer_token)).json()
    assert (everything["outages"], everything["passages_offline"]) == (3, 6)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "2026-13-01"}, 422),
        ({"from": "2026-06-12", "to": "2026-06-11"}, 422),
        ({"granularity": "week"}, 400),
        ({"gate": "Back door"}, 422),
        ({"granularity": "15min", "from": "2020-01-01", "to": "2026-01-01"}, 422),
        ({"format": "xml"}, 400),
    ],
)
def test_bad_report_requests_are_problem_details(
    client, venue: DemoVenue, params: dict[str, str], status: int
) -> None:
    response = client.get("/api/v1/reports/passages", params=params, headers=bearer(venue.viewer_token))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_reports_need_a_viewer_or_admin(client, venue: DemoVenue) -> None:
    assert client.get("/api/v1/reports/summary").status_code == 401
    gate = bearer(venue.gate_tokens["Main gate"])
    assert client.get("/api/v1/reports/summary", headers=gate).status_code == 403
    assert client.get("/api/v1/reports/summary", headers=bearer(venue.admin_token)).status_code == 200

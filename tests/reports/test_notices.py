"""Notices: set by an admin, carried by the change feed, ending by themselves or early."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from admission.contract import NoticeIn
from admission.db.engine import Database
from admission.demo import DemoVenue
from admission.services import notices
from tests.support.venues import bearer


def notice_changes(client: Any, venue: DemoVenue) -> list[Any]:
    page = client.get(
        "/api/v1/sync/changes",
        params={"since": 0, "limit": 10000},
        headers=bearer(venue.gate_tokens["Main gate"]),
    ).json()
    return [change["data"] for change in page["changes"] if change["kind"] == "notice"]


def test_admin_sets_a_notice_clients_see_it_and_it_can_end_early(client, venue: DemoVenue) -> None:
    admin, gate = bearer(venue.admin_token), bearer(venue.gate_tokens["Main gate"])
    ends_at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    body = {"message": "Card payments are down, cash only", "ends_at": ends_at.isoformat()}
    created = client.post("/api/v1/notices", json=body, headers=admin)
    assert created.status_code == 201, created.text
    notice = created.json()
    assert (notice["active"], notice["created_by"]) == (True, "admin")
    assert notice_changes(client, venue) == [
        {
            "id": notice["id"],
            "message": body["message"],
            "ends_at": ends_at.isoformat().replace("+00:00", "Z"),
            "active": True,
        }
    ]
    showing = client.get("/api/v1/notices", params={"active": True}, headers=gate).json()
    assert [n["id"] for n in showing] == [notice["id"]]

    ended = client.post(f"/api/v1/notices/{notice['id']}/end", headers=admin)
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert [c["active"] for c in notice_changes(client, venue)] == [True, False]
    assert client.get("/api/v1/notices", params={"active": True}, headers=gate).json() == []
    assert len(client.get("/api/v1/notices", headers=gate).json()) == 1
    assert client.post(f"/api/v1/notices/{notice['id']}/end", headers=admin).status_code == 409
    assert client.post("/api/v1/notices/999/end", headers=admin).status_code == 404


def test_a_notice_stops_by_itself_at_its_end(client, venue: DemoVenue) -> None:
    admin, gate = bearer(venue.admin_token), bearer(venue.gate_tokens["Main gate"])
    ends_at = datetime.now(UTC) + timedelta(seconds=1)
    assert (
        client.post(
            "/api/v1/notices",
            json={"message": "Doors close early", "ends_at": ends_at.isoformat()},
            headers=admin,
        ).status_code
        == 201
    )
    assert len(client.get("/api/v1/notices", params={"active": True}, headers=gate).json()) == 1
    time.sleep(max((ends_at - datetime.now(UTC)).total_seconds(), 0) + 0.1)
    assert client.get("/api/v1/notices", params={"active": True}, headers=gate).json() == []
    assert client.get("/api/v1/notices", headers=gate).json()[0]["active"] is False


def test_notice_times_are_checked_against_a_clock(venue: DemoVenue) -> None:
    async def scenario() -> tuple[list[Any], list[Any]]:
        db = Database(venue.database_url)
        start = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
        try:
            async with db.session() as session:
                data = NoticeIn(message="Lift out of order", ends_at=start + timedelta(minutes=30))
                await notices.create_notice(session, data, None, now=start)
            async with db.read_session() as session:
                during = await notices.list_notices(session, True, now=start + timedelta(minutes=29))
                after = await notices.list_notices(session, True, now=start + timedelta(minutes=30))
        finally:
            await db.dispose()
        return during, after

    during, after = asyncio.run(scenario())
    assert [n.message for n in during] == ["Lift out of order"]
    assert after == []


def test_bad_notices_are_refused(client, venue: DemoVenue) -> None:
    admin = bearer(venue.admin_token)
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases = [
        ({"message": "x", "ends_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}, admin, 422),
        ({"message": "x", "ends_at": "2026-06-12T10:00:00"}, admin, 422),  # no offset
        ({"message": "x", "ends_at": (datetime.now(UTC) + timedelta(days=40)).isoformat()}, admin, 422),
        ({"message": "", "ends_at": soon}, admin, 400),
        ({"message": "x" * 501, "ends_at": soon}, admin, 400),
        ({"message": "x", "ends_at": soon}, bearer(venue.viewer_token), 403),
        ({"message": "x", "ends_at": soon}, bearer(venue.gate_tokens["Main gate"]), 403),
    ]
    for body, headers, status in cases:
        response = client.post("/api/v1/notices", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")

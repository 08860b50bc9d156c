"""Input an attacker would send is a clear 4xx, never a 500."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"name": ' + "[" * 1000 + "]" * 1000 + "}"])
def test_json_nested_a_thousand_deep_is_a_bad_request(client: TestClient, venue: DemoVenue, body: str) -> None:  # type: ignore[type-arg]
    headers = {**bearer(venue.admin_token), "content-type": "application/json"}
    response = client.post("/api/v1/templates", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/summary?to=9999-12-31",
        "/api/v1/reports/passages?from=9999-12-31&to=9999-12-31",
        "/api/v1/reports/occupancy?from=0001-01-01&to=0001-01-02",
        "/api/v1/sales/report?date=9999-12-31",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_a_bad_request(client: TestClient, venue: DemoVenue, path: str) -> None:  # type: ignore[type-arg]
    response = client.get(path, headers=bearer(venue.admin_token))
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("path", ["/dashboard/assets/x%00.css", "/dashboard/assets/%00"])
def test_a_nul_byte_in_a_dashboard_asset_path_is_not_found(client: TestClient, path: str) -> None:  # type: ignore[type-arg]
    assert client.get(path).status_code == 404

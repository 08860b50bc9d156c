"""OPTIONS is authenticated like every other method, and never fails the service."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import bearer

PATHS = ["/api/v1/reports/summary", "/api/v1/reports/conflicts", "/api/v1/templates", "/api/v1/scans"]


@pytest.mark.parametrize("path", PATHS)
def test_options_needs_a_token_and_answers_with_one(client: TestClient, venue: DemoVenue, path: str) -> None:  # type: ignore[type-arg]
    anonymous = client.options(path)
    assert anonymous.status_code == 401, anonymous.text
    answered = client.options(path, headers=bearer(venue.admin_token))
    assert answered.status_code < 300, answered.text
    assert "allow" in answered.headers


def test_every_operation_documents_its_problem_answers(client: TestClient) -> None:  # type: ignore[type-arg]
    document = client.get("/schema/openapi.json").json()
    assert document["components"]["schemas"]["Problem"]["required"] == ["title", "status"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "delete", "patch"}:
                continue
            for status in ("400", "401", "403", "404", "422", "503"):
                assert "application/problem+json" in operation["responses"][status]["content"], (path, method, status)

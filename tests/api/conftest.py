from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.support.venues import api_client, seed


@pytest.fixture
def venue(database_url: str, tmp_path: Path) -> DemoVenue:
    return seed(database_url, tmp_path)


@pytest.fixture
def client(venue: DemoVenue) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with api_client(venue) as test_client:
        yield test_client

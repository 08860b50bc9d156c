from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from admission.demo import DemoVenue
from tests.reports.scripted_day import insert_scripted_day
from tests.support.venues import api_client


@pytest.fixture
def venue(demo_venue: DemoVenue) -> DemoVenue:
    return demo_venue


@pytest.fixture
def scripted(demo_venue: DemoVenue) -> DemoVenue:
    """The demo venue with the scripted day of scans and outages in its database."""
    return insert_scripted_day(demo_venue)


@pytest.fixture
def client(venue: DemoVenue) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with api_client(venue) as test_client:
        yield test_client

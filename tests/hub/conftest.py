"""A venue hub in front of the live central service: its device's token, and its empty database
having read the central feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from admission.demo import DemoVenue
from tests.support.hubs import empty_hub, follow, hub_device_token
from tests.support.live_server import LiveServer


@pytest.fixture
def hub_token(live_server: LiveServer, demo_venue: DemoVenue) -> str:
    return hub_device_token(live_server, demo_venue)


@pytest.fixture
def hub_venue(
    live_server: LiveServer, demo_venue: DemoVenue, hub_database_url: str, hub_token: str, tmp_path: Path
) -> DemoVenue:
    hub = empty_hub(demo_venue, hub_database_url, tmp_path / "hub")
    assert follow(hub, live_server.url, hub_token) > 0  # the whole central feed, from its start
    return hub

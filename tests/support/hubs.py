"""A venue hub for tests: its own empty database (on the central one's backend), a data folder
without keys, its device at the central service, and the link's two halves run in the test's
own process when a test wants to say when the hub follows or forwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
from litestar.testing import TestClient

from admission.api.app import create_app
from admission.config import Settings
from admission.db.engine import Database
from admission.demo import DemoVenue
from admission.services.hub import Forwarded, HubForwarder, Upstream
from admission.services.hub.link import HubFollower
from tests.support.live_server import LiveServer, free_port


def hub_device_token(central: LiveServer, venue: DemoVenue, name: str = "hub-1") -> str:
    with central.client(venue.admin_token) as admin:
        created = admin.post("/api/v1/devices", json={"name": name, "role": "hub"})
        assert created.status_code == 201, created.text
        return str(created.json()["token"])


def empty_hub(venue: DemoVenue, hub_database_url: str, folder: Path) -> DemoVenue:
    """The venue as seen from its hub: the same tokens (the hub follows the devices), another
    database and data folder, both empty."""
    folder.mkdir(parents=True, exist_ok=True)
    return msgspec.structs.replace(venue, data_dir=str(folder), database_url=hub_database_url)


def make_hub(central: LiveServer, venue: DemoVenue, hub_database_url: str, folder: Path) -> LiveServer:
    """A hub for `venue` as a real process (not started): its device at the central service, an
    empty database and data folder; its first start reads the whole central feed (docs/hub.md)."""
    token = hub_device_token(central, venue)
    hub_venue = empty_hub(venue, hub_database_url, folder)
    return LiveServer(hub_venue, extra=("--upstream", central.url, "--token", token))


def dead_upstream() -> str:
    """An address nobody answers at: the hub's link is cut."""
    return f"http://127.0.0.1:{free_port()}"


def follow(hub: DemoVenue, central_url: str, token: str) -> int:
    """The hub reads the central feed to its end, now."""

    async def work() -> int:
        db, upstream = Database(hub.database_url), Upstream(central_url, token)
        try:
            return await HubFollower(db, upstream, data_dir=Path(hub.data_dir)).follow_once()
        finally:
            await upstream.aclose()
            await db.dispose()

    return asyncio.run(work())


def forward(hub: DemoVenue, central_url: str, token: str, batch_size: int = 500) -> Forwarded:
    """The hub forwards what it owes (scans, then annulments), now."""

    async def work() -> Forwarded:
        db, upstream = Database(hub.database_url), Upstream(central_url, token)
        try:
            return await HubForwarder(db, upstream, batch_size=batch_size).forward_once()
        finally:
            await upstream.aclose()
            await db.dispose()

    return asyncio.run(work())


@contextmanager
def hub_api(hub: DemoVenue) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The hub's API in this process (its link is not running: the test follows and forwards)."""
    settings = Settings(database_url=hub.database_url, data_dir=Path(hub.data_dir), upstream=dead_upstream())
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client

"""A seeded demo venue for tests, and a Litestar test client authenticated per role."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from litestar.testing import TestClient

from admission.api.app import create_app
from admission.config import LookupLimits, Settings
from admission.demo import DemoVenue, seed_demo


def seed(database_url: str, data_dir: Path, tickets_per_template: int = 5) -> DemoVenue:
    return asyncio.run(seed_demo(database_url, data_dir, tickets_per_template))


@contextmanager
def api_client(venue: DemoVenue, lookup_limits: LookupLimits | None = None) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = Settings(database_url=venue.database_url, data_dir=Path(venue.data_dir))
    if lookup_limits is not None:
        settings.lookup_limits = lookup_limits
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

"""Shared fixtures: a fresh, migrated database per test on SQLite or, when
ADMISSION_TEST_DATABASE_URL is set, on PostgreSQL too (tests run once per backend)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from admission import i18n
from admission.demo import DemoVenue
from tests.support.databases import fresh_database
from tests.support.live_server import LiveServer, running_server
from tests.support.venues import seed

PG_URL = os.environ.get("ADMISSION_TEST_DATABASE_URL")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts in English, whatever language an earlier command in this worker took on
    (commands speak the venue's language: the sample venues are Danish, German, Austrian), and
    commands it runs speak English unless the test asks for another language."""
    monkeypatch.setenv("ADMISSION_LANGUAGE", "en")
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each configured backend."""
    with fresh_database(request.param, tmp_path, WORKER, PG_URL) as url:
        yield url


@pytest.fixture
def hub_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A venue hub's own database, migrated and empty, on the central database's backend."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    folder = tmp_path / "hub-database"
    folder.mkdir()
    with fresh_database(backend, folder, f"{WORKER}_hub", PG_URL) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("sqlite", tmp_path, WORKER, None) as url:
        yield url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def demo_venue(database_url: str, tmp_path: Path) -> DemoVenue:
    """A seeded demo venue (5 tickets per template) on each configured backend."""
    return seed(database_url, tmp_path)


@pytest.fixture
def live_server(demo_venue: DemoVenue) -> Iterator[LiveServer]:
    """The real service process on a loopback port, serving the demo venue."""
    with running_server(demo_venue) as server:
        yield server

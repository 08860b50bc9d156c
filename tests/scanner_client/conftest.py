"""Fixtures for the scanner client tests (see client_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner_client.gate.settings import open_store
from scanner_client.gate.store import GateStore
from tests.scanner_client.client_support import VenueSnapshot, enrolled_settings


@pytest.fixture
def venue() -> VenueSnapshot:
    return VenueSnapshot()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "scanner"


@pytest.fixture
def store(data_dir: Path, venue: VenueSnapshot) -> Iterator[GateStore]:
    """A store enrolled at gate Main with the venue snapshot applied."""
    store = open_store(data_dir)
    enrolled_settings().save(store)
    venue.apply(store)
    yield store
    store.close()

"""Upgrading a venue's database in place keeps its scans, each in the right nonce scope."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from admission.db.migrate import upgrade_database

PG_URL = os.environ.get("ADMISSION_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", *(["postgresql"] if PG_URL else [])])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    import asyncpg

    assert PG_URL is not None
    name = f"admission_migration_{uuid.uuid4().hex[:12]}"
    admin_dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


SCAN = (
    "INSERT INTO scans (nonce, code, device_id, gate, zone, direction, verdict, reason, message, "
    "source, scanned_at, received_at, conflict, answer) VALUES (:nonce, 'x', :device, 'Main gate', "
    "'zoo', 'in', 'admit', 'ok', '', :source, :at, :at, false, '{}')"
)
SCAN_IN_SCOPE = SCAN.replace("(nonce,", "(nonce_scope, nonce,").replace(
    "VALUES (:nonce", "VALUES (:device, :nonce"
)
DEVICE = "INSERT INTO devices (id, name, role, created_at) VALUES (:id, :name, 'gate', :at)"


async def _execute(url: str, *statements: tuple[str, dict[str, object]]) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            rows: list[tuple[object, ...]] = []
            for statement, parameters in statements:
                result = await connection.execute(text(statement), parameters)
                if result.returns_rows:
                    rows = [tuple(r) for r in result]
            return rows
    finally:
        await engine.dispose()


def test_scans_of_release_0002_keep_their_nonces_each_in_its_scope(empty_database: str) -> None:
    upgrade_database(empty_database, "0002")
    at = datetime(2026, 6, 1, 10, tzinfo=UTC)
    asyncio.run(
        _execute(
            empty_database,
            (DEVICE, {"id": 7, "name": "gate-main", "at": at}),
            (SCAN, {"nonce": "gate-main-1", "device": 7, "source": "online", "at": at}),
            (SCAN, {"nonce": "gate-main-2", "device": 7, "source": "offline", "at": at}),
            (SCAN, {"nonce": "import-abc", "device": 7, "source": "import", "at": at}),
            (SCAN, {"nonce": "import-def", "device": None, "source": "import", "at": at}),
            (SCAN, {"nonce": "auto-exit-1", "device": None, "source": "auto_exit", "at": at}),
        )
    )
    upgrade_database(empty_database)
    scopes = asyncio.run(
        _execute(empty_database, ("SELECT nonce, nonce_scope FROM scans ORDER BY nonce", {}))
    )
    assert scopes == [
        ("auto-exit-1", 0),
        ("gate-main-1", 7),
        ("gate-main-2", 7),
        ("import-abc", 0),
        ("import-def", 0),
    ]
    # Another device may now use the same nonce; the same device may not.
    other = {"nonce": "gate-main-1", "source": "online", "at": at}
    asyncio.run(
        _execute(
            empty_database,
            (DEVICE, {"id": 8, "name": "gate-north", "at": at}),
            (SCAN_IN_SCOPE, {**other, "device": 8}),
        )
    )
    with pytest.raises(IntegrityError):
        asyncio.run(_execute(empty_database, (SCAN_IN_SCOPE, {**other, "device": 7})))

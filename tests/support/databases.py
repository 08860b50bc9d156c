"""Test databases: SQLite files copied from one migrated template; PostgreSQL schemas per
xdist worker, emptied between tests (much faster than migrating every time)."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import gettempdir

from sqlalchemy.engine import make_url

from admission.db.migrate import upgrade_database
from admission.db.models import Base

_migrated: set[str] = set()

# Unique per test run, so two checkouts (or two runs) sharing one PostgreSQL server never drop
# each other's databases; each run drops its own when it ends.
_RUN_TAG = f"{os.getpid()}_{secrets.token_hex(3)}"


def _sqlite_template(worker_id: str) -> Path:
    template = Path(gettempdir()) / f"admission-test-template-{worker_id}-{_migration_stamp()}.db"
    if not template.exists():
        partial = template.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        upgrade_database(f"sqlite+aiosqlite:///{partial}")
        partial.rename(template)
    return template


def _migration_stamp() -> str:
    versions = Path(__file__).parents[2] / "admission" / "db" / "migrations" / "versions"
    return str(sum(int(p.stat().st_mtime_ns) for p in versions.glob("*.py")) % 10**9)


@contextmanager
def fresh_database(backend: str, tmp_path: Path, worker_id: str, pg_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        target = tmp_path / "admission.db"
        shutil.copy(_sqlite_template(worker_id), target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    assert pg_url is not None
    yield from _postgres(pg_url, f"admission_test_{_RUN_TAG}_{worker_id}")


def _postgres(pg_url: str, name: str) -> Iterator[str]:
    """A database of our own per xdist worker, migrated once, emptied before each test."""
    import asyncio

    import asyncpg

    admin_dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    own_dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def recreate() -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def empty() -> None:
        connection = await asyncpg.connect(own_dsn)
        try:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    if name not in _migrated:
        asyncio.run(recreate())
        upgrade_database(url)
        _migrated.add(name)
        atexit.register(lambda: asyncio.run(drop()))
    else:
        asyncio.run(empty())
    yield url

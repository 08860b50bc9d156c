"""Engines and sessions for SQLite (embedded default) and PostgreSQL (multi-worker).

SQLite: every write transaction starts with BEGIN IMMEDIATE, so a read-then-write admission
decision can never interleave with another writer (see LIBRARY-NOTES). Reads that page the
change feed or build reports go through a second engine with deferred transactions, so they
never hold the write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///admission.db"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, immediate: bool) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged scan survives power loss
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _make_sqlite_engine(url: str, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": 15}, pool_size=8, max_overflow=8)

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, immediate)

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class WriterTurns:
    """Writers of several processes on one SQLite file take turns through an flock.

    SQLite admits one writer at a time; the others wait in its busy handler, which sleeps in
    growing steps of up to 100 ms and so wakes late: with two service workers half the time
    went to sleeping writers. A writer here first takes an exclusive flock on a file beside
    the database, and the kernel wakes the next one the moment it is free. SQLite's own lock
    still guards correctness (a writer that does not use this class waits as before).
    One coroutine per process waits for the flock, so at most one thread blocks on it.
    """

    def __init__(self, database_file: str) -> None:
        self._path = f"{database_file}.writers"
        self._fd: int | None = None
        self._in_process = asyncio.Lock()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._in_process:
            fd = self._open()
            await self._acquire(fd)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    @staticmethod
    async def _acquire(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        taking = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            await asyncio.shield(taking)
        except asyncio.CancelledError:
            await taking  # the thread gets the lock regardless: let it go again, then give up
            fcntl.flock(fd, fcntl.LOCK_UN)
            raise

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def private_database_file(database_file: str) -> None:
    """The SQLite file and its -wal and -shm for the service's user only (it holds every ticket
    number and token hash). Made before SQLite makes it: SQLite gives -wal and -shm its mode."""
    os.close(os.open(database_file, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(f"{database_file}{suffix}", 0o600)


class Database:
    """The service's storage: a write engine and a read engine (the same one on PostgreSQL)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self._writer_turns: WriterTurns | None = None
        if self.sqlite:
            self.engine = _make_sqlite_engine(url, immediate=True)
            self.read_engine = _make_sqlite_engine(url, immediate=False)
            database_file = make_url(url).database
            if database_file and database_file != ":memory:":
                private_database_file(database_file)
                self._writer_turns = WriterTurns(database_file)
        else:
            self.engine = create_async_engine(
                url,
                pool_size=pool_size,
                max_overflow=pool_size,
                # Plan each statement for its own parameters. asyncpg prepares statements, and
                # PostgreSQL reuses a prepared statement's generic plan, made while the scans
                # table was small, until the table is next analysed: after an outage, uploads
                # grow it by the hundred thousand, and every lookup became a full scan.
                connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
            )
            # Many rows in one INSERT ... VALUES (...), (...) statement, as psycopg2's dialect does:
            # asyncpg's executemany runs one statement per row (a group of scans, a batch, a
            # bulk issue), and PostgreSQL pays its per-statement cost for every row.
            self.engine.dialect.use_insertmanyvalues_wo_returning = True
            self.read_engine = self.engine
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A write unit of work: commits on success, rolls back on any error."""
        async with contextlib.AsyncExitStack() as stack:
            if self._writer_turns is not None:
                await stack.enter_async_context(self._writer_turns.turn())
            session = await stack.enter_async_context(self._sessions())
            await stack.enter_async_context(session.begin())
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        if self._writer_turns is not None:
            self._writer_turns.close()

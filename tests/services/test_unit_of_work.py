"""The unit of work: what a committed change means for the worker follows its commit, never a
rollback, and a write that lost a race runs once more. On each configured backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.engine import Database
from admission.db.models import Device
from admission.domain.errors import ConflictError
from admission.services import feed
from admission.services.unit_of_work import UnitOfWork, lost_a_race

pytestmark = pytest.mark.anyio


async def test_feed_readers_are_woken_once_the_change_is_committed(database_url: str) -> None:
    db = Database(database_url)
    woken: list[str] = []
    uow = UnitOfWork(db, {"feed_grew": lambda: woken.append("feed")})

    async def append(session: AsyncSession) -> None:
        await feed.emit(session, "notice", "1", {"id": 1})
        assert woken == []  # not yet: the change is not committed

    try:
        await uow.write(append)
        assert woken == ["feed"]
        assert await uow.read(feed.latest_seq) == 1
    finally:
        await db.dispose()


async def test_a_rolled_back_change_wakes_nobody(database_url: str) -> None:
    db = Database(database_url)
    woken: list[str] = []
    uow = UnitOfWork(db, {"feed_grew": lambda: woken.append("feed")})

    async def append_then_refuse(session: AsyncSession) -> None:
        await feed.emit(session, "notice", "1", {"id": 1})
        raise ConflictError("refused after appending")

    try:
        with pytest.raises(ConflictError):
            await uow.write(append_then_refuse)
        assert woken == []
        assert await uow.read(feed.latest_seq) == 0
    finally:
        await db.dispose()


async def test_a_write_that_lost_a_race_runs_again_and_sees_the_winner(database_url: str) -> None:
    db = Database(database_url)
    uow = UnitOfWork(db)
    attempts: list[int] = []

    async def add_gate_pc(session: AsyncSession, name: str) -> str:
        # The first attempt misses the row a concurrent writer committed a moment earlier.
        attempts.append(1)
        if len(attempts) > 1 and await session.scalar(select(Device.id).where(Device.name == name)):
            return "found"
        session.add(Device(name=name, role="gate", created_at=datetime.now(UTC)))
        await session.flush()
        return "added"

    try:
        assert await uow.write(add_gate_pc, "gate-pc") == "added"
        attempts.clear()
        assert await uow.write(add_gate_pc, "gate-pc") == "found"
        assert len(attempts) == 2
    finally:
        await db.dispose()


async def test_a_write_runs_at_most_twice_and_other_failures_once(database_url: str) -> None:
    db = Database(database_url)
    uow = UnitOfWork(db)
    attempts: list[type[Exception]] = []

    async def failing(session: AsyncSession, error: DBAPIError) -> None:
        attempts.append(type(error))
        raise error

    try:
        with pytest.raises(IntegrityError):
            await uow.write(failing, IntegrityError("INSERT", None, Exception("duplicate key")))
        assert attempts == [IntegrityError, IntegrityError]
        attempts.clear()
        with pytest.raises(OperationalError):
            await uow.write(failing, OperationalError("SELECT", None, Exception("database is locked")))
        assert attempts == [OperationalError]
    finally:
        await db.dispose()


class _SerializationFailure(Exception):
    sqlstate = "40001"


def test_serialization_failures_and_duplicate_keys_are_races() -> None:
    assert lost_a_race(IntegrityError("INSERT", None, Exception("duplicate key")))
    assert lost_a_race(DBAPIError("UPDATE", None, _SerializationFailure("could not serialize")))
    assert not lost_a_race(OperationalError("SELECT", None, Exception("database is locked")))
    assert not lost_a_race(ConflictError("sold out"))

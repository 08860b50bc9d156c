"""SQLite writers of several workers take turns through an flock (Database.session)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from admission.db.engine import Database

pytestmark = pytest.mark.anyio


async def test_two_workers_write_one_after_the_other(sqlite_url: str) -> None:
    first, second = Database(sqlite_url), Database(sqlite_url)  # two workers' own engines
    order: list[str] = []
    first_inside = asyncio.Event()
    try:

        async def hold_first() -> None:
            async with first.session() as session:
                await session.execute(text("SELECT 1"))
                first_inside.set()
                await asyncio.sleep(0.3)
                order.append("first done")

        async def then_second() -> None:
            await first_inside.wait()
            async with second.session() as session:
                order.append("second in")
                await session.execute(text("SELECT 1"))

        async with asyncio.timeout(10):
            await asyncio.gather(hold_first(), then_second())
        assert order == ["first done", "second in"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_writer_cancelled_while_waiting_leaves_no_lock_behind(sqlite_url: str) -> None:
    holder, waiter, later = Database(sqlite_url), Database(sqlite_url), Database(sqlite_url)
    try:
        async with holder.session():
            async def wait_for_a_turn() -> None:
                async with waiter.session():
                    pytest.fail("the holder still has the turn")

            waiting = asyncio.create_task(wait_for_a_turn())
            await asyncio.sleep(0.2)  # the waiter is blocked on the flock, in a thread
            waiting.cancel()
        # The holder is done; the cancelled waiter's thread got the lock and must let it go.
        with pytest.raises(asyncio.CancelledError):
            await waiting
        async with asyncio.timeout(10), later.session() as session:
            await session.execute(text("SELECT 1"))
    finally:
        for db in (holder, waiter, later):
            await db.dispose()

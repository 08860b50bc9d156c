"""The change notifier must stop when asked, whatever it was doing: a service that hangs on
shutdown cannot be restarted by its supervisor."""

from __future__ import annotations

import asyncio

import pytest

from admission.db.engine import Database
from admission.services.feed import ChangeNotifier

pytestmark = pytest.mark.anyio


async def test_stop_right_after_a_poke_returns(sqlite_url: str) -> None:
    # A request pokes the notifier just before shutdown. On Python 3.11, asyncio.wait_for
    # swallowed the cancellation when its event fired in the same loop turn, and stop() hung.
    db = Database(sqlite_url)
    try:
        for _ in range(20):
            notifier = ChangeNotifier(db, interval=5.0)
            await notifier.start()
            await asyncio.sleep(0)  # the watcher parks on its event
            notifier.poke()
            await asyncio.sleep(0)  # the event's waiter completes ...
            async with asyncio.timeout(3):  # ... in the turn the watcher is cancelled
                await notifier.stop()
    finally:
        await db.dispose()


async def test_long_poll_is_cut_short_by_cancellation(sqlite_url: str) -> None:
    # A client that hangs up cancels its long poll; the poll must end, not serve on.
    notifier = ChangeNotifier(Database(sqlite_url))
    for _ in range(20):
        waiter = asyncio.create_task(notifier.wait_beyond(cursor=0, seconds=30))
        await asyncio.sleep(0)
        notifier.latest = 1
        notifier._grown.set()
        await asyncio.sleep(0)
        if waiter.cancel():  # accepted: the poll was still running, so it must end cancelled
            with pytest.raises(asyncio.CancelledError):
                async with asyncio.timeout(3):
                    await waiter
        else:
            assert waiter.done() and waiter.exception() is None
        notifier.latest = 0
        notifier._grown = asyncio.Event()

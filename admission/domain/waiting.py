"""Waiting on asyncio events with a time limit, in a way that respects cancellation."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; True if it was set.

    Not `asyncio.wait_for`: on Python 3.11 it swallows a cancellation that arrives in the same
    loop turn as the event, so a cancelled task (a long poll whose client hung up, a watcher
    at shutdown) would carry on as if nothing had happened.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()

"""Following the change feed: pages from the store's cursor, each applied together with the
cursor that follows it (so a sync cut off anywhere resumes where it stopped), long-polling when
there is nothing new."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from admission.domain.codes import now_utc
from scanner_client.core.remote import Remote, ServerUnavailable
from scanner_client.core.snapshot import SnapshotStore

PAGE_SIZE = 5000
SNAPSHOT_PAGE_SIZE = 10_000  # the service's largest page: fewer round trips for a first snapshot
MIN_POLL_INTERVAL = 1.0  # seconds between feed polls that brought nothing

Progress = Callable[[int], None]


class FeedFollower:
    def __init__(
        self,
        store: SnapshotStore,
        remote: Remote,
        *,
        clock: Callable[[], datetime] = now_utc,
        on_page: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.remote = remote
        self.clock = clock
        self.on_page = on_page

    async def pull(self, wait: float = 0, limit: int = PAGE_SIZE, progress: Progress | None = None) -> int:
        """Fetch the feed until it has nothing more; returns the number of changes applied."""
        while True:
            # Each server numbers its own feed (a hub's is not the central service's): read the
            # one in use with that server's cursor, pinned to it for the whole pull; when it
            # fails, the next server in the list is read instead before the device goes offline.
            server = self.remote.current
            try:
                return await self._pull_from(server, wait, limit, progress)
            except ServerUnavailable:
                if not self.remote.pass_over(server):
                    raise

    async def _pull_from(self, server: int, wait: float, limit: int, progress: Progress | None) -> int:
        applied = 0
        self.store.follow_feed_of(self.remote.servers[server])
        while True:
            page = await self.remote.changes(self.store.cursor, limit=limit, wait=wait, server=server)
            self.store.apply_changes(page.changes, page.cursor, synced_at=self.clock())
            applied += len(page.changes)
            self.on_page()
            if progress:
                progress(applied)
            if not page.more:
                return applied
            wait = 0  # the rest of a backlog comes at once

    async def follow(self, wait: float) -> int:
        """One long poll and the backlog behind it."""
        started = time.monotonic()
        applied = await self.pull(wait=wait)
        # A server that answers an empty long poll at once (wait unsupported or set to 0) must
        # not be polled in a tight loop.
        idle = MIN_POLL_INTERVAL - (time.monotonic() - started)
        if not applied and idle > 0:
            await asyncio.sleep(idle)
        return applied


async def pull_snapshot(store: SnapshotStore, remote: Remote, progress: Progress | None = None) -> int:
    """Fetch the feed from the store's cursor until it has no more (since=0: the full snapshot)."""
    follower = FeedFollower(store, remote)
    if store.cursor:
        return await follower.pull(limit=SNAPSHOT_PAGE_SIZE, progress=progress)
    with store.bulk_load_tickets():
        return await follower.pull(limit=SNAPSHOT_PAGE_SIZE, progress=progress)

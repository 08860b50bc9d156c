"""The change feed: an append-only log of what gates need, read by a monotonic cursor.

A reader must never see change N+1 committed before change N, or its cursor would skip N.
SQLite serialises writers, so that holds by itself. On PostgreSQL a transaction takes a
transaction-scoped advisory lock just before it appends, and holds it until commit, so
sequence numbers are committed in order. Appending is therefore the last step of a use case.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any, cast

import msgspec
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import HUB_ONLY_KINDS, ChangeKind, ChangesPage
from admission.contract import Change as ChangeOut
from admission.db.engine import Database
from admission.db.models import Change, Venue, table_of
from admission.domain.waiting import wait_event
from admission.services.unit_of_work import after_commit

_FEED_LOCK = 7_001_001
_encoder = msgspec.json.Encoder()


async def _serialise_appends(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_FEED_LOCK})"))


async def emit(session: AsyncSession, kind: ChangeKind, key: str, data: Any) -> None:
    await emit_many(session, [(kind, key, data)])


CATALOG_KINDS: frozenset[ChangeKind] = frozenset({"venue", "template", "event", "gate"})


async def emit_many(session: AsyncSession, changes: Sequence[tuple[ChangeKind, str, Any]]) -> None:
    if not changes:
        return
    await session.flush()
    if any(kind in CATALOG_KINDS for kind, _, _ in changes):
        await session.execute(
            update(Venue).where(Venue.id == 1).values(catalog_version=Venue.catalog_version + 1)
        )
    await _serialise_appends(session)
    rows = [{"kind": k, "key": key, "data": _encoder.encode(d).decode()} for k, key, d in changes]
    await session.execute(insert(table_of(Change)), rows)  # Core: no ORM bulk layer
    after_commit(session, "feed_grew")  # readers are woken once the changes are committed


async def read_page(session: AsyncSession, since: int, limit: int, *, for_hub: bool = False) -> ChangesPage:
    """A page of the feed after `since`. Hub-only changes (devices) are left out unless a hub
    reads; the cursor moves past them all the same, so a reader never reads them again."""
    rows = (
        await session.execute(
            select(Change.seq, Change.kind, Change.key, Change.data)
            .where(Change.seq > since)
            .order_by(Change.seq)
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    changes = [
        ChangeOut(seq=seq, kind=cast(ChangeKind, kind), key=key, data=msgspec.Raw(data.encode()))
        for seq, kind, key, data in rows
        if for_hub or kind not in HUB_ONLY_KINDS
    ]
    return ChangesPage(cursor=rows[-1][0] if rows else since, more=more, changes=changes)


async def latest_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(Change.seq), 0))) or 0)


class ChangeNotifier:
    """Wakes long-polling readers when the feed grows, whichever worker wrote the change.

    Each worker polls the newest sequence number a few times a second (one indexed read),
    and its own writes wake it at once.
    """

    def __init__(self, db: Database, interval: float = 0.25) -> None:
        self._db = db
        self._interval = interval
        self._grown = asyncio.Event()
        self._poked = asyncio.Event()
        self.latest = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        async with self._db.read_session() as session:
            self.latest = await latest_seq(session)
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        # The flag, not only the cancel: a cancel that lands in the database layer's own
        # clean-up (a pooled connection's rollback) can be swallowed there, and a watcher that
        # missed it would keep the service from shutting down.
        self._stopping = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def poke(self) -> None:
        self._poked.set()

    async def _watch(self) -> None:
        while not self._stopping:
            await wait_event(self._poked, self._interval)
            self._poked.clear()
            try:
                async with self._db.read_session() as session:
                    newest = await latest_seq(session)
            except Exception:  # a busy database must not end the watcher; try again soon
                await asyncio.sleep(self._interval)
                continue
            if newest > self.latest:
                self.latest = newest
                self._grown.set()
                self._grown = asyncio.Event()

    async def wait_beyond(self, cursor: int, seconds: float) -> None:
        """Return once the feed holds a change after `cursor`, or after `seconds` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.latest <= cursor:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            await wait_event(self._grown, remaining)

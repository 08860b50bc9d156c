"""The hub's link to the central service, run in a process of its own beside the workers (one
link for the whole hub, however many workers answer the gates): it follows the central feed into
the hub's database (services/hub/mirror.py) and forwards what the hub's gates registered
(services/hub/forwarding.py) and what its tills sold (services/hub/sale_forwarding.py), each in a
loop of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from admission.db.engine import Database
from admission.services.hub.forwarding import MAX_BACKOFF, HubForwarder
from admission.services.hub.mirror import apply_page, upstream_cursor
from admission.services.hub.sale_forwarding import SaleForwarder
from admission.services.hub.upstream import Upstream, UpstreamRefused, UpstreamUnavailable

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
LONG_POLL_SECONDS = 20.0


class HubFollower:
    """Reads the central feed into the hub's database, page after page, until stopped."""

    def __init__(self, db: Database, upstream: Upstream, *, wait: float = LONG_POLL_SECONDS) -> None:
        self.db = db
        self.upstream = upstream
        self.wait = wait

    async def follow_once(self, wait: float = 0) -> int:
        """Read until the central feed has nothing more; returns the changes taken."""
        taken = 0
        while True:
            async with self.db.session() as session:  # a short write: the row, the first time
                cursor = await upstream_cursor(session, self.upstream.url)
            page = await self.upstream.changes(cursor, PAGE_SIZE, wait)
            async with self.db.session() as session:
                if await upstream_cursor(session, self.upstream.url) != cursor:
                    continue  # another reader moved it meanwhile: read again from there
                taken += await apply_page(session, page)
            if not page.more:
                return taken
            wait = 0

    async def run(self) -> None:
        backoff = 1.0
        while True:
            try:
                await self.follow_once(self.wait)
            except (UpstreamUnavailable, UpstreamRefused) as exc:
                log.warning("cannot follow the central feed: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            backoff = 1.0


async def start_following(database_url: str, upstream_url: str) -> None:
    """Before the hub serves its first gate: note where the central feed stands in its copy."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.session() as session:
            await upstream_cursor(session, upstream_url)
    finally:
        await db.dispose()


async def link_until_stopped(database_url: str, upstream_url: str, token: str) -> None:
    db = Database(database_url, pool_size=3)
    upstream = Upstream(upstream_url, token)
    try:
        await asyncio.gather(
            HubForwarder(db, upstream).run(),
            SaleForwarder(db, upstream).run(),
            HubFollower(db, upstream).run(),
        )
    finally:
        await upstream.aclose()
        await db.dispose()


def run_link(database_url: str, upstream_url: str, token: str, log_level: str) -> None:
    """The link process's body: follows and forwards until the process is stopped."""
    from admission.serving import ask_for_sigterm_when_parent_dies

    ask_for_sigterm_when_parent_dies()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s hub link: %(message)s")
    log.warning("linked to the central service at %s", upstream_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(link_until_stopped(database_url, upstream_url, token))

"""The hub's link to the central service, run in a process of its own beside the workers (one
link for the whole hub, however many workers answer the gates): it follows the central feed into
the hub's database (services/hub/mirror.py) and forwards what the hub's gates registered and
annulled (services/hub/forwarding.py, annulments.py) and what its tills sold
(services/hub/sale_forwarding.py), each in a loop of its own. Before the workers start,
`start_following` reads the whole central feed into a new hub's empty database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from admission.db.engine import Database
from admission.services.devices import announce_token_change
from admission.services.hub.forwarding import MAX_BACKOFF, HubForwarder
from admission.services.hub.mirror import (
    apply_page,
    has_caught_up,
    holds_a_venue_of_its_own,
    mark_caught_up,
    upstream_cursor,
)
from admission.services.hub.sale_forwarding import SaleForwarder
from admission.services.hub.upstream import Upstream, UpstreamRefused, UpstreamUnavailable
from admission.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
LONG_POLL_SECONDS = 20.0


class HubFollower:
    """Reads the central feed into the hub's database, page after page, until stopped. A page
    that changed devices, tokens or keys tells the hub's workers to reread them once committed
    (the data folder's tokens.changed, as a revocation at any service does)."""

    def __init__(
        self,
        db: Database,
        upstream: Upstream,
        *,
        wait: float = LONG_POLL_SECONDS,
        data_dir: Path | None = None,
    ) -> None:
        self.db = db
        self.upstream = upstream
        self.wait = wait
        announce = (lambda: announce_token_change(data_dir)) if data_dir is not None else None
        self.uow = UnitOfWork(db, {"tokens_revoked": announce} if announce else {})

    async def follow_once(self, wait: float = 0) -> int:
        """Read until the central feed has nothing more; returns the changes taken."""
        taken = 0
        while True:
            async with self.db.session() as session:  # a short write: the row, the first time
                cursor = await upstream_cursor(session, self.upstream.url)
            page = await self.upstream.changes(cursor, PAGE_SIZE, wait)
            async with self.uow.writing() as session:
                if await upstream_cursor(session, self.upstream.url) != cursor:
                    continue  # another reader moved it meanwhile: read again from there
                taken += await apply_page(session, page)
                if not page.more:
                    await mark_caught_up(session)
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
            except DBAPIError as exc:  # a page the hub's database would not take: say so, try again
                log.error("cannot apply a page of the central feed: %s", exc)
                await asyncio.sleep(MAX_BACKOFF)
                continue
            backoff = 1.0


class HubNotReady(Exception):
    """The hub cannot serve yet: its database holds a venue of its own (`own_venue`), or it
    could not read the central feed the first time (`unreachable`, with why)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


async def start_following(database_url: str, upstream_url: str, token: str, data_dir: Path) -> int:
    """Before the hub serves its first gate: the first time, read the whole central feed (the
    hub starts from an empty database); later, start at once (the link catches up beside the
    workers, and a hub whose line is down still serves). Returns the changes read now."""
    db = Database(database_url, pool_size=1)
    upstream = Upstream(upstream_url, token)
    try:
        async with db.read_session() as session:
            if await holds_a_venue_of_its_own(session):
                raise HubNotReady("own_venue")
            if await has_caught_up(session):
                return 0
        try:
            return await HubFollower(db, upstream, data_dir=data_dir).follow_once()
        except (UpstreamUnavailable, UpstreamRefused) as exc:
            raise HubNotReady("unreachable", str(exc)) from exc
    finally:
        await upstream.aclose()
        await db.dispose()


async def link_until_stopped(
    database_url: str, upstream_url: str, token: str, data_dir: Path | None = None
) -> None:
    db = Database(database_url, pool_size=3)
    upstream = Upstream(upstream_url, token)
    try:
        await asyncio.gather(
            HubForwarder(db, upstream).run(),
            SaleForwarder(db, upstream).run(),
            HubFollower(db, upstream, data_dir=data_dir).run(),
        )
    finally:
        await upstream.aclose()
        await db.dispose()


def run_link(
    database_url: str, upstream_url: str, token: str, log_level: str, data_dir: Path | None = None
) -> None:
    """The link process's body: follows and forwards until the process is stopped."""
    from admission.serving import ask_for_sigterm_when_parent_dies

    ask_for_sigterm_when_parent_dies()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s hub link: %(message)s")
    log.warning("linked to the central service at %s", upstream_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(link_until_stopped(database_url, upstream_url, token, data_dir))

"""The hub's link to the central service, run in a process of its own beside the workers (one
forwarder for the whole hub, however many workers answer the gates)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from admission.db.engine import Database
from admission.services.hub.forwarding import HubForwarder
from admission.services.hub.upstream import Upstream

log = logging.getLogger(__name__)


async def forward_until_stopped(database_url: str, upstream_url: str, token: str) -> None:
    db = Database(database_url, pool_size=2)
    upstream = Upstream(upstream_url, token)
    try:
        await HubForwarder(db, upstream).run()
    finally:
        await upstream.aclose()
        await db.dispose()


def run_link(database_url: str, upstream_url: str, token: str, log_level: str) -> None:
    """The link process's body: forwards until the process is stopped."""
    from admission.serving import ask_for_sigterm_when_parent_dies

    ask_for_sigterm_when_parent_dies()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s hub link: %(message)s")
    log.warning("forwarding this hub's passages to %s", upstream_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(forward_until_stopped(database_url, upstream_url, token))

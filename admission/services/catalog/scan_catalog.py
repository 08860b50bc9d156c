"""What judging scans needs of the catalogue, kept by each worker between transactions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.models import Event, Template, Venue
from admission.domain.model import EventWindow, GateInfo, TemplateRules
from admission.services.catalog.events import event_window
from admission.services.catalog.gates import gates_by_name
from admission.services.catalog.templates import template_data
from admission.services.catalog.venue import get_venue


class ScanCatalog(msgspec.Struct, frozen=True, kw_only=True):
    """What judging scans needs of the catalog: the venue's zone, gates, rules, event windows.

    Only values, never ORM objects: a worker keeps it across transactions, and an ORM object
    is bound to the session it was read in (a rollback there expires it, and it can no longer
    be read once that session is closed).
    """

    version: int  # the venue's catalog_version it was read at
    tz: ZoneInfo
    gates: dict[str, GateInfo]
    rules: dict[int, TemplateRules]
    events: dict[int, EventWindow]


async def catalog_version(session: AsyncSession) -> int:
    """How many catalogue changes there have been (one primary-key read)."""
    return int(await session.scalar(select(Venue.catalog_version).where(Venue.id == 1)) or 0)


async def load_scan_catalog(session: AsyncSession, version: int | None = None) -> ScanCatalog:
    if version is None:
        version = await catalog_version(session)
    templates = (await session.scalars(select(Template))).all()
    events = (await session.scalars(select(Event))).all()
    return ScanCatalog(
        version=version,
        tz=ZoneInfo((await get_venue(session)).timezone),
        gates=await gates_by_name(session),
        rules={t.id: template_data(t).rules() for t in templates},
        events={e.id: event_window(e) for e in events},
    )


class ScanCatalogCache:
    """One worker's copy of the scan catalog, reloaded only when the catalog has changed.

    The check runs in the caller's transaction, so the copy is exactly what the database
    holds for that transaction, whichever worker changed it.
    """

    def __init__(self) -> None:
        self._held: ScanCatalog | None = None

    async def current(self, session: AsyncSession) -> ScanCatalog:
        version = await catalog_version(session)
        if self._held is None or self._held.version != version:
            self._held = await load_scan_catalog(session, version)
        return self._held

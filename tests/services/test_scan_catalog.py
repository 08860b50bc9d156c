"""Each worker keeps the scan catalogue between transactions and rereads it when it changed,
whichever worker changed it: here two caches stand for two workers. On each backend."""

from __future__ import annotations

import msgspec
import pytest
from sqlalchemy import select

from admission.contract import GateIn, TemplateIn
from admission.db.engine import Database
from admission.db.models import Template
from admission.demo import DemoVenue
from admission.services import catalog
from admission.services.catalog import ScanCatalogCache

pytestmark = pytest.mark.anyio


async def test_a_change_on_one_worker_reaches_the_other_workers_copy(demo_venue: DemoVenue) -> None:
    db = Database(demo_venue.database_url)
    here, there = ScanCatalogCache(), ScanCatalogCache()
    try:
        async with db.read_session() as session:
            before = await there.current(session)
            assert await there.current(session) is before  # unchanged: no reread
        async with db.session() as session:
            day = await session.scalar(select(Template).where(Template.name == "Day ticket"))
            assert day is not None
            fields = {f: getattr(day, f) for f in TemplateIn.__struct_fields__ if hasattr(day, f)}
            changed = msgspec.convert(fields | {"max_entries": 3, "allowed_zones": ["zoo"]}, TemplateIn)
            await catalog.update_template(session, day.id, changed)
            await catalog.create_gate(session, GateIn(name="East gate", zone="zoo"))
            await here.current(session)
        async with db.read_session() as session:
            after = await there.current(session)
        assert after is not before and after.version > before.version
        assert (after.rules[day.id].max_entries, after.rules[day.id].allowed_zones) == (3, ("zoo",))
        assert "East gate" in after.gates and "East gate" not in before.gates
    finally:
        await db.dispose()


async def test_scans_and_sales_do_not_make_workers_reread_the_catalogue(demo_venue: DemoVenue) -> None:
    db = Database(demo_venue.database_url)
    cache = ScanCatalogCache()
    try:
        async with db.read_session() as session:
            held = await cache.current(session)
        async with db.session() as session:
            from admission.services.feed import emit

            await emit(session, "ticket", "1", {"serial": "1"})  # what issuing and scanning append
        async with db.read_session() as session:
            assert await cache.current(session) is held
    finally:
        await db.dispose()

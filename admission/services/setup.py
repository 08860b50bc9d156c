"""First-time set-up of a venue: schema, issuer key, venue row and the first admin token."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from admission.contract import DeviceIn, VenueIn
from admission.db.engine import Database
from admission.db.migrate import upgrade_database
from admission.db.models import Venue
from admission.domain.errors import ConflictError
from admission.services import catalog, devices, keys


class SetupResult(msgspec.Struct, kw_only=True):
    admin_token: str
    key_id: int


async def initialise(
    database_url: str, data_dir: Path, venue_name: str, timezone: str, admin_name: str = "admin"
) -> SetupResult:
    catalog.check_timezone(timezone)
    await asyncio.to_thread(upgrade_database, database_url)  # Alembic runs its own event loop
    db = Database(database_url)
    try:
        async with db.session() as session:
            if await session.get(Venue, 1) is not None:
                raise ConflictError(
                    "this database is set up already: use `admission tokens create` for another token"
                )
            await catalog.save_venue(session, VenueIn(name=venue_name, timezone=timezone))
            key_id = await keys.create_service_key(session, data_dir)
            issued = await devices.create_device(session, DeviceIn(name=admin_name, role="admin"))
    finally:
        await db.dispose()
    return SetupResult(admin_token=issued.token, key_id=key_id)

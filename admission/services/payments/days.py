"""What the day-end routines share: the till named by a manager, and the venue's day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.models import Device, Template
from admission.domain.errors import InvalidRequestError
from admission.services import catalog
from admission.services.sales.day_report import day_bounds


async def venue_day(session: AsyncSession, day: date) -> tuple[ZoneInfo, datetime, datetime]:
    """The venue's time zone and the UTC bounds of its day."""
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    start, end = day_bounds(day, tz)
    return tz, start, end


async def till_named(session: AsyncSession, name: str) -> Device:
    """A box office (till) by its device name, or a 400 naming the tills there are."""
    device = await session.scalar(select(Device).where(Device.name == name.strip()))
    if device is None or device.role not in ("box_office", "admin"):
        tills = (await session.scalars(select(Device.name).where(Device.role == "box_office"))).all()
        raise InvalidRequestError(f"no till is named {name!r}; tills: {', '.join(sorted(tills)) or 'none'}")
    return device


async def venue_currency(session: AsyncSession) -> str:
    """The currency the venue's tickets are priced in (one per venue in practice)."""
    return await session.scalar(select(Template.currency).order_by(Template.id).limit(1)) or "EUR"

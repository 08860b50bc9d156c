"""Events: a time window with doors, a capacity, and the templates sold for it."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import EventData, EventIn, EventOut
from admission.db.models import Event, Lease, event_templates
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.domain.model import EventWindow, TemplateKind
from admission.services import feed
from admission.services.catalog.templates import get_template
from admission.services.catalog.venue import require_aware


def event_window(event: Event) -> EventWindow:
    return EventWindow(
        event_id=event.id,
        name=event.name,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        doors_open_minutes=event.doors_open_minutes,
    )


async def event_data(session: AsyncSession, event: Event) -> EventData:
    ids = (
        await session.scalars(
            select(event_templates.c.template_id).where(event_templates.c.event_id == event.id)
        )
    ).all()
    return EventData(
        id=event.id,
        name=event.name,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        doors_open_minutes=event.doors_open_minutes,
        capacity=event.capacity,
        template_ids=sorted(ids),
    )


async def _link_templates(session: AsyncSession, event: Event, template_ids: list[int]) -> None:
    for template_id in template_ids:
        template = await get_template(session, template_id)
        if template.kind != TemplateKind.EVENT:
            raise InvalidRequestError(
                f"template {template.name!r} is an entry template, not an event template"
            )
    await session.execute(delete(event_templates).where(event_templates.c.event_id == event.id))
    if template_ids:
        await session.execute(
            insert(event_templates), [{"event_id": event.id, "template_id": t} for t in set(template_ids)]
        )


def _check_event(data: EventIn) -> None:
    require_aware(data.starts_at, data.ends_at)
    if data.starts_at >= data.ends_at:
        raise InvalidRequestError("an event must end after it starts")


async def leased_out(session: AsyncSession, event_id: int) -> int:
    """Seats the event's active capacity leases hold unsold: counted in `events.sold` since their
    grant, shown apart from the tickets sold."""
    unused = await session.scalar(
        select(func.coalesce(func.sum(Lease.seats - Lease.used), 0)).where(
            Lease.event_id == event_id, Lease.state == "active"
        )
    )
    return int(unused or 0)


async def event_out(session: AsyncSession, event: Event) -> EventOut:
    data = await event_data(session, event)
    leased = await leased_out(session, event.id)
    remaining = None if event.capacity is None else max(event.capacity - event.sold, 0)
    return EventOut(
        **msgspec.structs.asdict(data), sold=event.sold - leased, remaining=remaining, leased=leased
    )


async def create_event(session: AsyncSession, data: EventIn) -> EventOut:
    _check_event(data)
    event = Event(
        name=data.name,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        doors_open_minutes=data.doors_open_minutes,
        capacity=data.capacity,
        sold=0,
        created_at=datetime.now(UTC),
    )
    session.add(event)
    await session.flush()
    await _link_templates(session, event, data.template_ids)
    await feed.emit(session, "event", str(event.id), await event_data(session, event))
    return await event_out(session, event)


async def update_event(session: AsyncSession, event_id: int, data: EventIn) -> EventOut:
    _check_event(data)
    event = await get_event(session, event_id)
    if data.capacity is not None and data.capacity < event.sold:
        raise ConflictError(f"{event.sold} tickets are sold already: capacity cannot go below that")
    event.name, event.starts_at, event.ends_at = data.name, data.starts_at, data.ends_at
    event.doors_open_minutes, event.capacity = data.doors_open_minutes, data.capacity
    await _link_templates(session, event, data.template_ids)
    await feed.emit(session, "event", str(event.id), await event_data(session, event))
    return await event_out(session, event)


async def get_event(session: AsyncSession, event_id: int) -> Event:
    event = await session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"event {event_id} does not exist")
    return event


async def show_event(session: AsyncSession, event_id: int) -> EventOut:
    return await event_out(session, await get_event(session, event_id))


async def list_events(session: AsyncSession) -> list[EventOut]:
    events = (await session.scalars(select(Event).order_by(Event.starts_at))).all()
    return [await event_out(session, e) for e in events]

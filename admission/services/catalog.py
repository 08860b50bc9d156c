"""The venue's catalogue: venue settings, ticket templates, events and gates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import (
    EventData,
    EventIn,
    EventOut,
    GateData,
    GateIn,
    TemplateData,
    TemplateIn,
    VenueData,
    VenueIn,
)
from admission.db.models import Event, Gate, Template, Venue, event_templates
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.domain.model import EventWindow, GateInfo, TemplateKind, TemplateRules, ValidityMode
from admission.services import feed


def _require_aware(*moments: datetime | None) -> None:
    if any(m is not None and m.tzinfo is None for m in moments):
        raise InvalidRequestError("times must carry a UTC offset, e.g. 2026-06-01T10:00:00+02:00")


# ------------------------------------------------------------------ venue ------------


def venue_data(venue: Venue) -> VenueData:
    return VenueData(name=venue.name, timezone=venue.timezone)


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequestError(f"unknown time zone {name!r}: use an IANA name like Europe/Berlin") from exc


async def get_venue(session: AsyncSession) -> Venue:
    venue = await session.get(Venue, 1)
    if venue is None:
        raise NotFoundError("the venue is not set up: run `admission init`")
    return venue


async def show_venue(session: AsyncSession) -> VenueData:
    return venue_data(await get_venue(session))


async def save_venue(session: AsyncSession, data: VenueIn) -> VenueData:
    check_timezone(data.timezone)
    venue = await session.get(Venue, 1)
    if venue is None:
        venue = Venue(id=1, name=data.name, timezone=data.timezone, settings={})
        session.add(venue)
    venue.name, venue.timezone = data.name, data.timezone
    venue.annul_window_seconds = data.annul_window_seconds
    data_out = venue_data(venue)
    await feed.emit(session, "venue", "1", data_out)
    return data_out


# ------------------------------------------------------------------ templates --------


def template_data(t: Template) -> TemplateData:
    return TemplateData(
        id=t.id,
        name=t.name,
        kind=TemplateKind(t.kind),
        plu=t.plu,
        price_cents=t.price_cents,
        currency=t.currency,
        validity_mode=ValidityMode(t.validity_mode),
        valid_from=t.valid_from,
        valid_until=t.valid_until,
        validity_days=t.validity_days,
        allowed_zones=list(t.allowed_zones),
        allowed_gates=list(t.allowed_gates),
        max_entries=t.max_entries,
        reentry_allowed=t.reentry_allowed,
        fallback_template_id=t.fallback_template_id,
        active=t.active,
        title=t.title,
        description=t.description,
        color=t.color,
    )


async def _check_template(session: AsyncSession, data: TemplateIn, own_id: int | None) -> None:
    _require_aware(data.valid_from, data.valid_until)
    if data.valid_from and data.valid_until and data.valid_from >= data.valid_until:
        raise InvalidRequestError("valid_from must be before valid_until")
    if data.validity_mode is not ValidityMode.FIXED and not data.validity_days:
        raise InvalidRequestError(f"validity_mode {data.validity_mode} needs validity_days")
    if data.fallback_template_id is not None:
        fallback = await session.get(Template, data.fallback_template_id)
        if fallback is None or fallback.id == own_id:
            raise InvalidRequestError(f"fallback template {data.fallback_template_id} does not exist")
        if fallback.kind != TemplateKind.ENTRY:
            raise InvalidRequestError("a fallback template must be an entry (non-event) template")
    same_name = await session.scalar(select(Template.id).where(Template.name == data.name))
    if same_name is not None and same_name != own_id:
        raise ConflictError(f"a template named {data.name!r} exists already")
    if data.plu is not None:
        same_plu = await session.scalar(select(Template.id).where(Template.plu == data.plu))
        if same_plu is not None and same_plu != own_id:
            raise ConflictError(f"PLU {data.plu!r} belongs to another template already")


async def create_template(session: AsyncSession, data: TemplateIn) -> TemplateData:
    await _check_template(session, data, None)
    template = Template(**msgspec.structs.asdict(data), created_at=datetime.now(UTC))
    session.add(template)
    await session.flush()
    created = template_data(template)
    await feed.emit(session, "template", str(template.id), created)
    return created


async def update_template(session: AsyncSession, template_id: int, data: TemplateIn) -> TemplateData:
    template = await get_template(session, template_id)
    await _check_template(session, data, template_id)
    for field, value in msgspec.structs.asdict(data).items():
        setattr(template, field, value)
    updated = template_data(template)
    await feed.emit(session, "template", str(template.id), updated)
    return updated


async def get_template(session: AsyncSession, template_id: int) -> Template:
    template = await session.get(Template, template_id)
    if template is None:
        raise NotFoundError(f"template {template_id} does not exist")
    return template


async def show_template(session: AsyncSession, template_id: int) -> TemplateData:
    return template_data(await get_template(session, template_id))


async def list_templates(
    session: AsyncSession, plu: str | None = None, query: str | None = None
) -> list[TemplateData]:
    statement = select(Template).order_by(Template.id)
    if plu:
        statement = statement.where(Template.plu == plu)
    if query:
        statement = statement.where(Template.name.ilike(f"%{query}%"))
    return [template_data(t) for t in (await session.scalars(statement)).all()]


# ------------------------------------------------------------------ events -----------


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
    _require_aware(data.starts_at, data.ends_at)
    if data.starts_at >= data.ends_at:
        raise InvalidRequestError("an event must end after it starts")


async def event_out(session: AsyncSession, event: Event) -> EventOut:
    data = await event_data(session, event)
    remaining = None if event.capacity is None else max(event.capacity - event.sold, 0)
    return EventOut(**msgspec.structs.asdict(data), sold=event.sold, remaining=remaining)


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


# ------------------------------------------------------------------ gates ------------


def gate_data(gate: Gate) -> GateData:
    return GateData(
        id=gate.id, name=gate.name, zone=gate.zone, from_zone=gate.from_zone, event_id=gate.event_id
    )


async def create_gate(session: AsyncSession, data: GateIn) -> GateData:
    if await session.scalar(select(Gate.id).where(Gate.name == data.name)) is not None:
        raise ConflictError(f"gate {data.name!r} exists already")
    if data.event_id is not None:
        await get_event(session, data.event_id)
    gate = Gate(**msgspec.structs.asdict(data))
    session.add(gate)
    await session.flush()
    created = gate_data(gate)
    await feed.emit(session, "gate", str(gate.id), created)
    return created


def gate_info(gate: Gate) -> GateInfo:
    """What judging a scan needs of a gate, as a value that outlives the session it came from."""
    return GateInfo(name=gate.name, zone=gate.zone, from_zone=gate.from_zone, event_id=gate.event_id)


async def gate_by_name(session: AsyncSession, name: str) -> GateInfo:
    return known_gate(await gates_by_name(session), name)


async def gates_by_name(session: AsyncSession) -> dict[str, GateInfo]:
    return {gate.name: gate_info(gate) for gate in (await session.scalars(select(Gate))).all()}


def known_gate(gates: Mapping[str, GateInfo], name: str) -> GateInfo:
    gate = gates.get(name)
    if gate is None:
        raise InvalidRequestError(f"unknown gate {name!r}: gates are set up by an admin under /api/v1/gates")
    return gate


async def list_gates(session: AsyncSession) -> list[GateData]:
    return [gate_data(g) for g in (await session.scalars(select(Gate).order_by(Gate.id))).all()]


# ------------------------------------------------------------------ for judging scans --

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

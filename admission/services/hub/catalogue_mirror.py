"""A venue hub taking the central catalogue into its own database (docs/hub.md): the venue, the
templates (rules, fallback links, custom rules, payment and VAT fields), events and the
templates sold for them, gates, notices, and devices with their tokens' hashes and revocations.

Rows keep the centre's ids, so the feed changes the hub re-emits (services/hub/mirror.py) name
the same rows at the hub as at the centre, and a scan forwarded from the hub names the gate the
centre knows. A hub makes none of these itself (it takes its gates' writes only), so no id
it would hand out can collide with one of the centre's.

A row read at the centre after the change that brought it may link to a row made later (a
fallback template, an event's templates, a gate's event, a device's gate): a link to a row the
hub does not hold yet is left out, and the later change that made it brings the row again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import HubCatalogue, HubRow
from admission.db.models import (
    Base,
    Device,
    Event,
    Gate,
    Notice,
    Template,
    Token,
    Venue,
    event_templates,
    table_of,
)
from admission.services.hub.catalogue_pages import VENUE_LOCAL_COLUMNS
from admission.services.hub.rows import values_for


class Applied:
    """What a page's catalogue changed that the hub's workers must hear of at once."""

    def __init__(self) -> None:
        self.tokens_changed = False


async def _upsert(session: AsyncSession, model: type[Base], values: dict[str, Any], key: str = "id") -> Base:
    row = await session.get(model, values[key])
    if row is None:
        row = model(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


async def _known(session: AsyncSession, column: Any, wanted: set[int]) -> set[int]:
    if not wanted:
        return set()
    return set((await session.scalars(select(column).where(column.in_(wanted)))).all())


def _link(value: Any, known: set[int]) -> Any:
    return value if value in known else None


async def apply_catalogue(session: AsyncSession, catalogue: HubCatalogue) -> Applied:
    """Upsert the page's catalogue rows, each table after the ones it links to."""
    applied = Applied()
    if catalogue.venue is not None:
        await _upsert(
            session, Venue, values_for(table_of(Venue), catalogue.venue, leave_out=VENUE_LOCAL_COLUMNS)
        )
    await _apply_templates(session, catalogue.templates)
    await _apply_events(session, catalogue.events, catalogue.event_templates)
    gates = [values_for(table_of(Gate), row) for row in catalogue.gates]
    events = await _known(session, Event.id, {g["event_id"] for g in gates if g.get("event_id")})
    for values in gates:
        await _upsert(session, Gate, {**values, "event_id": _link(values.get("event_id"), events)})
    await session.flush()
    if catalogue.devices or catalogue.tokens:
        await _apply_devices(session, catalogue.devices, catalogue.tokens)
        applied.tokens_changed = True
    notices = [values_for(table_of(Notice), row) for row in catalogue.notices]
    authors = await _known(session, Device.id, {n["created_by"] for n in notices if n.get("created_by")})
    for values in notices:
        await _upsert(session, Notice, {**values, "created_by": _link(values.get("created_by"), authors)})
    await session.flush()
    return applied


async def _apply_templates(session: AsyncSession, rows: list[HubRow]) -> None:
    """Two steps: every template first, then the fallback links, which may point at one
    another within the page."""
    templates = [values_for(table_of(Template), row) for row in rows]
    for values in templates:
        row = await session.get(Template, values["id"])
        await _upsert(
            session,
            Template,
            {**values, "fallback_template_id": None if row is None else row.fallback_template_id},
        )
    await session.flush()
    known = await _known(
        session, Template.id, {t["fallback_template_id"] for t in templates if t.get("fallback_template_id")}
    )
    for values in templates:
        template = await session.get(Template, values["id"])
        assert template is not None
        template.fallback_template_id = _link(values.get("fallback_template_id"), known)
    await session.flush()


async def _apply_events(session: AsyncSession, rows: list[HubRow], links: list[HubRow]) -> None:
    events = [values_for(table_of(Event), row) for row in rows]
    for values in events:
        await _upsert(session, Event, values)
    await session.flush()
    if not events:
        return
    event_ids = {e["id"] for e in events}
    await session.execute(delete(event_templates).where(event_templates.c.event_id.in_(event_ids)))
    templates = await _known(session, Template.id, {int(link["template_id"]) for link in links})
    kept = [
        {"event_id": int(link["event_id"]), "template_id": int(link["template_id"])}
        for link in links
        if int(link["event_id"]) in event_ids and int(link["template_id"]) in templates
    ]
    if kept:
        await session.execute(insert(event_templates), kept)


async def _apply_devices(session: AsyncSession, devices: list[HubRow], tokens: list[HubRow]) -> None:
    rows = [values_for(table_of(Device), row) for row in devices]
    gates = await _known(session, Gate.id, {d["gate_id"] for d in rows if d.get("gate_id")})
    for values in rows:
        await _upsert(session, Device, {**values, "gate_id": _link(values.get("gate_id"), gates)})
    await session.flush()
    held = await _known(session, Device.id, {int(t["device_id"]) for t in tokens})
    for values in (values_for(table_of(Token), row) for row in tokens):
        if values["device_id"] in held:
            await _upsert(session, Token, values)
    await session.flush()

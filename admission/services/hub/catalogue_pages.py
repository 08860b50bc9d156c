"""The central service's side of a hub following its catalogue: the rows behind a page's venue,
template, event, gate, notice and device changes (contract/hub.py `HubCatalogue`).

Rows are read as they stand now, in the page's transaction, so a row may name one made after
the change that brought it (a template's fallback, an event's templates, a gate's event): the
hub leaves such a link out until the change that made it arrives, later in the feed.

Devices came on the feed with hubs (kind "device"): a hub's first page (from 0) carries every
device, so those made before are known too. A device's tokens travel as their SHA-256 hashes
with their revocations, on this page only, which the `hub` role alone reads."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import Change, HubCatalogue
from admission.db.models import Device, Event, Gate, Notice, Template, Token, Venue, event_templates
from admission.services.hub.rows import row_of

# The hub keeps its own count of catalogue changes (feed.emit_many bumps it as it re-emits them).
VENUE_LOCAL_COLUMNS = ("catalog_version",)


def _ids(changes: Sequence[Change], kind: str) -> set[int]:
    return {int(c.key) for c in changes if c.kind == kind and c.key.isdigit()}


async def catalogue_rows(session: AsyncSession, changes: Sequence[Change], *, first: bool) -> HubCatalogue:
    venue = await session.get(Venue, 1)
    template_ids, event_ids = _ids(changes, "template"), _ids(changes, "event")
    gate_ids, notice_ids, device_ids = _ids(changes, "gate"), _ids(changes, "notice"), _ids(changes, "device")
    templates = (
        (await session.scalars(select(Template).where(Template.id.in_(template_ids)))).all()
        if template_ids
        else []
    )
    events = (await session.scalars(select(Event).where(Event.id.in_(event_ids)))).all() if event_ids else []
    links = (
        (
            await session.execute(select(event_templates).where(event_templates.c.event_id.in_(event_ids)))
        ).all()
        if event_ids
        else []
    )
    gates = (await session.scalars(select(Gate).where(Gate.id.in_(gate_ids)))).all() if gate_ids else []
    notices = (
        (await session.scalars(select(Notice).where(Notice.id.in_(notice_ids)))).all() if notice_ids else []
    )
    if first:
        devices = (await session.scalars(select(Device).order_by(Device.id))).all()
    elif device_ids:
        devices = (await session.scalars(select(Device).where(Device.id.in_(device_ids)))).all()
    else:
        devices = []
    tokens = (
        (await session.scalars(select(Token).where(Token.device_id.in_([d.id for d in devices])))).all()
        if devices
        else []
    )
    return HubCatalogue(
        venue=None if venue is None else row_of(venue, leave_out=VENUE_LOCAL_COLUMNS),
        templates=[row_of(t) for t in templates],
        events=[row_of(e) for e in events],
        event_templates=[
            {"event_id": event_id, "template_id": template_id} for event_id, template_id in links
        ],
        gates=[row_of(g) for g in gates],
        devices=[row_of(d) for d in devices],
        tokens=[row_of(t) for t in tokens],
        notices=[row_of(n) for n in notices],
    )

"""Passages per gate and per ticket template (and event), in time buckets."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import PassageRow, PassagesReport, TemplateRow, TemplatesReport
from admission.db.models import Event, Scan, Template, Ticket
from admission.services.reports.buckets import Granularity, bucket_slot, make_buckets
from admission.services.reports.counting import ENTRY, EXIT, MISREAD, REFUSED, check_gate, count_if, in_scope
from admission.services.reports.periods import Period, report_heading


async def passages_report(
    session: AsyncSession, period: Period, granularity: Granularity, gate: str | None = None
) -> PassagesReport:
    """Entries, exits, refused visitors and misreads per gate and time bucket (only buckets
    with scans)."""
    await check_gate(session, gate)
    buckets = make_buckets(period, granularity)
    slot = bucket_slot(Scan.scanned_at, buckets).label("slot")
    rows = await session.execute(
        select(slot, Scan.gate, count_if(ENTRY), count_if(EXIT), count_if(REFUSED), count_if(MISREAD))
        .where(*in_scope(period, gate))
        .group_by(slot, Scan.gate)  # the slot first: rows arrive in time order, the sort is cheap
    )
    merged: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for slot_value, gate_name, *figures in rows:
        counts = merged[(buckets.index(slot_value), gate_name)]
        for position, value in enumerate(figures):
            counts[position] += int(value)
    result = [
        PassageRow(
            bucket=buckets.start(index), gate=name, entries=c[0], exits=c[1], refused=c[2], misreads=c[3]
        )
        for (index, name), c in sorted(merged.items())
    ]
    return PassagesReport(
        **report_heading("passages", period, period.tz, gate=gate, granularity=granularity), rows=result
    )


async def templates_report(
    session: AsyncSession, period: Period, granularity: Granularity | None = None, gate: str | None = None
) -> TemplatesReport:
    """Entries, exits and refusals per ticket template and event (per bucket if asked).

    Scans of codes that named no ticket (misreads) belong to no template: see `passages`.
    """
    await check_gate(session, gate)
    buckets = make_buckets(period, granularity) if granularity else None
    # Count per ticket first, then join the (far fewer) tickets: one lookup per ticket, not per scan.
    slot_key = [bucket_slot(Scan.scanned_at, buckets).label("slot")] if buckets is not None else []
    per_ticket = (
        select(
            *slot_key,
            Scan.ticket_serial,
            count_if(ENTRY).label("entries"),
            count_if(EXIT).label("exits"),
            count_if(REFUSED).label("refused"),
        )
        .where(*in_scope(period, gate), Scan.ticket_serial.is_not(None))
        .group_by(*slot_key, Scan.ticket_serial)
        .subquery()
    )
    keys: list[Any] = [Ticket.template_id, Ticket.event_id, *([per_ticket.c.slot] if buckets else [])]
    rows = await session.execute(
        select(
            *keys,
            func.sum(per_ticket.c.entries),
            func.sum(per_ticket.c.exits),
            func.sum(per_ticket.c.refused),
        )
        .join_from(per_ticket, Ticket, Ticket.serial == per_ticket.c.ticket_serial)
        .group_by(*keys)
    )
    merged: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        template_id, event_id = int(row[0]), int(row[1] or 0)
        index = buckets.index(row[2]) if buckets is not None else -1
        counts = merged[(index, template_id, event_id)]
        for position, value in enumerate(row[-3:]):
            counts[position] += int(value)
    templates = dict((await session.execute(select(Template.id, Template.name))).all())
    events = dict((await session.execute(select(Event.id, Event.name))).all())
    result = [
        TemplateRow(
            bucket=buckets.start(index) if buckets is not None else None,
            template_id=template_id,
            template=templates.get(template_id, f"template {template_id}"),
            event_id=event_id or None,
            event=events.get(event_id) if event_id else None,
            entries=c[0],
            exits=c[1],
            refused=c[2],
        )
        for (index, template_id, event_id), c in sorted(merged.items())
    ]
    return TemplatesReport(
        **report_heading("templates", period, period.tz, gate=gate, granularity=granularity), rows=result
    )

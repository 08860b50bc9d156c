"""Issuing tickets in bulk: sellable templates and events, seats reserved without
overselling, fresh random numbers, every code signed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import IssueRequest, TicketOut
from admission.db.models import Event, Template, Ticket, event_templates
from admission.domain import codes
from admission.domain.codes import SignedTicket
from admission.domain.errors import ConflictError, InvalidRequestError
from admission.domain.model import TemplateKind
from admission.domain.templates import stamp_validity
from admission.services import catalog
from admission.services.keys import KeyRing
from admission.services.tickets.records import TicketRecord, insert_tickets, ticket_out


async def reserve_capacity(session: AsyncSession, event_id: int, count: int) -> None:
    """Take `count` seats in one conditional statement, so concurrent sales never oversell."""
    reserved = await session.scalar(
        update(Event)
        .where(Event.id == event_id, (Event.capacity.is_(None)) | (Event.sold + count <= Event.capacity))
        .values(sold=Event.sold + count)
        .returning(Event.sold)
    )
    if reserved is None:
        event = await catalog.get_event(session, event_id)
        left = max((event.capacity or 0) - event.sold, 0)
        raise ConflictError(f"{event.name} is sold out for {count} more: {left} left")


async def check_sellable(session: AsyncSession, template: Template, event_id: int | None) -> Event | None:
    if not template.active:
        raise InvalidRequestError(f"template {template.name!r} is not active")
    if template.kind == TemplateKind.ENTRY:
        if event_id is not None:
            raise InvalidRequestError(f"{template.name!r} is an entry template: it is not sold for an event")
        return None
    if event_id is None:
        raise InvalidRequestError(f"{template.name!r} is an event template: name the event")
    event = await catalog.get_event(session, event_id)
    linked = await session.scalar(
        select(event_templates.c.template_id).where(
            event_templates.c.event_id == event_id, event_templates.c.template_id == template.id
        )
    )
    if linked is None:
        raise InvalidRequestError(f"{template.name!r} is not sold for {event.name!r}")
    return event


async def fresh_numbers(session: AsyncSession, count: int) -> list[str]:
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = {codes.new_ticket_number() for _ in range(count - len(numbers))} - numbers
        for chunk in _chunks(sorted(wanted), 5000):
            taken = set((await session.scalars(select(Ticket.number).where(Ticket.number.in_(chunk)))).all())
            numbers.update(n for n in chunk if n not in taken)
    return list(numbers)[:count]


async def hash_numbers(session: AsyncSession, numbers: Sequence[str]) -> list[str | None]:
    """The numbers as gates will keep them: deliberately slow, so hashed off the event loop."""
    hasher = await catalog.number_hasher(session)
    return await asyncio.to_thread(hasher.many, numbers)


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def issue_tickets(
    session: AsyncSession,
    ring: KeyRing,
    tz: ZoneInfo,
    request: IssueRequest,
    *,
    issued_by: int | None = None,
    sale_id: int | None = None,
) -> list[TicketRecord]:
    template = await catalog.get_template(session, request.template_id)
    event = await check_sellable(session, template, request.event_id)
    if event is not None:
        await reserve_capacity(session, event.id, request.count)
    now = datetime.now(UTC)
    valid_from, valid_until = stamp_validity(catalog.template_data(template).rules(), now, tz)
    issued = []
    numbers = await fresh_numbers(session, request.count)
    hashes = await hash_numbers(session, numbers)
    for number, number_hash in zip(numbers, hashes, strict=True):
        serial = codes.new_serial()
        signed = SignedTicket(
            key_id=ring.signing_key_id,
            serial=serial,
            template_id=template.id,
            event_id=request.event_id,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        issued.append(
            TicketRecord(
                serial=serial,
                number=number,
                number_hash=number_hash,
                code=codes.sign_ticket(signed, ring.signing_key),
                key_id=ring.signing_key_id,
                template_id=template.id,
                event_id=request.event_id,
                issued_at=now,
                valid_from=valid_from,
                valid_until=valid_until,
                issued_by=issued_by,
                sale_id=sale_id,
                payment_state=request.payment_state,
                attributes=dict(request.attributes) or None,
            )
        )
    await insert_tickets(session, issued)
    return issued


async def issue(
    session: AsyncSession, ring: KeyRing, request: IssueRequest, *, issued_by: int | None
) -> list[TicketOut]:
    """Issue tickets at the counter, stamped in the venue's time zone."""
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    issued = await issue_tickets(session, ring, tz, request, issued_by=issued_by)
    return [ticket_out(t) for t in issued]

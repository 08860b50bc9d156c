"""Resolving a scanned code to its ticket and the facts the rules read of it; a code sold
offline and not seen before is verified and registered on the way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission import contract
from admission.db.models import Event, Scan, Template, Ticket
from admission.domain import codes
from admission.domain.codes import CodeError
from admission.domain.model import AdmittedPassage, Direction, EventWindow, TemplateRules, TicketFacts
from admission.services import catalog
from admission.services.keys import KeyRing
from admission.services.tickets.records import TicketFields, TicketRecord, insert_tickets

CODE_MISMATCH = "code does not match the ticket issued with this serial: forged or damaged"


class Resolved(msgspec.Struct, kw_only=True):
    ticket: Ticket | None = None
    facts: TicketFacts | None = None
    error: str | None = None


async def find_ticket(session: AsyncSession, raw: str, *, lock: bool = False) -> Ticket | None:
    """The ticket a scanned string names (number or signed code), checked against what was issued."""
    scanned = codes.classify_scan(raw)
    if scanned.kind == "number":
        statement = select(Ticket).where(Ticket.number == scanned.value)
    else:
        serial = codes.read_signed_code(scanned.value)[0].serial
        statement = select(Ticket).where(Ticket.serial == serial)
    if lock:
        statement = statement.with_for_update()
    ticket = await session.scalar(statement)
    if ticket is not None and scanned.kind == "signed" and ticket.code != scanned.value:
        raise CodeError(CODE_MISMATCH)
    return ticket


async def resolve_code(
    session: AsyncSession, ring: KeyRing, raw: str, *, lock: bool, at: datetime | None = None
) -> Resolved:
    """Ticket and verdict facts for a scanned string (scanned at `at`, default now), or the reason
    it is invalid.

    A signed code whose ticket the service has not seen yet (sold offline by a box-office
    device) is verified against the issuer keys and then registered, so it counts from now on:
    only if its till's key vouched for it when it was issued (certified, not yet revoked).
    """
    try:
        ticket = await find_ticket(session, raw, lock=lock)
        if ticket is None:
            scanned = codes.classify_scan(raw)
            if scanned.kind == "number":
                return Resolved(error="Unknown ticket number")
            ticket = await _register_offline_sold(session, ring, scanned.value, at or datetime.now(UTC))
    except CodeError as exc:
        return Resolved(error=f"Not a valid ticket: {exc}")
    if ticket is None:
        return Resolved(error="Not a valid ticket: its template or event is unknown")
    return Resolved(ticket=ticket, facts=await ticket_facts(session, ticket))


async def _register_offline_sold(
    session: AsyncSession, ring: KeyRing, code: str, at: datetime
) -> Ticket | None:
    signed = await ring.verify(session, code, at)
    template = await session.get(Template, signed.template_id)
    if template is None or (
        signed.event_id is not None and await session.get(Event, signed.event_id) is None
    ):
        return None
    ticket = TicketRecord(
        serial=signed.serial,
        number=None,
        code=code,
        key_id=signed.key_id,
        template_id=signed.template_id,
        event_id=signed.event_id,
        issued_at=datetime.now(UTC),
        valid_from=signed.valid_from,
        valid_until=signed.valid_until,
        issued_by=None,
        sale_id=None,
    )
    await insert_tickets(session, [ticket])
    return await session.get(Ticket, signed.serial)


def facts_of(ticket: TicketFields, rules: TemplateRules, event: EventWindow | None) -> TicketFacts:
    """What the verdict rules read of a ticket, given its template's rules and event window."""
    return contract.ticket_facts(ticket, ticket.serial, rules, event)


async def ticket_facts(session: AsyncSession, ticket: Ticket) -> TicketFacts:
    template = await catalog.get_template(session, ticket.template_id)
    event = await session.get(Event, ticket.event_id) if ticket.event_id else None
    rules = catalog.template_data(template).rules()
    return facts_of(ticket, rules, catalog.event_window(event) if event else None)


async def admitted_passages(session: AsyncSession, serial: int) -> list[AdmittedPassage]:
    rows = await session.execute(
        select(Scan.gate, Scan.zone, Scan.from_zone, Scan.direction, Scan.scanned_at).where(
            Scan.ticket_serial == serial, Scan.verdict == "admit", Scan.annulled_at.is_(None)
        )
    )
    return [
        AdmittedPassage(gate_name=g, zone=z, from_zone=f, direction=Direction(d), scanned_at=at)
        for g, z, f, d, at in rows
    ]

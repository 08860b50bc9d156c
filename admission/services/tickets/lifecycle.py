"""A ticket after it was issued: looked up with its scans, marked paid, voided, reissued when lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import PassageOut, TicketDetail, TicketOut
from admission.db.models import Event, Scan, Ticket
from admission.domain import codes
from admission.domain.codes import CodeError, SignedTicket
from admission.domain.errors import (
    ConflictError,
    UnknownTicketError,
    UnreadableTicketError,
)
from admission.domain.model import AdmittedPassage, TicketFacts
from admission.domain.rules import first_use, replay_zone
from admission.services import catalog, feed
from admission.services.keys import KeyRing
from admission.services.tickets.issuing import fresh_numbers, hash_numbers
from admission.services.tickets.records import TicketRecord, insert_tickets, ticket_data, ticket_out
from admission.services.tickets.resolving import admitted_passages, find_ticket, ticket_facts


async def get_ticket(session: AsyncSession, ref: str, *, lock: bool = False) -> Ticket:
    try:
        ticket = await find_ticket(session, ref, lock=lock)
    except CodeError as exc:
        raise UnreadableTicketError(f"{exc}: give a 13-digit ticket number or a signed code") from exc
    if ticket is None:
        raise UnknownTicketError("no ticket with this number or code")
    return ticket


async def look_up(session: AsyncSession, ref: str) -> TicketDetail:
    """A ticket by number or code, with every scan of it."""
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    return await ticket_detail(session, await get_ticket(session, ref), tz)


async def ticket_detail(session: AsyncSession, ticket: Ticket, tz: ZoneInfo) -> TicketDetail:
    template = await catalog.get_template(session, ticket.template_id)
    scans = (
        await session.scalars(
            select(Scan).where(Scan.ticket_serial == ticket.serial).order_by(Scan.scanned_at)
        )
    ).all()
    facts = await ticket_facts(session, ticket)
    passages = await admitted_passages(session, ticket.serial)
    return TicketDetail(
        **msgspec.structs.asdict(ticket_out(ticket)),
        template=template.name,
        void_reason=ticket.void_reason,
        replaced_by=str(ticket.replaced_by) if ticket.replaced_by else None,
        reissued_from=str(ticket.reissued_from) if ticket.reissued_from else None,
        entries_carried=ticket.entries_carried,
        entries_left=entries_left(facts, passages, tz),
        passages=[
            PassageOut(
                nonce=s.nonce,
                gate=s.gate,
                zone=s.zone,
                direction=s.direction,
                verdict=s.verdict,
                reason=s.reason,
                message=s.message,
                source=s.source,
                scanned_at=s.scanned_at,
                received_at=s.received_at,
                conflict=s.conflict,
                annulled=s.annulled_at is not None,
            )
            for s in scans
        ],
    )


def entries_used(facts: TicketFacts, passages: Sequence[AdmittedPassage], tz: ZoneInfo) -> int:
    """Entries used so far: the most-entered zone counts (entries are per zone)."""
    zones = {p.zone for p in passages} | {p.from_zone for p in passages if p.from_zone}
    used = [replay_zone(passages, z, facts.template.reentry_allowed, tz).entries_used for z in zones]
    return facts.entries_carried + max(used, default=0)


def entries_left(facts: TicketFacts, passages: Sequence[AdmittedPassage], tz: ZoneInfo) -> int | None:
    limit = facts.template.max_entries
    return None if limit is None else max(limit - entries_used(facts, passages, tz), 0)


async def void_ticket(session: AsyncSession, ref: str, reason: str) -> TicketOut:
    ticket = await get_ticket(session, ref, lock=True)
    if ticket.status == "void":
        raise ConflictError(f"ticket is void already: {ticket.void_reason}")
    ticket.status, ticket.void_reason, ticket.voided_at = "void", reason, datetime.now(UTC)
    if ticket.event_id is not None:  # a refunded seat can be sold again
        await session.execute(update(Event).where(Event.id == ticket.event_id).values(sold=Event.sold - 1))
    await feed.emit(session, "ticket", str(ticket.serial), ticket_data(ticket))
    return ticket_out(ticket)


async def mark_paid(session: AsyncSession, ref: str, paid_by: int | None) -> TicketOut:
    """The payment of a ticket issued unpaid arrived. The feed tells the gates, which admit it
    from their next read of it (within seconds while they are online, as they learn of voids)."""
    ticket = await get_ticket(session, ref, lock=True)
    if ticket.status == "void":
        raise ConflictError(f"ticket is void ({ticket.void_reason}): it cannot be marked paid")
    if ticket.payment_state != "pending":
        if ticket.paid_at is None:
            raise ConflictError("ticket is paid already (paid when it was issued)")
        venue = await catalog.get_venue(session)
        at = ticket.paid_at.astimezone(ZoneInfo(venue.timezone))
        raise ConflictError(f"ticket is paid already (marked paid {at:%Y-%m-%d %H:%M} {venue.timezone})")
    ticket.payment_state, ticket.paid_at, ticket.paid_by = "paid", datetime.now(UTC), paid_by
    await feed.emit(session, "ticket", str(ticket.serial), ticket_data(ticket))
    return ticket_out(ticket)


async def reissue_ticket(session: AsyncSession, ring: KeyRing, ref: str, issued_by: int | None) -> TicketOut:
    """A lost ticket or card: a new ticket carries over what is left, the old one is void for good."""
    old = await get_ticket(session, ref, lock=True)
    if old.status == "void":
        raise ConflictError(f"ticket is void ({old.void_reason}): it cannot be reissued")
    facts = await ticket_facts(session, old)
    passages = await admitted_passages(session, old.serial)
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    number = (await fresh_numbers(session, 1))[0]
    number_hash = (await hash_numbers(session, [number]))[0]
    serial = codes.new_serial()
    signed = SignedTicket(
        key_id=ring.signing_key_id,
        serial=serial,
        template_id=old.template_id,
        event_id=old.event_id,
        valid_from=old.valid_from,
        valid_until=old.valid_until,
    )
    new = TicketRecord(
        serial=serial,
        number=number,
        number_hash=number_hash,
        code=codes.sign_ticket(signed, ring.signing_key),
        key_id=ring.signing_key_id,
        template_id=old.template_id,
        event_id=old.event_id,
        issued_at=datetime.now(UTC),
        valid_from=old.valid_from,
        valid_until=old.valid_until,
        reissued_from=old.serial,
        entries_carried=entries_used(facts, passages, tz),
        first_used_at=first_use(facts, passages),
        issued_by=issued_by,
        sale_id=old.sale_id,
        # A lost ticket not yet paid for stays so: replacing it is no payment.
        payment_state=old.payment_state,
        paid_at=old.paid_at,
        paid_by=old.paid_by,
        attributes=old.attributes,  # an age group stays with the holder
    )
    old.status, old.voided_at = "void", datetime.now(UTC)
    old.void_reason, old.replaced_by = f"replaced by the ticket ending in {number[-4:]}", serial
    await feed.emit(session, "ticket", str(old.serial), ticket_data(old))
    await insert_tickets(session, [new])
    return ticket_out(new)

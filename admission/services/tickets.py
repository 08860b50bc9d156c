"""Tickets: issue (in bulk), resolve a scanned code, look up, void and reissue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admission import contract
from admission.contract import IssueRequest, PassageOut, TicketData, TicketDetail, TicketOut
from admission.db.models import Event, Scan, Template, Ticket, event_templates, table_of
from admission.domain import codes
from admission.domain.codes import CodeError, SignedTicket
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.domain.model import (
    AdmittedPassage,
    Direction,
    EventWindow,
    TemplateKind,
    TemplateRules,
    TicketFacts,
)
from admission.domain.rules import first_use, replay_zone
from admission.domain.templates import stamp_validity
from admission.services import catalog, feed
from admission.services.keys import KeyRing


class TicketFields(contract.TicketState, Protocol):
    """What the API and the feed say of a ticket: a stored Ticket or a plain TicketRecord."""

    @property
    def serial(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def template_id(self) -> int: ...
    @property
    def event_id(self) -> int | None: ...
    @property
    def issued_at(self) -> datetime: ...


class TicketRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket's row as plain data: bulk issue makes ten thousand and a batch of scans reads
    thousands, where ORM objects would cost more than the rest of the work."""

    serial: int
    number: str | None
    code: str
    key_id: int
    template_id: int
    event_id: int | None
    issued_at: datetime
    valid_from: datetime | None
    valid_until: datetime | None
    issued_by: int | None
    sale_id: int | None
    status: str = "valid"
    void_reason: str | None = None
    voided_at: datetime | None = None
    replaced_by: int | None = None
    reissued_from: int | None = None
    entries_carried: int = 0
    first_used_at: datetime | None = None

    @classmethod
    def columns(cls) -> list[Any]:
        return [table_of(Ticket).c[name] for name in cls.__struct_fields__]


def ticket_out(t: TicketFields) -> TicketOut:
    return TicketOut(
        serial=str(t.serial),
        number=t.number,
        code=t.code,
        template_id=t.template_id,
        event_id=t.event_id,
        valid_from=t.valid_from,
        valid_until=t.valid_until,
        status="void" if t.status == "void" else "valid",
        issued_at=t.issued_at,
    )


def ticket_data(t: TicketFields) -> TicketData:
    return TicketData(
        serial=str(t.serial),
        number=t.number,
        template_id=t.template_id,
        event_id=t.event_id,
        valid_from=t.valid_from,
        valid_until=t.valid_until,
        status="void" if t.status == "void" else "valid",
        void_reason=t.void_reason,
        entries_carried=t.entries_carried,
        first_used_at=t.first_used_at,
    )


# ------------------------------------------------------------------ issuing ----------


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


async def _fresh_numbers(session: AsyncSession, count: int) -> list[str]:
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = {codes.new_ticket_number() for _ in range(count - len(numbers))} - numbers
        for chunk in _chunks(sorted(wanted), 5000):
            taken = set((await session.scalars(select(Ticket.number).where(Ticket.number.in_(chunk)))).all())
            numbers.update(n for n in chunk if n not in taken)
    return list(numbers)[:count]


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
    for number in await _fresh_numbers(session, request.count):
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
                code=codes.sign_ticket(signed, ring.signing_key),
                key_id=ring.signing_key_id,
                template_id=template.id,
                event_id=request.event_id,
                issued_at=now,
                valid_from=valid_from,
                valid_until=valid_until,
                issued_by=issued_by,
                sale_id=sale_id,
            )
        )
    await _insert_tickets(session, issued)
    return issued


async def issue(
    session: AsyncSession, ring: KeyRing, request: IssueRequest, *, issued_by: int | None
) -> list[TicketOut]:
    """Issue tickets at the counter, stamped in the venue's time zone."""
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    issued = await issue_tickets(session, ring, tz, request, issued_by=issued_by)
    return [ticket_out(t) for t in issued]


async def _insert_tickets(session: AsyncSession, records: Sequence[TicketRecord]) -> None:
    """Store new tickets and put them on the feed, the gates' way of learning of them."""
    await session.execute(insert(table_of(Ticket)), [msgspec.structs.asdict(t) for t in records])
    await feed.emit_many(session, [("ticket", str(t.serial), ticket_data(t)) for t in records])


# ------------------------------------------------------------------ resolving --------


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


async def resolve_code(session: AsyncSession, ring: KeyRing, raw: str, *, lock: bool) -> Resolved:
    """Ticket and verdict facts for a scanned string, or the reason it is invalid.

    A signed code whose ticket the service has not seen yet (sold offline by a box-office
    device) is verified against the issuer keys and then registered, so it counts from now on.
    """
    try:
        ticket = await find_ticket(session, raw, lock=lock)
        if ticket is None:
            scanned = codes.classify_scan(raw)
            if scanned.kind == "number":
                return Resolved(error="Unknown ticket number")
            ticket = await _register_offline_sold(session, ring, scanned.value)
    except CodeError as exc:
        return Resolved(error=f"Not a valid ticket: {exc}")
    if ticket is None:
        return Resolved(error="Not a valid ticket: its template or event is unknown")
    return Resolved(ticket=ticket, facts=await ticket_facts(session, ticket))


async def _register_offline_sold(session: AsyncSession, ring: KeyRing, code: str) -> Ticket | None:
    try:
        signed = codes.verify_signed_code(code, ring.public)
    except CodeError:
        await ring.reload_public(session)  # a device enrolled after this worker started
        signed = codes.verify_signed_code(code, ring.public)
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
    await _insert_tickets(session, [ticket])
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


# ------------------------------------------------------------------ lifecycle --------


async def get_ticket(session: AsyncSession, ref: str, *, lock: bool = False) -> Ticket:
    try:
        ticket = await find_ticket(session, ref, lock=lock)
    except CodeError as exc:
        raise InvalidRequestError(f"{exc}: give a 13-digit ticket number or a signed code") from exc
    if ticket is None:
        raise NotFoundError("no ticket with this number or code")
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


async def reissue_ticket(
    session: AsyncSession, ring: KeyRing, ref: str, issued_by: int | None
) -> TicketOut:
    """A lost ticket or card: a new ticket carries over what is left, the old one is void for good."""
    old = await get_ticket(session, ref, lock=True)
    if old.status == "void":
        raise ConflictError(f"ticket is void ({old.void_reason}): it cannot be reissued")
    facts = await ticket_facts(session, old)
    passages = await admitted_passages(session, old.serial)
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    number = (await _fresh_numbers(session, 1))[0]
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
    )
    old.status, old.voided_at = "void", datetime.now(UTC)
    old.void_reason, old.replaced_by = f"replaced by ticket {codes.format_ticket_number(number)}", serial
    await feed.emit(session, "ticket", str(old.serial), ticket_data(old))
    await _insert_tickets(session, [new])
    return ticket_out(new)

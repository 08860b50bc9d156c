"""A sale an offline till made, posted later.

The till has already sold and handed out tickets it signed with its own key, and gates
may have admitted them. The service records that fact: it checks that the codes are
genuine and this device's, that they match the lines, and that the payment was one the
till may take offline, and links them to the sale (a gate that met a ticket first has
registered it already). Event tickets a till sold within a capacity lease count against that lease
(`services.leases`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SaleIn
from admission.db.models import IssuerKey, Sale, Ticket
from admission.domain import certificates, codes, tenders
from admission.domain.certificates import KeyStanding
from admission.domain.codes import CodeError, SignedTicket
from admission.domain.errors import ConflictError, InvalidRequestError
from admission.domain.model import TemplateKind
from admission.domain.payments import PaymentConfig
from admission.services import cards, feed, keys, leases, tickets
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.sales.invoices import add_invoice
from admission.services.sales.lines import PricedLine, card_brand, new_sale, priced_lines
from admission.services.sales.tender_lines import add_tenders

# A till's clock may run a little fast; a sale dated further ahead is a broken clock or a forgery.
CLOCK_TOLERANCE = timedelta(minutes=10)


async def record_offline(
    session: AsyncSession,
    who: Principal,
    data: SaleIn,
    config: PaymentConfig,
    ring: KeyRing,
    *,
    forwarded_by: Principal | None = None,
) -> Sale:
    """`forwarded_by`: the venue hub that took the sale from the till and forwards it here (None:
    the till posted it itself); its leases cover the sale."""
    sold_at = _offline_time(data.sold_at)
    priced = await priced_lines(session, data)
    for number, line in enumerate(priced, 1):
        if (line.template.kind == TemplateKind.EVENT) != (line.event is not None):
            kind = "event ticket: name its event" if line.event is None else "entry ticket: it names no event"
            raise InvalidRequestError(f"line {number}: {line.template.name!r} is an {kind}")
    total = sum(p.total_cents for p in priced)
    left = tenders.left_after_cards([part.amount_cents for part in data.stored_value], total)
    tenders.check_tenders(config, data.all_tenders(), left, offline=True)
    signed = await _verified_codes(session, who, data.tickets, sold_at)
    _check_codes_match_lines(signed, priced)
    sale = new_sale(who, data, priced, sold_at, card_brand(data.payment))
    session.add(sale)
    await session.flush()
    tender_lines = tenders.tender_lines(data.all_tenders(), left)
    add_tenders(session, sale, tender_lines)
    add_invoice(session, sale, data, tender_lines)
    await _register_offline_tickets(session, sale, who, signed)
    seats = Counter[int]()
    for line in priced:
        if line.event is not None:
            seats[line.event.id] += line.quantity
    if seats:
        await leases.count_offline_seats(session, sale, who, seats, forwarded_by=forwarded_by)
    if data.stored_value:
        await cards.pay_for_sale(session, ring, who, data.nonce, data.stored_value, offline_at=sold_at)
    return sale


def _offline_time(sold_at: datetime | None) -> datetime:
    if sold_at is None:
        raise InvalidRequestError("an offline sale needs sold_at: when the till sold it")
    if sold_at.tzinfo is None:
        raise InvalidRequestError("sold_at must carry a UTC offset")
    if sold_at > datetime.now(UTC) + CLOCK_TOLERANCE:
        raise InvalidRequestError("sold_at lies in the future: check the till's clock")
    return sold_at


async def _verified_codes(
    session: AsyncSession, who: Principal, raw_codes: Sequence[str], sold_at: datetime
) -> dict[str, SignedTicket]:
    """Each code verified with the posting device's own keys, issued within the key's certificate
    (a code that does not say when it was issued counts as issued at `sold_at`): code -> what it
    states."""
    own_keys = await _device_keys(session, who.device_id)
    if not own_keys:
        raise InvalidRequestError("this device has no signing key: enroll it as a box office first")
    signed: dict[str, SignedTicket] = {}
    for raw in raw_codes:
        try:
            code = codes.classify_scan(raw)
            if code.kind != "signed":
                raise CodeError("a ticket number is not a signed code")
            ticket = certificates.verify_code(code.value, own_keys, sold_at)
        except CodeError as exc:
            raise InvalidRequestError(f"ticket code {raw[:12]}…: {exc}") from exc
        if code.value in signed:
            raise InvalidRequestError(f"ticket code {raw[:12]}… is listed twice")
        signed[code.value] = ticket
    return signed


async def _device_keys(session: AsyncSession, device_id: int) -> dict[int, KeyStanding]:
    rows = await session.scalars(select(IssuerKey).where(IssuerKey.device_id == device_id))
    return {r.key_id: keys.standing(r) for r in rows}


def _check_codes_match_lines(signed: dict[str, SignedTicket], priced: Sequence[PricedLine]) -> None:
    wanted = Counter[tuple[int, int | None]]()
    for line in priced:
        wanted[line.template.id, line.event.id if line.event else None] += line.quantity
    got = Counter((t.template_id, t.event_id) for t in signed.values())
    if got != wanted:
        raise InvalidRequestError(
            f"the ticket codes do not match the lines: lines sell {dict(wanted)} per (template, event), "
            f"codes carry {dict(got)}"
        )


async def _register_offline_tickets(
    session: AsyncSession, sale: Sale, who: Principal, signed: dict[str, SignedTicket]
) -> None:
    """Insert the sale's tickets, or link those a gate registered already when it met them."""
    fresh: list[Ticket] = []
    for code, facts in signed.items():
        known = await session.get(Ticket, facts.serial, with_for_update=True)
        if known is not None:
            if known.code != code:
                raise InvalidRequestError(f"serial {facts.serial} belongs to another ticket: forged code")
            if known.sale_id is not None:
                raise ConflictError(f"ticket {facts.serial} belongs to sale {known.sale_id} already")
            known.sale_id, known.issued_by = sale.id, who.device_id
            continue
        fresh.append(
            Ticket(
                serial=facts.serial,
                number=None,  # offline-sold tickets carry only their signed code (QR)
                code=code,
                key_id=facts.key_id,
                template_id=facts.template_id,
                event_id=facts.event_id,
                issued_at=sale.sold_at,
                valid_from=facts.valid_from,
                valid_until=facts.valid_until,
                status="valid",
                entries_carried=0,
                issued_by=who.device_id,
                sale_id=sale.id,
            )
        )
    session.add_all(fresh)
    await feed.emit_many(session, [("ticket", str(t.serial), tickets.ticket_data(t)) for t in fresh])

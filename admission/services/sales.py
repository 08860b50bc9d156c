"""Box-office sales: online (capacity reserved atomically, all or nothing), offline sales posted
later (idempotent by nonce, tickets registered from their device-signed codes), refunds, the
end-of-day report and the box office's signing key.

Online, a sale is one transaction: payment checked, the sale row written, every line's tickets
issued through `tickets.issue_tickets` (whose conditional UPDATE makes overselling impossible).
Any error rolls the whole sale back: nothing half-done.

Offline, the till has already sold and handed out tickets it signed with its own key, and gates
may have admitted them. The service records that fact: it checks that the codes are genuine and
this device's, that they match the lines, and that the payment was one the till may take offline,
and links them to the sale (a gate that met a ticket first has registered it already).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import (
    MAX_SALE_TICKETS,
    DeviceDay,
    IssueRequest,
    MethodTotals,
    OfflineSaleLine,
    RefundIn,
    SaleIn,
    SaleLineIn,
    SaleLineOut,
    SaleOut,
    SalesReport,
    SigningKeyIn,
    SigningKeyOut,
)
from admission.db.models import Device, Event, IssuerKey, Sale, Template, Ticket, Venue
from admission.domain import codes, payments
from admission.domain.codes import CodeError, SignedTicket
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.domain.model import TemplateKind
from admission.domain.payments import PaymentConfig, PaymentIn
from admission.services import catalog, feed, keys, tickets
from admission.services.devices import Principal
from admission.services.keys import KeyRing

# A till's clock may run a little fast; a sale dated further ahead is a broken clock or a forgery.
CLOCK_TOLERANCE = timedelta(minutes=10)


# ------------------------------------------------------------------ wire structs -----


















# ------------------------------------------------------------------ recording a sale --


@dataclass(frozen=True, slots=True)
class PricedLine:
    template: Template
    event: Event | None
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    def out(self) -> SaleLineOut:
        return SaleLineOut(
            template_id=self.template.id,
            template=self.template.name,
            plu=self.template.plu,
            event_id=self.event.id if self.event else None,
            event=self.event.name if self.event else None,
            quantity=self.quantity,
            unit_price_cents=self.unit_price_cents,
            total_cents=self.total_cents,
        )


async def find_sale_by_nonce(session: AsyncSession, nonce: str) -> Sale | None:
    return await session.scalar(select(Sale).where(Sale.nonce == nonce))


async def record_sale(
    session: AsyncSession, ring: KeyRing, who: Principal, data: SaleIn
) -> tuple[SaleOut, bool]:
    """(the sale, True if recorded now); a nonce seen before returns the first sale unchanged."""
    venue = await catalog.get_venue(session)
    existing = await find_sale_by_nonce(session, data.nonce)
    if existing is not None:
        if existing.device_id != who.device_id:
            raise ConflictError("this sale nonce was used by another device: make nonces per device")
        return await sale_out(session, existing), False
    _check_shape(data)
    config = payments.config_from_settings(venue.settings)
    if data.offline:
        sale = await _record_offline(session, who, data, config)
    else:
        sale = await _record_online(session, ring, ZoneInfo(venue.timezone), who, data, config)
    return await sale_out(session, sale), True


def _check_shape(data: SaleIn) -> None:
    if sum(line.quantity for line in data.lines) > MAX_SALE_TICKETS:
        raise InvalidRequestError(f"a sale holds at most {MAX_SALE_TICKETS} tickets: split it")
    for number, line in enumerate(data.lines, 1):
        if (line.template_id is None) == (line.plu is None):
            raise InvalidRequestError(f"line {number}: give either template_id or plu")
    if not data.offline and data.tickets:
        raise InvalidRequestError("tickets are issued by the service for online sales: send none")


async def _priced_lines(session: AsyncSession, data: SaleIn) -> list[PricedLine]:
    priced = []
    for number, line in enumerate(data.lines, 1):
        template = await _line_template(session, number, line)
        event = None
        if line.event_id is not None:
            event = await session.get(Event, line.event_id)
            if event is None:
                raise InvalidRequestError(f"line {number}: event {line.event_id} does not exist")
        price = template.price_cents
        if data.offline and line.unit_price_cents is not None:
            price = line.unit_price_cents  # what the till charged from its snapshot
        priced.append(
            PricedLine(template=template, event=event, quantity=line.quantity, unit_price_cents=price)
        )
    currencies = {p.template.currency for p in priced}
    if len(currencies) > 1:
        raise InvalidRequestError(f"one sale, one currency: these lines mix {', '.join(sorted(currencies))}")
    return priced


async def _line_template(session: AsyncSession, number: int, line: SaleLineIn) -> Template:
    if line.plu is not None:
        template = await session.scalar(select(Template).where(Template.plu == line.plu))
        if template is None:
            raise InvalidRequestError(f"line {number}: no template has PLU {line.plu!r}")
        return template
    template = await session.get(Template, line.template_id)
    if template is None:
        raise InvalidRequestError(f"line {number}: template {line.template_id} does not exist")
    return template


def _new_sale(
    who: Principal, data: SaleIn, priced: Sequence[PricedLine], sold_at: datetime, brand: str | None
) -> Sale:
    return Sale(
        nonce=data.nonce,
        device_id=who.device_id,
        sold_at=sold_at,
        received_at=datetime.now(UTC),
        offline=data.offline,
        payment_method=data.payment.method.value,
        card_brand=brand,
        total_cents=sum(p.total_cents for p in priced),
        currency=priced[0].template.currency,
        status="completed",
        buyer_email=data.buyer_email,
        lines=[msgspec.to_builtins(p.out()) for p in priced],
    )


def _brand(payment: PaymentIn) -> str | None:
    return payments.normalise_brand(payment.card_brand) if payment.card_brand else None


async def _record_online(
    session: AsyncSession, ring: KeyRing, tz: ZoneInfo, who: Principal, data: SaleIn, config: PaymentConfig
) -> Sale:
    priced = await _priced_lines(session, data)
    total = sum(p.total_cents for p in priced)
    payments.check_payment(config, data.payment, total, offline=False)
    # PostgreSQL: lock every event of the sale up front, in id order, before the feed's advisory
    # lock is taken: two sales naming the same events in another order then cannot deadlock.
    event_ids = sorted({p.event.id for p in priced if p.event is not None})
    if event_ids:
        await session.execute(
            select(Event.id).where(Event.id.in_(event_ids)).order_by(Event.id).with_for_update()
        )
    sale = _new_sale(who, data, priced, datetime.now(UTC), _brand(data.payment))
    session.add(sale)
    await session.flush()
    for line in priced:
        request = IssueRequest(
            template_id=line.template.id, event_id=line.event.id if line.event else None, count=line.quantity
        )
        # check_sellable (inside) refuses inactive templates and events the template is not sold for;
        # reserve_capacity refuses a sold-out event: either rolls the whole sale back.
        await tickets.issue_tickets(session, ring, tz, request, issued_by=who.device_id, sale_id=sale.id)
    return sale


async def _record_offline(session: AsyncSession, who: Principal, data: SaleIn, config: PaymentConfig) -> Sale:
    sold_at = _offline_time(data.sold_at)
    priced = await _priced_lines(session, data)
    for number, line in enumerate(priced, 1):
        # Event tickets need the central capacity check: a till never sells them offline.
        if line.template.kind != TemplateKind.ENTRY or line.event is not None:
            raise InvalidRequestError(
                f"line {number}: {line.template.name!r} is an event ticket; event tickets are never "
                "sold offline (sell its fallback entry template)"
            )
    total = sum(p.total_cents for p in priced)
    payments.check_payment(config, data.payment, total, offline=True)
    signed = await _verified_codes(session, who, data.tickets)
    _check_codes_match_lines(signed, priced)
    sale = _new_sale(who, data, priced, sold_at, _brand(data.payment))
    session.add(sale)
    await session.flush()
    await _register_offline_tickets(session, sale, who, signed)
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
    session: AsyncSession, who: Principal, raw_codes: Sequence[str]
) -> dict[str, SignedTicket]:
    """Each code verified with the posting device's own key: code -> what it states."""
    own_keys = await _device_keys(session, who.device_id)
    if not own_keys:
        raise InvalidRequestError("this device has no signing key: enroll it as a box office first")
    signed: dict[str, SignedTicket] = {}
    for raw in raw_codes:
        try:
            code = codes.classify_scan(raw)
            if code.kind != "signed":
                raise CodeError("a ticket number is not a signed code")
            ticket = codes.verify_signed_code(code.value, own_keys)
        except CodeError as exc:
            raise InvalidRequestError(f"ticket code {raw[:12]}…: {exc}") from exc
        if code.value in signed:
            raise InvalidRequestError(f"ticket code {raw[:12]}… is listed twice")
        signed[code.value] = ticket
    return signed


async def _device_keys(session: AsyncSession, device_id: int) -> dict[int, Ed25519PublicKey]:
    rows = await session.scalars(
        select(IssuerKey).where(IssuerKey.device_id == device_id, IssuerKey.revoked_at.is_(None))
    )
    return {r.key_id: Ed25519PublicKey.from_public_bytes(bytes.fromhex(r.public_key)) for r in rows}


def _check_codes_match_lines(signed: dict[str, SignedTicket], priced: Sequence[PricedLine]) -> None:
    wanted = Counter[int]()
    for line in priced:
        wanted[line.template.id] += line.quantity
    got = Counter(t.template_id for t in signed.values())
    if got != wanted:
        raise InvalidRequestError(
            f"the ticket codes do not match the lines: lines sell {dict(wanted)} per template id, "
            f"codes carry {dict(got)}"
        )
    if any(t.event_id is not None for t in signed.values()):
        raise InvalidRequestError(
            "an offline-signed code names an event: event tickets are never sold offline"
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
                event_id=None,
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


# ------------------------------------------------------------------ reading sales ----


async def sale_out(session: AsyncSession, sale: Sale) -> SaleOut:
    device = await session.get(Device, sale.device_id) if sale.device_id else None
    issued = (
        await session.scalars(select(Ticket).where(Ticket.sale_id == sale.id).order_by(Ticket.issued_at))
    ).all()
    return SaleOut(
        id=sale.id,
        nonce=sale.nonce,
        device=device.name if device else None,
        sold_at=sale.sold_at,
        received_at=sale.received_at,
        offline=sale.offline,
        payment_method=payments.PaymentMethod(sale.payment_method),
        card_brand=sale.card_brand,
        total_cents=sale.total_cents,
        currency=sale.currency,
        status=sale.status,
        refunded_at=sale.refunded_at,
        buyer_email=sale.buyer_email,
        lines=msgspec.convert(sale.lines, type=list[SaleLineOut]),
        tickets=[tickets.ticket_out(t) for t in issued],
    )


async def show_sale(session: AsyncSession, sale_id: int) -> SaleOut:
    return await sale_out(session, await get_sale(session, sale_id))


async def get_sale(session: AsyncSession, sale_id: int) -> Sale:
    sale = await session.get(Sale, sale_id)
    if sale is None:
        raise NotFoundError(f"sale {sale_id} does not exist")
    return sale


async def find_sales(
    session: AsyncSession, *, nonce: str | None = None, ticket_ref: str | None = None, limit: int = 100
) -> list[SaleOut]:
    statement = select(Sale).order_by(Sale.sold_at.desc()).limit(limit)
    if nonce is not None:
        statement = statement.where(Sale.nonce == nonce)
    if ticket_ref is not None:
        ticket = await tickets.get_ticket(session, ticket_ref)
        if ticket.sale_id is None:
            return []
        statement = statement.where(Sale.id == ticket.sale_id)
    return [await sale_out(session, s) for s in (await session.scalars(statement)).all()]


# ------------------------------------------------------------------ refunds ----------


async def refund_sale(session: AsyncSession, sale_id: int, data: RefundIn) -> SaleOut:
    """Void every still-valid ticket of the sale (gates reject them as `void` once they know)."""
    sale = await session.get(Sale, sale_id, with_for_update=True)
    if sale is None:
        raise NotFoundError(f"sale {sale_id} does not exist")
    if sale.status == "refunded":
        raise ConflictError(f"sale {sale_id} was refunded already")
    valid = (
        await session.scalars(select(Ticket).where(Ticket.sale_id == sale.id, Ticket.status == "valid"))
    ).all()
    if not data.include_used:
        await _refuse_used(session, valid)
    for ticket in valid:
        await tickets.void_ticket(session, ticket.code, data.reason)
    sale.status, sale.refunded_at = "refunded", datetime.now(UTC)
    return await sale_out(session, sale)


async def _refuse_used(session: AsyncSession, valid: Sequence[Ticket]) -> None:
    for ticket in valid:
        used = await tickets.admitted_passages(session, ticket.serial)
        if used:
            first = min(used, key=lambda p: p.scanned_at)
            raise ConflictError(
                f"ticket {ticket.number or ticket.serial} was used ({first.gate_name}, "
                f"{first.scanned_at:%Y-%m-%d %H:%M} UTC): refund with include_used to void it anyway"
            )


# ------------------------------------------------------------------ signing keys -----


async def register_signing_key(session: AsyncSession, who: Principal, data: SigningKeyIn) -> SigningKeyOut:
    """A box office's own Ed25519 public key, sent at enrollment; gates learn it from the feed.

    A device may hold several keys (a new PC, a lost key file): old keys stay valid, because
    tickets sold offline with them are in visitors' hands.
    """
    if who.role != "box_office":
        raise InvalidRequestError("only box_office devices sign tickets")
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(data.public_key))
    except ValueError as exc:
        raise InvalidRequestError("not an Ed25519 public key") from exc
    if await session.scalar(select(IssuerKey.key_id).where(IssuerKey.public_key == data.public_key)):
        raise ConflictError("this public key is registered already")
    row = await keys.register_public_key(session, public, who.device_id, who.device_name)
    return SigningKeyOut(key_id=row.key_id, device=who.device_name)


# ------------------------------------------------------------------ payment set-up ---


async def payment_config(session: AsyncSession) -> PaymentConfig:
    return payments.config_from_settings((await catalog.get_venue(session)).settings)


async def save_payment_config(session: AsyncSession, config: PaymentConfig) -> PaymentConfig:
    venue: Venue = await catalog.get_venue(session)
    venue.settings = payments.settings_with_config(venue.settings, config)
    return config


# ------------------------------------------------------------------ end-of-day report -










def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tz)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time.min, tz).astimezone(UTC)


def parse_day(value: str | None, tz: ZoneInfo) -> date:
    """A venue-local day as YYYY-MM-DD; none: today."""
    if value is None:
        return datetime.now(UTC).astimezone(tz).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequestError(f"day must be YYYY-MM-DD, not {value!r}") from exc


async def report_for(session: AsyncSession, day: str | None) -> SalesReport:
    """The end-of-day report of a venue-local day (YYYY-MM-DD; none: today)."""
    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
    return await day_report(session, parse_day(day, tz), tz)


async def day_report(session: AsyncSession, day: date, tz: ZoneInfo) -> SalesReport:
    start, end = day_bounds(day, tz)
    rows = (
        await session.execute(
            select(Sale, Device.name)
            .outerjoin(Device, Device.id == Sale.device_id)
            .where(
                or_(
                    Sale.sold_at.between(start, end - timedelta(microseconds=1)),
                    Sale.refunded_at.between(start, end - timedelta(microseconds=1)),
                )
            )
            .order_by(Sale.sold_at)
        )
    ).all()
    ticket_counts = await _ticket_counts(session, [sale.id for sale, _ in rows])
    per_device: dict[str, dict[tuple[str, str], MethodTotals]] = {}
    offline: list[OfflineSaleLine] = []
    for sale, device_name in rows:
        name = device_name or "(service)"
        sold_today = start <= sale.sold_at < end
        refunded_today = sale.refunded_at is not None and start <= sale.refunded_at < end
        totals = _totals_for(per_device.setdefault(name, {}), sale)
        if sold_today:
            _add_sale(totals, sale, ticket_counts.get(sale.id, 0))
            if sale.offline:
                offline.append(_offline_line(sale, name))
        if refunded_today:
            _add_refund(totals, sale)
    devices = [_device_day(name, methods, offline) for name, methods in sorted(per_device.items())]
    return SalesReport(
        date=day,
        timezone=str(tz),
        devices=devices,
        totals=_overall([m for d in devices for m in d.methods]),
        offline_sales=offline,
    )


async def _ticket_counts(session: AsyncSession, sale_ids: list[int]) -> dict[int, int]:
    if not sale_ids:
        return {}
    # Reissued tickets carry the sale id too: count what was sold, not replacements.
    rows = await session.execute(
        select(Ticket.sale_id, func.count())
        .where(Ticket.sale_id.in_(sale_ids), Ticket.reissued_from.is_(None))
        .group_by(Ticket.sale_id)
    )
    return {int(sale_id): int(count) for sale_id, count in rows.all() if sale_id is not None}


def _totals_for(methods: dict[tuple[str, str], MethodTotals], sale: Sale) -> MethodTotals:
    key = (sale.payment_method, sale.currency)
    if key not in methods:
        methods[key] = MethodTotals(
            method=payments.PaymentMethod(sale.payment_method), currency=sale.currency
        )
    return methods[key]


def _add_sale(totals: MethodTotals, sale: Sale, ticket_count: int) -> None:
    totals.sales += 1
    totals.tickets += ticket_count
    totals.sold_cents += sale.total_cents
    totals.net_cents += sale.total_cents
    if sale.card_brand:
        totals.by_card_brand[sale.card_brand] = (
            totals.by_card_brand.get(sale.card_brand, 0) + sale.total_cents
        )


def _add_refund(totals: MethodTotals, sale: Sale) -> None:
    totals.refunds += 1
    totals.refunded_cents += sale.total_cents
    totals.net_cents -= sale.total_cents
    if sale.card_brand:
        totals.by_card_brand[sale.card_brand] = (
            totals.by_card_brand.get(sale.card_brand, 0) - sale.total_cents
        )


def _offline_line(sale: Sale, device: str) -> OfflineSaleLine:
    return OfflineSaleLine(
        sale_id=sale.id,
        device=device,
        sold_at=sale.sold_at,
        synced_at=sale.received_at,
        delay_seconds=round((sale.received_at - sale.sold_at).total_seconds(), 1),
        method=payments.PaymentMethod(sale.payment_method),
        total_cents=sale.total_cents,
        currency=sale.currency,
    )


def _device_day(
    name: str, methods: dict[tuple[str, str], MethodTotals], offline: list[OfflineSaleLine]
) -> DeviceDay:
    listed = sorted(methods.values(), key=lambda m: (m.method.value, m.currency))
    own_offline = [o for o in offline if o.device == name]
    return DeviceDay(
        device=name,
        methods=listed,
        cash_to_count_cents=sum(m.net_cents for m in listed if m.method is payments.PaymentMethod.CASH),
        card_total_cents=sum(m.net_cents for m in listed if m.method is payments.PaymentMethod.CARD),
        offline_sales=len(own_offline),
        offline_total_cents=sum(o.total_cents for o in own_offline),
        last_offline_synced_at=max((o.synced_at for o in own_offline), default=None),
    )


def _overall(methods: Sequence[MethodTotals]) -> list[MethodTotals]:
    merged: dict[tuple[str, str], MethodTotals] = {}
    for m in methods:
        total = merged.setdefault(
            (m.method.value, m.currency), MethodTotals(method=m.method, currency=m.currency)
        )
        total.sales += m.sales
        total.tickets += m.tickets
        total.sold_cents += m.sold_cents
        total.refunds += m.refunds
        total.refunded_cents += m.refunded_cents
        total.net_cents += m.net_cents
        for brand, cents in m.by_card_brand.items():
            total.by_card_brand[brand] = total.by_card_brand.get(brand, 0) + cents
    return sorted(merged.values(), key=lambda m: (m.method.value, m.currency))

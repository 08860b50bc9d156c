"""The end-of-day report: per device and payment method, sales, refunds and what was sold
offline, for one day in the venue's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import DeviceDay, MethodTotals, OfflineSaleLine, SalesReport
from admission.db.models import Device, Sale, Ticket
from admission.domain import payments
from admission.domain.errors import InvalidRequestError
from admission.services import catalog


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


def _taken(sale: Sale) -> int:
    """What the sale's payment method took: the part paid from gift or stored-value cards is in
    the cards' ledgers and the card float, never in the drawer or the terminal."""
    return sale.total_cents - sale.stored_value_cents


def _add_sale(totals: MethodTotals, sale: Sale, ticket_count: int) -> None:
    totals.sales += 1
    totals.tickets += ticket_count
    totals.sold_cents += _taken(sale)
    totals.net_cents += _taken(sale)
    if sale.card_brand:
        totals.by_card_brand[sale.card_brand] = totals.by_card_brand.get(sale.card_brand, 0) + _taken(sale)


def _add_refund(totals: MethodTotals, sale: Sale) -> None:
    totals.refunds += 1
    totals.refunded_cents += _taken(sale)
    totals.net_cents -= _taken(sale)
    if sale.card_brand:
        totals.by_card_brand[sale.card_brand] = totals.by_card_brand.get(sale.card_brand, 0) - _taken(sale)


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

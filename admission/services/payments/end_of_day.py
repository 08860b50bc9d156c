"""End of day per till and per tender, and the cash-up.

Generic over tender kinds: a tender kind is whatever a sale's tender lines name (cash, card,
mobile, invoice, and kinds added later), so a new kind shows here with no change. A split sale
counts under each of its tenders; a refund reverses each tender as it was paid.

The cash-up compares the drawer as counted with what it should hold: the float it started with,
plus cash taken, minus cash paid back, that venue day. Counted again, the newer count replaces
the older (the recount is what the manager signs off).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract.payments import CashUpIn, CashUpOut, EndOfDayReport, TenderDay, TillDay
from admission.db.models import CashUp, Device, Sale, SaleTender
from admission.domain.payments import PaymentMethod
from admission.services.payments.days import till_named, venue_currency, venue_day

CASH = PaymentMethod.CASH.value
STORED_VALUE = "stored_value"  # the tender name of what cards paid (admission/services/cards)


async def end_of_day(session: AsyncSession, day: date) -> EndOfDayReport:
    tz, start, end = await venue_day(session, day)
    rows = (
        await session.execute(
            select(SaleTender, Sale, Device.name)
            .join(Sale, Sale.id == SaleTender.sale_id)
            .outerjoin(Device, Device.id == Sale.device_id)
            .where(
                ((Sale.sold_at >= start) & (Sale.sold_at < end))
                | ((Sale.refunded_at >= start) & (Sale.refunded_at < end))
            )
        )
    ).all()
    per_till: dict[str, dict[str, TenderDay]] = defaultdict(dict)
    for tender, sale, device in rows:
        line = _line(per_till[device or "(service)"], tender.method)
        if start <= sale.sold_at < end:
            line.sales += 1
            line.sold_cents += tender.amount_cents
            line.net_cents += tender.amount_cents
        if sale.refunded_at is not None and start <= sale.refunded_at < end:
            line.refunds += 1
            line.refunded_cents += tender.amount_cents
            line.net_cents -= tender.amount_cents
    await _add_stored_value(session, per_till, start, end)
    cash_ups = {
        name: row
        for row, name in await session.execute(
            select(CashUp, Device.name).join(Device, Device.id == CashUp.device_id).where(CashUp.day == day)
        )
    }
    tills = [
        _till_day(name, per_till.get(name, {}), cash_ups.get(name), tz)
        for name in sorted(set(per_till) | set(cash_ups))
    ]
    totals: dict[str, TenderDay] = {}
    for till in tills:
        for t in till.tenders:
            line = _line(totals, t.tender)
            line.sales += t.sales
            line.sold_cents += t.sold_cents
            line.refunds += t.refunds
            line.refunded_cents += t.refunded_cents
            line.net_cents += t.net_cents
    return EndOfDayReport(
        date=day,
        timezone=str(tz),
        currency=await venue_currency(session),
        tills=tills,
        tenders=sorted(totals.values(), key=lambda t: t.tender),
    )


async def _add_stored_value(
    session: AsyncSession, per_till: dict[str, dict[str, TenderDay]], start: datetime, end: datetime
) -> None:
    """What gift and stored-value cards paid of each till's sales, as a tender of its own: it is in
    the cards' ledgers (and the float report), never in the drawer or the card terminal. A refund
    puts each card's part back on its card, so it counts here as that tender's refund."""
    rows = await session.execute(
        select(Sale.stored_value_cents, Sale.sold_at, Sale.refunded_at, Device.name)
        .outerjoin(Device, Device.id == Sale.device_id)
        .where(
            Sale.stored_value_cents > 0,
            ((Sale.sold_at >= start) & (Sale.sold_at < end))
            | ((Sale.refunded_at >= start) & (Sale.refunded_at < end)),
        )
    )
    for cents, sold_at, refunded_at, device in rows:
        line = _line(per_till[device or "(service)"], STORED_VALUE)
        if start <= sold_at < end:
            line.sales += 1
            line.sold_cents += cents
            line.net_cents += cents
        if refunded_at is not None and start <= refunded_at < end:
            line.refunds += 1
            line.refunded_cents += cents
            line.net_cents -= cents


def _line(lines: dict[str, TenderDay], tender: str) -> TenderDay:
    if tender not in lines:
        lines[tender] = TenderDay(
            tender=tender, sales=0, sold_cents=0, refunds=0, refunded_cents=0, net_cents=0
        )
    return lines[tender]


def _till_day(name: str, tenders: dict[str, TenderDay], cash_up: CashUp | None, tz: ZoneInfo) -> TillDay:
    listed = sorted(tenders.values(), key=lambda t: t.tender)
    return TillDay(
        till=name,
        tenders=listed,
        net_cents=sum(t.net_cents for t in listed),
        cash_net_cents=tenders[CASH].net_cents if CASH in tenders else 0,
        cash_up=None if cash_up is None else cash_up_out(cash_up, tz),
    )


def cash_up_out(row: CashUp, tz: ZoneInfo) -> CashUpOut:
    return CashUpOut(
        float_cents=row.float_cents,
        counted_cents=row.counted_cents,
        expected_cents=row.expected_cents,
        over_short_cents=row.counted_cents - row.expected_cents,
        counted_by=row.counted_by,
        counted_at=row.counted_at.astimezone(tz),
        note=row.note,
    )


async def record_cash_up(session: AsyncSession, data: CashUpIn) -> CashUpOut:
    """The till's drawer counted: kept with what it should hold now, over or short."""
    till = await till_named(session, data.till)
    report = await end_of_day(session, data.date)
    cash = next((t.cash_net_cents for t in report.tills if t.till == till.name), 0)
    row = await session.scalar(
        select(CashUp).where(CashUp.device_id == till.id, CashUp.day == data.date).with_for_update()
    )
    if row is None:
        row = CashUp(device_id=till.id, day=data.date)
        session.add(row)
    row.float_cents, row.counted_cents = data.float_cents, data.counted_cents
    row.expected_cents = data.float_cents + cash
    row.counted_by, row.note, row.counted_at = data.counted_by.strip(), data.note, datetime.now(UTC)
    await session.flush()
    tz, _, _ = await venue_day(session, data.date)
    return cash_up_out(row, tz)


def end_of_day_csv(report: EndOfDayReport) -> str:
    """One row per till and tender kind, then the cash-up per till: for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["date", "till", "tender", "sales", "sold_cents", "refunds", "refunded_cents", "net_cents",
         "currency"]
    )  # fmt: skip
    for till in report.tills:
        for t in till.tenders:
            writer.writerow(
                [report.date, till.till, t.tender, t.sales, t.sold_cents, t.refunds, t.refunded_cents,
                 t.net_cents, report.currency]
            )  # fmt: skip
    writer.writerow([])
    writer.writerow(
        ["date", "till", "float_cents", "expected_cents", "counted_cents", "over_short_cents", "counted_by",
         "counted_at"]
    )  # fmt: skip
    for till in report.tills:
        if till.cash_up is not None:
            c = till.cash_up
            writer.writerow(
                [report.date, till.till, c.float_cents, c.expected_cents, c.counted_cents, c.over_short_cents,
                 c.counted_by, c.counted_at.isoformat(timespec="minutes")]
            )  # fmt: skip
    return out.getvalue()

"""Card-terminal reconciliation (seed 001: "reconcile later"): each till's terminal settles its
day with the acquirer; the manager enters (or imports) that total, and this compares it with the
card payments the till recorded that day.

Card payments a till took offline were stored by the terminal and forwarded later, so they may
be settled on a later day: they are listed apart, and a settlement that matches only with them
counted in says so (`matches_with_stored`), never hides them in one figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract.payments import (
    ReconciliationReport,
    SettlementIn,
    StoredCardPayment,
    TillReconciliation,
)
from admission.db.models import Device, Sale, SaleTender, TerminalSettlement
from admission.domain.payments import PaymentMethod
from admission.services.payments.days import till_named, venue_currency, venue_day


async def enter_settlements(session: AsyncSession, entries: Sequence[SettlementIn]) -> int:
    """Enter each till's settlement total for its day (a newer entry replaces the older); all or
    nothing. Returns how many were entered."""
    for entry in entries:
        till = await till_named(session, entry.till)
        row = await session.scalar(
            select(TerminalSettlement)
            .where(TerminalSettlement.device_id == till.id, TerminalSettlement.day == entry.date)
            .with_for_update()
        )
        if row is None:
            row = TerminalSettlement(device_id=till.id, day=entry.date)
            session.add(row)
        row.total_cents, row.note, row.entered_at = entry.total_cents, entry.note, datetime.now(UTC)
    await session.flush()
    return len(entries)


async def reconciliation(session: AsyncSession, day: date) -> ReconciliationReport:
    tz, start, end = await venue_day(session, day)
    settlements = {
        s.device_id: s
        for s in await session.scalars(select(TerminalSettlement).where(TerminalSettlement.day == day))
    }
    card = (
        select(SaleTender, Sale)
        .join(Sale, Sale.id == SaleTender.sale_id)
        .where(SaleTender.method == PaymentMethod.CARD.value, Sale.device_id.is_not(None))
    )
    sold = (await session.execute(card.where(Sale.sold_at >= start, Sale.sold_at < end))).all()
    refunded = (
        await session.execute(card.where(Sale.refunded_at >= start, Sale.refunded_at < end))
    ).all()
    device_ids = {sale.device_id for _, sale in [*sold, *refunded] if sale.device_id} | set(settlements)
    names = {d.id: d.name for d in await session.scalars(select(Device).where(Device.id.in_(device_ids)))}
    tills = [
        _till(
            names[device_id],
            [(t, s) for t, s in sold if s.device_id == device_id],
            [(t, s) for t, s in refunded if s.device_id == device_id],
            settlements.get(device_id),
            tz,
        )
        for device_id in sorted(device_ids, key=lambda i: names[i])
    ]
    return ReconciliationReport(
        date=day, timezone=str(tz), currency=await venue_currency(session), tills=tills
    )


def _till(
    name: str,
    sold: list[tuple[SaleTender, Sale]],
    refunded: list[tuple[SaleTender, Sale]],
    settlement: TerminalSettlement | None,
    tz: ZoneInfo,
) -> TillReconciliation:
    # Refunds go back through the terminal online, whatever way the sale was made.
    online = sum(t.amount_cents for t, s in sold if not s.offline) - sum(t.amount_cents for t, _ in refunded)
    stored = [
        StoredCardPayment(
            sale_id=s.id,
            sold_at=s.sold_at.astimezone(tz),
            synced_at=s.received_at.astimezone(tz),
            card_brand=t.card_brand,
            amount_cents=t.amount_cents,
        )
        for t, s in sold
        if s.offline
    ]
    offline = sum(p.amount_cents for p in stored)
    if settlement is None:
        return TillReconciliation(
            till=name,
            settlement_cents=None,
            online_card_cents=online,
            offline_card_cents=offline,
            difference_cents=None,
            difference_with_offline_cents=None,
            status="no_settlement",
            stored_payments=stored,
        )
    difference = settlement.total_cents - online
    with_stored = difference - offline
    status = "matches" if difference == 0 else "matches_with_stored" if with_stored == 0 else "mismatch"
    return TillReconciliation(
        till=name,
        settlement_cents=settlement.total_cents,
        online_card_cents=online,
        offline_card_cents=offline,
        difference_cents=difference,
        difference_with_offline_cents=with_stored,
        status=status,
        stored_payments=stored,
        note=settlement.note,
    )

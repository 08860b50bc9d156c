"""A sale's tender lines: written with the sale, read for its answer and every report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.db.models import Sale, SaleTender
from admission.domain.payments import PaymentMethod
from admission.domain.tenders import TenderLine


def add_tenders(session: AsyncSession, sale: Sale, lines: Sequence[TenderLine]) -> None:
    session.add_all(
        SaleTender(
            sale_id=sale.id,
            position=position,
            method=line.method.value,
            card_brand=line.card_brand,
            amount_cents=line.amount_cents,
            tendered_cents=line.tendered_cents,
        )
        for position, line in enumerate(lines)
    )


async def tenders_of(session: AsyncSession, sale_ids: Sequence[int]) -> dict[int, list[TenderLine]]:
    """Each sale's tender lines, in the order they were given."""
    found: dict[int, list[TenderLine]] = defaultdict(list)
    if not sale_ids:
        return found
    rows = await session.scalars(
        select(SaleTender)
        .where(SaleTender.sale_id.in_(sale_ids))
        .order_by(SaleTender.sale_id, SaleTender.position)
    )
    for row in rows:
        found[row.sale_id].append(
            TenderLine(
                method=PaymentMethod(row.method),
                card_brand=row.card_brand,
                amount_cents=row.amount_cents,
                tendered_cents=row.tendered_cents,
            )
        )
    return found

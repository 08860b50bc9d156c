"""Refunds: every still-valid ticket of the sale is voided."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import RefundIn, SaleOut
from admission.db.models import Sale, Ticket
from admission.domain.errors import ConflictError, NotFoundError
from admission.services import cards, tickets
from admission.services.devices import Principal
from admission.services.sales.invoices import cancel_with_sale
from admission.services.sales.lookup import sale_out


async def refund_sale(session: AsyncSession, who: Principal, sale_id: int, data: RefundIn) -> SaleOut:
    """Void every still-valid ticket of the sale (gates reject them as `void` once they know) and
    put back on each card what it paid, all in one transaction."""
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
    await cards.refund_card_parts(session, who, sale)
    sale.status, sale.refunded_at = "refunded", datetime.now(UTC)
    await cancel_with_sale(session, sale)
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

"""Refunds: every still-valid ticket of the sale is voided, each card's part goes back on its card.

A refund may carry its device's nonce. A till whose refund got no answer sends it again with the
same nonce and is answered with the refunded sale, as the first time; the same nonce with another
request (another sale, reason or `include_used`) is a 409. The nonce is written in the refund's
transaction under the sale's row lock, so two copies racing take turns and the second replays.
A refund without a nonce of a sale refunded already is a 409, as ever."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import RefundIn, SaleOut
from admission.db.models import Sale, SaleRefundNonce, Ticket
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
    digest = _digest(sale_id, data)
    if data.nonce is not None:
        earlier = await session.get(SaleRefundNonce, (who.device_id, data.nonce))
        if earlier is not None:
            if (earlier.sale_id, earlier.request_digest) != (sale_id, digest):
                raise ConflictError(
                    f"this device used refund nonce {data.nonce} for another request already "
                    f"(a refund of sale {earlier.sale_id}): a new refund needs a new nonce"
                )
            return await sale_out(session, sale)  # the same refund again: its answer, once more
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
    if data.nonce is not None:
        session.add(
            SaleRefundNonce(device_id=who.device_id, nonce=data.nonce, sale_id=sale.id, request_digest=digest)
        )
        await session.flush()
    return await sale_out(session, sale)


def _digest(sale_id: int, data: RefundIn) -> str:
    parts = (str(sale_id), data.reason, str(data.include_used))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def _refuse_used(session: AsyncSession, valid: Sequence[Ticket]) -> None:
    for ticket in valid:
        used = await tickets.admitted_passages(session, ticket.serial)
        if used:
            first = min(used, key=lambda p: p.scanned_at)
            raise ConflictError(
                f"ticket {ticket.number or ticket.serial} was used ({first.gate_name}, "
                f"{first.scanned_at:%Y-%m-%d %H:%M} UTC): refund with include_used to void it anyway"
            )

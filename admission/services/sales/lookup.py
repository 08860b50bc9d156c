"""Sales as the box office sees them: by id, by the device's nonce, by one of their tickets."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SaleLineOut, SaleOut
from admission.db.models import Device, Sale, Ticket
from admission.domain import payments
from admission.domain.errors import NotFoundError
from admission.services import cards, tickets
from admission.services.devices import Principal
from admission.services.sales.tender_lines import tenders_of


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
        stored_value_cents=sale.stored_value_cents,
        card_parts=await cards.card_parts(session, sale),
        currency=sale.currency,
        status=sale.status,
        refunded_at=sale.refunded_at,
        buyer_email=sale.buyer_email,
        lines=msgspec.convert(sale.lines, type=list[SaleLineOut]),
        tickets=[tickets.ticket_out(t) for t in issued],
        tenders=(await tenders_of(session, [sale.id])).get(sale.id, []),
    )


async def show_sale(session: AsyncSession, sale_id: int) -> SaleOut:
    return await sale_out(session, await get_sale(session, sale_id))


async def get_sale(session: AsyncSession, sale_id: int) -> Sale:
    sale = await session.get(Sale, sale_id)
    if sale is None:
        raise NotFoundError(f"sale {sale_id} does not exist")
    return sale


async def find_sales(
    session: AsyncSession,
    who: Principal,
    *,
    nonce: str | None = None,
    ticket_ref: str | None = None,
    limit: int = 100,
) -> list[SaleOut]:
    """The latest sales, or those with a nonce, or the one holding a ticket.

    A nonce is its device's own: a box office finds only its own sales by nonce (another till's
    sale under the same nonce is not its attempt); admins and viewers find every device's.
    """
    statement = select(Sale).order_by(Sale.sold_at.desc()).limit(limit)
    if nonce is not None:
        statement = statement.where(Sale.nonce == nonce)
        if who.role == "box_office":
            statement = statement.where(Sale.device_id == who.device_id)
    if ticket_ref is not None:
        ticket = await tickets.get_ticket(session, ticket_ref)
        if ticket.sale_id is None:
            return []
        statement = statement.where(Sale.id == ticket.sale_id)
    return [await sale_out(session, s) for s in (await session.scalars(statement)).all()]

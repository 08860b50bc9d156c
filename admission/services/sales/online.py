"""A sale at an online till is one transaction: payment checked, the sale row written, every
line's tickets issued through `tickets.issue_tickets` (whose conditional UPDATE makes
overselling impossible). Any error rolls the whole sale back: nothing half-done.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import IssueRequest, SaleIn
from admission.db.models import Event, Sale
from admission.domain import tenders
from admission.domain.payments import PaymentConfig
from admission.services import cards, tickets
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.sales.invoices import add_invoice
from admission.services.sales.lines import card_brand, new_sale, priced_lines
from admission.services.sales.tender_lines import add_tenders


async def record_online(
    session: AsyncSession, ring: KeyRing, tz: ZoneInfo, who: Principal, data: SaleIn, config: PaymentConfig
) -> Sale:
    priced = await priced_lines(session, data)
    total = sum(p.total_cents for p in priced)
    left = tenders.left_after_cards([part.amount_cents for part in data.stored_value], total)
    tenders.check_tenders(config, data.all_tenders(), left, offline=False)
    # PostgreSQL: lock every event of the sale up front, in id order, before the feed's advisory
    # lock is taken: two sales naming the same events in another order then cannot deadlock.
    event_ids = sorted({p.event.id for p in priced if p.event is not None})
    if event_ids:
        await session.execute(
            select(Event.id).where(Event.id.in_(event_ids)).order_by(Event.id).with_for_update()
        )
    sale = new_sale(who, data, priced, datetime.now(UTC), card_brand(data.payment))
    session.add(sale)
    await session.flush()
    if data.stored_value:  # a card that holds too little, or is blocked, refuses the whole sale
        await cards.pay_for_sale(session, ring, who, data.nonce, data.stored_value)
    tender_lines = tenders.tender_lines(data.all_tenders(), left)
    add_tenders(session, sale, tender_lines)
    add_invoice(session, sale, data, tender_lines)
    for line in priced:
        request = IssueRequest(
            template_id=line.template.id, event_id=line.event.id if line.event else None, count=line.quantity
        )
        # check_sellable (inside) refuses inactive templates and events the template is not sold for;
        # reserve_capacity refuses a sold-out event: either rolls the whole sale back.
        await tickets.issue_tickets(session, ring, tz, request, issued_by=who.device_id, sale_id=sale.id)
    return sale

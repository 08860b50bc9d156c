"""Recording a sale, idempotent by the device's nonce: online or offline, all or nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import MAX_SALE_TICKETS, SaleIn, SaleOut
from admission.domain import payments
from admission.domain.errors import InvalidRequestError
from admission.services import catalog
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.sales.invoices import check_invoice_shape
from admission.services.sales.lines import request_digest
from admission.services.sales.lookup import sale_out
from admission.services.sales.nonces import claim_for_sale, claim_of, claimed_sale
from admission.services.sales.offline import record_offline
from admission.services.sales.online import record_online


async def record_sale(
    session: AsyncSession,
    ring: KeyRing,
    who: Principal,
    data: SaleIn,
    *,
    forwarded_by: Principal | None = None,
) -> tuple[SaleOut, bool]:
    """(the sale, True if recorded now). A nonce this device used before replays that sale if the
    request is the same, and is a 409 if it is another sale or an attempt its till cancelled.
    `forwarded_by`: the venue hub that took this till-signed sale and forwards it in the till's
    name (`who`)."""
    venue = await catalog.get_venue(session)
    claim = await claim_of(session, who.device_id, data.nonce)
    if claim is not None:
        return await sale_out(session, await claimed_sale(session, claim, request_digest(data))), False
    _check_shape(data)
    config = payments.config_from_settings(venue.settings)
    claim = await claim_for_sale(session, who.device_id, data.nonce)
    if data.offline:
        sale = await record_offline(session, who, data, config, ring, forwarded_by=forwarded_by)
    else:
        sale = await record_online(session, ring, ZoneInfo(venue.timezone), who, data, config)
    claim.sale_id = sale.id
    return await sale_out(session, sale), True


def _check_shape(data: SaleIn) -> None:
    check_invoice_shape(data)
    if sum(line.quantity for line in data.lines) > MAX_SALE_TICKETS:
        raise InvalidRequestError(f"a sale holds at most {MAX_SALE_TICKETS} tickets: split it")
    for number, line in enumerate(data.lines, 1):
        if (line.template_id is None) == (line.plu is None):
            raise InvalidRequestError(f"line {number}: give either template_id or plu")
    if not data.offline and data.tickets:
        raise InvalidRequestError("tickets are issued by the service for online sales: send none")

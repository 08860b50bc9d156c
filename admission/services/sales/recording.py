"""Recording a sale, idempotent by the till's nonce: online or offline, all or nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import MAX_SALE_TICKETS, SaleIn, SaleOut
from admission.db.models import Sale
from admission.domain import payments
from admission.domain.errors import ConflictError, InvalidRequestError
from admission.services import catalog
from admission.services.devices import Principal
from admission.services.keys import KeyRing
from admission.services.sales.lookup import sale_out
from admission.services.sales.offline import record_offline
from admission.services.sales.online import record_online


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
        sale = await record_offline(session, who, data, config)
    else:
        sale = await record_online(session, ring, ZoneInfo(venue.timezone), who, data, config)
    return await sale_out(session, sale), True


def _check_shape(data: SaleIn) -> None:
    if sum(line.quantity for line in data.lines) > MAX_SALE_TICKETS:
        raise InvalidRequestError(f"a sale holds at most {MAX_SALE_TICKETS} tickets: split it")
    for number, line in enumerate(data.lines, 1):
        if (line.template_id is None) == (line.plu is None):
            raise InvalidRequestError(f"line {number}: give either template_id or plu")
    if not data.offline and data.tickets:
        raise InvalidRequestError("tickets are issued by the service for online sales: send none")

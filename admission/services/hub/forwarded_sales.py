"""The central service's side of a hub forwarding its tills' sales (docs/hub.md): the sale is
recorded in the till's name, under the till's nonce, through the one till-signed path."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SaleOut
from admission.contract.hub_sales import HubSaleIn
from admission.domain.errors import InvalidRequestError
from admission.services.devices import Principal, sale_forwarded_for
from admission.services.keys import KeyRing
from admission.services.sales import record_sale


async def record_forwarded_sale(
    session: AsyncSession, ring: KeyRing, hub: Principal, data: HubSaleIn
) -> tuple[SaleOut, bool]:
    """(the sale, True if recorded now): a re-sent nonce, from the hub or from the till itself,
    replays the sale recorded first."""
    if not data.sale.offline:
        raise InvalidRequestError("a hub forwards till-signed sales only (offline set, with their codes)")
    till = await sale_forwarded_for(session, hub, data.device)
    return await record_sale(session, ring, till, data.sale, forwarded_by=hub)

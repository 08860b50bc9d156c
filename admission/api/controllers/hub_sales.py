"""A venue hub forwarding its tills' sales to the central service (docs/hub.md)."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.params import JSONBody

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Keys, Uow
from admission.contract import SaleOut
from admission.contract.hub_sales import HubSaleIn
from admission.services.hub.forwarded_sales import record_forwarded_sale


class HubSalesController(Controller):
    path = "/api/v1/hub/sales"
    tags = ["hub"]

    @post(guards=[allow("hub")], status_code=201)
    async def forward(
        self, data: JSONBody[HubSaleIn], uow: Uow, keys: Keys, request: AuthenticatedRequest
    ) -> Response[SaleOut]:
        """A till's sale taken by a hub, in the till's name and under its nonce: 201 when recorded
        now, 200 with the first answer when the hub or the till sent it before."""
        sale, created = await uow.write(record_forwarded_sale, keys, request.user, data)
        return Response(sale, status_code=201 if created else 200)

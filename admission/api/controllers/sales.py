"""Box-office sales: sell (online or a till's offline queue), look up, refund, the end-of-day
report, the venue's payment set-up and the box office's signing key."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.params import FromQuery, JSONBody, QueryParameter

from admission.api.auth import allow
from admission.api.dependencies import AuthenticatedRequest, Keys, ServiceSettings, Uow
from admission.api.lookup_limits import limited, lookup_by_query
from admission.api.params import NoncePath, RowId
from admission.contract import (
    CertificateIn,
    RefundIn,
    SaleCancelOut,
    SaleIn,
    SaleOut,
    SalesReport,
    SigningKeyIn,
    SigningKeyOut,
    TillCertificate,
)
from admission.domain.payments import PaymentConfig
from admission.services import sales
from admission.services.hub.sale_forwarding import record_at_hub

SELLERS = allow("box_office")
READERS = allow("box_office", "viewer")


class SalesController(Controller):
    path = "/api/v1/sales"
    tags = ["sales"]

    @post(guards=[SELLERS], status_code=201)
    async def sell(
        self,
        data: JSONBody[SaleIn],
        uow: Uow,
        keys: Keys,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
    ) -> Response[SaleOut]:
        """Record a sale: 201 when recorded now, 200 with the first answer when this device re-sends
        it under the same nonce; 409 for another sale under a nonce it used, or one it cancelled.
        A venue hub takes till-signed sales only (409, code `hub_sells_till_signed`, otherwise)."""
        # The same nonce from a concurrent re-send, or a gate registering one of these
        # offline-sold tickets at this very moment: the unit of work's second attempt sees
        # what they committed.
        # At a venue hub (signing nothing), a till's own signed sale, owed to the central service.
        record = record_at_hub if settings.upstream else sales.record_sale
        sale, created = await uow.write(record, keys, request.user, data)
        return Response(sale, status_code=201 if created else 200)

    @post("/by-nonce/{nonce:str}/cancel", guards=[SELLERS], status_code=200)
    async def cancel(self, nonce: NoncePath, uow: Uow, request: AuthenticatedRequest) -> SaleCancelOut:
        """Settle this device's unanswered sale attempt: its sale if it was recorded (refund it or
        keep it), else cancelled for good: a request with this nonce arriving later is a 409."""
        # A cancellation racing the attempt's late request: one of the two claims the nonce, the
        # unit of work's second attempt of the other finds it.
        return await uow.write(sales.cancel_by_nonce, request.user, nonce)

    @get(guards=[READERS], opt=lookup_by_query("ticket"))
    async def find(
        self,
        uow: Uow,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
        nonce: FromQuery[str | None] = None,
        ticket: FromQuery[str | None] = None,
    ) -> list[SaleOut]:
        """Sales by nonce (a box office finds its own device's only) or by one of their tickets
        (number or code, within the look-up limits); else the latest."""
        find = partial(sales.find_sales, who=request.user, nonce=nonce, ticket_ref=ticket)
        if ticket is None:
            return await uow.read(find)
        return await limited(uow, settings.lookup_limits, request, ticket, find)

    @get("/{sale_id:int}", guards=[READERS])
    async def show(self, sale_id: RowId, uow: Uow) -> SaleOut:
        return await uow.read(sales.show_sale, sale_id)

    @post("/{sale_id:int}/refund", guards=[SELLERS], status_code=200)
    async def refund(
        self, sale_id: RowId, data: JSONBody[RefundIn], uow: Uow, request: AuthenticatedRequest
    ) -> SaleOut:
        """Void the sale's tickets (gates reject them as `void`), put each card's part back on it
        (`card_parts` says what went back to which card) and mark the sale refunded."""
        return await uow.write(sales.refund_sale, request.user, sale_id, data)

    @get("/report", guards=[READERS])
    async def report(
        self,
        uow: Uow,
        day: Annotated[str | None, QueryParameter(name="date", description="YYYY-MM-DD, venue time")] = None,
    ) -> SalesReport:
        """End of day per device and payment method (`date` in the venue's time zone; default today)."""
        return await uow.read(sales.report_for, day)

    @get("/payment-methods", guards=[READERS])
    async def payment_methods(self, uow: Uow) -> PaymentConfig:
        return await uow.read(sales.payment_config)

    @put("/payment-methods", guards=[allow()])
    async def save_payment_methods(self, data: JSONBody[PaymentConfig], uow: Uow) -> PaymentConfig:
        return await uow.write(sales.save_payment_config, data)

    @post("/signing-key", guards=[SELLERS], status_code=201)
    async def register_signing_key(
        self,
        data: JSONBody[SigningKeyIn],
        uow: Uow,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
    ) -> SigningKeyOut:
        """A box office's own public key (made at enrollment); gates learn it from the feed."""
        lifetime = settings.till_certificate_lifetime
        return await uow.write(sales.register_signing_key, request.user, data, lifetime)

    @post("/signing-key/certificate", guards=[SELLERS], status_code=200)
    async def certify_signing_key(
        self,
        data: JSONBody[CertificateIn],
        uow: Uow,
        keys: Keys,
        settings: ServiceSettings,
        request: AuthenticatedRequest,
    ) -> TillCertificate:
        """A certificate of one of this box office's own keys, signed with the venue's issuer key:
        the till may sign tickets offline until `not_after`; it asks again (renews) while online.
        404 for a key that is not this device's, 409 for a revoked one."""
        lifetime = settings.till_certificate_lifetime
        return await uow.write(sales.certify_key, keys, request.user, data, lifetime)

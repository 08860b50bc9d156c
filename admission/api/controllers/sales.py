"""Box-office sales: sell (online or a till's offline queue), look up, refund, the end-of-day
report, the venue's payment set-up and the box office's signing key."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.exc import IntegrityError

from admission.api.auth import allow
from admission.api.state import principal, runtime
from admission.contract import RefundIn, SaleIn, SaleOut, SalesReport, SigningKeyIn, SigningKeyOut
from admission.domain.errors import InvalidRequestError
from admission.domain.payments import PaymentConfig
from admission.services import catalog, sales

SELLERS = allow("box_office")
READERS = allow("box_office", "viewer")


class SalesController(Controller):
    path = "/api/v1/sales"
    tags = ["sales"]

    @post(guards=[SELLERS], status_code=201)
    async def sell(self, request: Request, data: JSONBody[SaleIn]) -> Response[SaleOut]:
        """Record a sale: 201 when recorded now, 200 with the first answer for a nonce seen before."""
        rt = runtime(request)
        who = principal(request)
        for attempt in (1, 2):
            try:
                async with rt.db.session() as session:
                    tz = ZoneInfo((await catalog.get_venue(session)).timezone)
                    sale, created = await sales.record_sale(session, rt.keys, tz, who, data)
                break
            except IntegrityError:
                # The same nonce from a concurrent re-send, or a gate registering one of these
                # offline-sold tickets at this very moment: the retry sees what they committed.
                if attempt == 2:
                    raise
        if created:
            rt.notifier.poke()
        return Response(sale, status_code=201 if created else 200)

    @get(guards=[READERS])
    async def find(
        self,
        request: Request,
        nonce: FromQuery[str | None] = None,
        ticket: FromQuery[str | None] = None,
    ) -> list[SaleOut]:
        """Sales by the till's nonce or by one of their tickets (number or code); else the latest."""
        async with runtime(request).db.read_session() as session:
            return await sales.find_sales(session, nonce=nonce, ticket_ref=ticket)

    @get("/{sale_id:int}", guards=[READERS])
    async def show(self, request: Request, sale_id: FromPath[int]) -> SaleOut:
        async with runtime(request).db.read_session() as session:
            return await sales.sale_out(session, await sales.get_sale(session, sale_id))

    @post("/{sale_id:int}/refund", guards=[SELLERS], status_code=200)
    async def refund(self, request: Request, sale_id: FromPath[int], data: JSONBody[RefundIn]) -> SaleOut:
        """Void the sale's tickets (gates reject them as `void`) and mark it refunded."""
        rt = runtime(request)
        async with rt.db.session() as session:
            sale = await sales.refund_sale(session, sale_id, data)
            out = await sales.sale_out(session, sale)
        rt.notifier.poke()
        return out

    @get("/report", guards=[READERS])
    async def report(
        self,
        request: Request,
        day: Annotated[str | None, Parameter(query="date", description="YYYY-MM-DD, venue time")] = None,
    ) -> SalesReport:
        """End of day per device and payment method (`date` in the venue's time zone; default today)."""
        async with runtime(request).db.read_session() as session:
            tz = ZoneInfo((await catalog.get_venue(session)).timezone)
            return await sales.day_report(session, _parse_day(day, tz), tz)

    @get("/payment-methods", guards=[READERS])
    async def payment_methods(self, request: Request) -> PaymentConfig:
        async with runtime(request).db.read_session() as session:
            return await sales.payment_config(session)

    @put("/payment-methods", guards=[allow()])
    async def save_payment_methods(self, request: Request, data: JSONBody[PaymentConfig]) -> PaymentConfig:
        async with runtime(request).db.session() as session:
            return await sales.save_payment_config(session, data)

    @post("/signing-key", guards=[SELLERS], status_code=201)
    async def register_signing_key(self, request: Request, data: JSONBody[SigningKeyIn]) -> SigningKeyOut:
        """A box office's own public key (made at enrollment); gates learn it from the feed."""
        rt = runtime(request)
        async with rt.db.session() as session:
            out = await sales.register_signing_key(session, principal(request), data)
        rt.notifier.poke()
        return out


def _parse_day(value: str | None, tz: ZoneInfo) -> date:
    if value is None:
        return datetime.now(UTC).astimezone(tz).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequestError(f"day must be YYYY-MM-DD, not {value!r}") from exc

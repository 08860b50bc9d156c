"""A sale's lines, priced (by template id or PLU, in one currency), and the sale row
built from them, online or offline alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SaleIn, SaleLineIn, SaleLineOut
from admission.db.models import Event, Sale, Template
from admission.domain import payments
from admission.domain.errors import InvalidRequestError
from admission.domain.payments import PaymentIn
from admission.services.devices import Principal


@dataclass(frozen=True, slots=True)
class PricedLine:
    template: Template
    event: Event | None
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    def out(self) -> SaleLineOut:
        return SaleLineOut(
            template_id=self.template.id,
            template=self.template.name,
            plu=self.template.plu,
            event_id=self.event.id if self.event else None,
            event=self.event.name if self.event else None,
            quantity=self.quantity,
            unit_price_cents=self.unit_price_cents,
            total_cents=self.total_cents,
        )


async def priced_lines(session: AsyncSession, data: SaleIn) -> list[PricedLine]:
    priced = []
    for number, line in enumerate(data.lines, 1):
        template = await _line_template(session, number, line)
        event = None
        if line.event_id is not None:
            event = await session.get(Event, line.event_id)
            if event is None:
                raise InvalidRequestError(f"line {number}: event {line.event_id} does not exist")
        price = template.price_cents
        if data.offline and line.unit_price_cents is not None:
            price = line.unit_price_cents  # what the till charged from its snapshot
        priced.append(
            PricedLine(template=template, event=event, quantity=line.quantity, unit_price_cents=price)
        )
    currencies = {p.template.currency for p in priced}
    if len(currencies) > 1:
        raise InvalidRequestError(f"one sale, one currency: these lines mix {', '.join(sorted(currencies))}")
    return priced


async def _line_template(session: AsyncSession, number: int, line: SaleLineIn) -> Template:
    if line.plu is not None:
        template = await session.scalar(select(Template).where(Template.plu == line.plu))
        if template is None:
            raise InvalidRequestError(f"line {number}: no template has PLU {line.plu!r}")
        return template
    template = await session.get(Template, line.template_id)
    if template is None:
        raise InvalidRequestError(f"line {number}: template {line.template_id} does not exist")
    return template


def new_sale(
    who: Principal, data: SaleIn, priced: Sequence[PricedLine], sold_at: datetime, brand: str | None
) -> Sale:
    return Sale(
        nonce=data.nonce,
        device_id=who.device_id,
        sold_at=sold_at,
        received_at=datetime.now(UTC),
        offline=data.offline,
        payment_method=data.payment.method.value,
        card_brand=brand,
        total_cents=sum(p.total_cents for p in priced),
        stored_value_cents=sum(part.amount_cents for part in data.stored_value),
        currency=priced[0].template.currency,
        status="completed",
        buyer_email=data.buyer_email,
        lines=[msgspec.to_builtins(p.out()) for p in priced],
        request_digest=request_digest(data),
    )


def request_digest(data: SaleIn) -> str:
    """What tells a re-sent request (the same digest) from another sale under the same nonce.

    Fields added since a request was first recorded are left out while they hold their default,
    so a till's queued sale re-sent after an upgrade digests as it did when it was recorded."""
    raw = msgspec.to_builtins(data)
    for added in NEWER_SALE_FIELDS:
        if not raw.get(added):
            raw.pop(added, None)
    return sha256(msgspec.json.encode(raw)).hexdigest()


NEWER_SALE_FIELDS = ("further_tenders", "invoice", "stored_value")


def card_brand(payment: PaymentIn) -> str | None:
    return payments.normalise_brand(payment.card_brand) if payment.card_brand else None

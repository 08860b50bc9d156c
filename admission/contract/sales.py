"""Box-office sales, refunds, till signing keys and the end-of-day report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from admission.contract.cards import StoredValuePart
from admission.contract.common import Cents, Id, Nonce
from admission.contract.payments import InvoiceIn
from admission.contract.tickets import TicketOut
from admission.domain import certificates
from admission.domain.payments import PaymentIn, PaymentMethod
from admission.domain.tenders import MAX_TENDERS, TenderLine

MAX_LINES = 50


MAX_LINE_QUANTITY = 500


MAX_SALE_TICKETS = 1000


class SaleLineIn(msgspec.Struct, kw_only=True):
    """One line: a template by id or by PLU, an event for event templates, a quantity.

    `unit_price_cents` is what an offline till charged (its snapshot's price); online sales
    always use the service's current price.
    """

    template_id: Id | None = None
    plu: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] | None = None
    event_id: Id | None = None
    quantity: Annotated[int, msgspec.Meta(ge=1, le=MAX_LINE_QUANTITY)]
    unit_price_cents: Cents | None = None


Email = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]


class SaleIn(msgspec.Struct, kw_only=True):
    nonce: Nonce
    lines: Annotated[list[SaleLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    payment: PaymentIn
    sold_at: datetime | None = None  # offline sales: when the till sold; online: the server's time
    offline: bool = False
    tickets: Annotated[list[Annotated[str, msgspec.Meta(max_length=400)]], msgspec.Meta(max_length=1000)] = []
    buyer_email: Email | None = None
    # A split payment: the tenders after `payment` (e.g. payment 20.00 by card, then 5.00 cash);
    # together they pay the total, only cash may exceed it (change).
    further_tenders: Annotated[list[PaymentIn], msgspec.Meta(max_length=MAX_TENDERS - 1)] = []
    invoice: InvoiceIn | None = None  # with an `invoice` tender: who pays later, reference, due date

    def all_tenders(self) -> list[PaymentIn]:
        return [self.payment, *self.further_tenders]
    # Parts paid from gift or stored-value cards, in the same transaction as the sale: `payment`
    # then covers the rest (a cash or bank-card payment of 0 when the cards pay it all).
    stored_value: Annotated[list[StoredValuePart], msgspec.Meta(max_length=5)] = []


class SaleLineOut(msgspec.Struct, kw_only=True):
    template_id: int
    template: str
    plu: str | None
    event_id: int | None
    event: str | None
    quantity: int
    unit_price_cents: int
    total_cents: int


class SaleCardPart(msgspec.Struct, kw_only=True):
    """What one gift or stored-value card paid of a sale, and what its refund put back.

    `refunded_to` is the card credited: the paying card, or the card a lost one's balance moved to."""

    card_number: str
    paid_cents: int
    refunded_cents: int = 0
    refunded_to: str | None = None


class SaleOut(msgspec.Struct, kw_only=True):
    id: int
    nonce: str
    device: str | None
    sold_at: datetime
    received_at: datetime
    offline: bool
    payment_method: PaymentMethod
    card_brand: str | None
    total_cents: int
    currency: str
    status: str  # completed | refunded
    refunded_at: datetime | None
    buyer_email: str | None
    lines: list[SaleLineOut]
    tickets: list[TicketOut]
    # How it was paid, tender by tender, summing exactly to the total (`payment_method` is the first).
    tenders: list[TenderLine] = []
    stored_value_cents: int = 0  # paid from cards; `payment_method` took the rest
    card_parts: list[SaleCardPart] = []  # card by card: what each paid and got back


class SaleCancelOut(msgspec.Struct, kw_only=True):
    """A till's unanswered sale attempt, settled by its nonce: exactly one of the two is set.

    `sale`: the attempt had reached the service and was recorded (refund it or keep it);
    `cancelled_at`: it had not, and now never will be: a request with this nonce arriving later
    is refused and records nothing.
    """

    nonce: str
    sale: SaleOut | None = None
    cancelled_at: datetime | None = None


class RefundIn(msgspec.Struct, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=150)] = "refunded"
    # A used ticket is normally not refunded; a supervisor may decide otherwise.
    include_used: bool = False


class SigningKeyIn(msgspec.Struct, kw_only=True):
    public_key: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class SigningKeyOut(msgspec.Struct, kw_only=True):
    key_id: int
    device: str


# The certificate's wire shape is the domain's: a till verifies its signature itself.
TillCertificate = certificates.TillCertificate


class CertificateIn(msgspec.Struct, kw_only=True):
    """A till asks for (a renewal of) the certificate of one of its own keys."""

    key_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class MethodTotals(msgspec.Struct, kw_only=True):
    method: PaymentMethod
    currency: str
    sales: int = 0
    tickets: int = 0
    sold_cents: int = 0
    refunds: int = 0
    refunded_cents: int = 0
    net_cents: int = 0
    by_card_brand: dict[str, int] = {}  # net per brand (card only)


class OfflineSaleLine(msgspec.Struct, kw_only=True):
    sale_id: int
    device: str
    sold_at: datetime
    synced_at: datetime  # when the service received it
    delay_seconds: float
    method: PaymentMethod
    total_cents: int
    currency: str


class DeviceDay(msgspec.Struct, kw_only=True):
    device: str
    methods: list[MethodTotals]
    cash_to_count_cents: int  # cash sold minus cash refunded: what the drawer should hold extra
    card_total_cents: int
    offline_sales: int
    offline_total_cents: int
    last_offline_synced_at: datetime | None


class SalesReport(msgspec.Struct, kw_only=True):
    date: date
    timezone: str
    devices: list[DeviceDay]
    totals: list[MethodTotals]
    offline_sales: list[OfflineSaleLine]
    note: str = (
        "Sales count on the day they were sold, refunds on the day they were made, both at the "
        "selling device. Offline sales appear once their till has synced."
    )

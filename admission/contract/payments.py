"""Payment routines on the wire: card-terminal incidents, invoices (pay later)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from admission.contract.common import NO_NUL

Cause = Annotated[str, msgspec.Meta(min_length=1, max_length=150, pattern=NO_NUL)]
Note = Annotated[str, msgspec.Meta(max_length=500, pattern=NO_NUL)]


class TerminalIncidentIn(msgspec.Struct, kw_only=True):
    """A till's card terminal went down (and, once `ended_at` is set, came back).

    Put under the till's own nonce: the till sends it when the switch goes on and again when it
    goes off, from its outbox when offline; the service keeps one incident per (device, nonce).
    """

    started_at: datetime
    ended_at: datetime | None = None
    cause: Cause
    note: Note | None = None


class MethodUse(msgspec.Struct, kw_only=True):
    """How guests paid at the till while its terminal was down (the seed's "alternative methods used")."""

    method: str
    sales: int
    cents: int


class TerminalIncidentOut(msgspec.Struct, kw_only=True):
    id: int
    device: str
    nonce: str
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None  # ongoing: None
    cause: str
    note: str | None
    received_at: datetime
    paid_with: list[MethodUse] = []


class InvoiceIn(msgspec.Struct, kw_only=True):
    """Who pays later, under what reference, by when: sent with a sale that has an invoice tender."""

    customer: Annotated[str, msgspec.Meta(min_length=1, max_length=150, pattern=NO_NUL)]
    reference: Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=NO_NUL)]
    due_date: date


class InvoicePaidIn(msgspec.Struct, kw_only=True):
    note: Note | None = None


class InvoiceOut(msgspec.Struct, kw_only=True):
    id: int
    sale_id: int
    device: str | None
    customer: str
    reference: str
    due_date: date
    amount_cents: int
    currency: str
    status: str  # unpaid | paid | cancelled (its sale was refunded before it was paid)
    overdue: bool  # unpaid past its due date (the venue's today)
    issued_at: datetime
    paid_at: datetime | None
    paid_by: str | None
    note: str | None


Money = Annotated[int, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)]
TillName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NO_NUL)]


class SettlementIn(msgspec.Struct, kw_only=True):
    """A card terminal's end-of-day settlement total (the acquirer's report) for a till and day."""

    till: TillName
    date: date
    total_cents: Money
    note: Note | None = None


class StoredCardPayment(msgspec.Struct, kw_only=True):
    """A card payment a till took offline: the terminal stored it and forwards it later, so it
    may be settled on a later day than it was sold."""

    sale_id: int
    sold_at: datetime
    synced_at: datetime
    card_brand: str | None
    amount_cents: int


class TillReconciliation(msgspec.Struct, kw_only=True):
    till: str
    settlement_cents: int | None  # None: no settlement entered for this till and day
    online_card_cents: int  # card tenders authorised online, net of card refunds that day
    offline_card_cents: int  # stored (store-and-forward) card tenders sold offline that day
    difference_cents: int | None  # settlement - online card payments
    difference_with_offline_cents: int | None  # settlement - online - stored payments
    status: str  # matches | matches_with_stored | mismatch | no_settlement
    stored_payments: list[StoredCardPayment]
    note: str | None = None


class ReconciliationReport(msgspec.Struct, kw_only=True):
    date: date
    timezone: str
    currency: str
    tills: list[TillReconciliation]


class CashUpIn(msgspec.Struct, kw_only=True):
    till: TillName
    date: date
    counted_cents: Money
    float_cents: Money = 0  # the change the drawer started the day with
    counted_by: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NO_NUL)]
    note: Note | None = None


class TenderDay(msgspec.Struct, kw_only=True):
    """One tender kind at one till on one day (any kind: cash, card, invoice, and what comes)."""

    tender: str
    sales: int
    sold_cents: int
    refunds: int
    refunded_cents: int
    net_cents: int


class CashUpOut(msgspec.Struct, kw_only=True):
    float_cents: int
    counted_cents: int
    expected_cents: int  # float + cash taken - cash refunded, when it was counted
    over_short_cents: int  # counted - expected: positive over, negative short
    counted_by: str
    counted_at: datetime  # the venue's time
    note: str | None


class TillDay(msgspec.Struct, kw_only=True):
    till: str
    tenders: list[TenderDay]
    net_cents: int
    cash_net_cents: int
    cash_up: CashUpOut | None


class EndOfDayReport(msgspec.Struct, kw_only=True):
    date: date
    timezone: str
    currency: str
    tills: list[TillDay]
    tenders: list[TenderDay]  # the venue's totals per tender kind

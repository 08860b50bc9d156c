"""Gift and stored-value cards: card types, cards, their ledger and the float report."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

import msgspec

from admission.contract.common import NO_NUL, Cents, Name, Nonce
from admission.domain.cards import CardKind, CardStatus, EntryKind, OfflineCaps

Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Pin = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4,12}$")]
# A card by its signed code (QR) or its 16-digit number, as scanned or typed.
CardRefText = Annotated[str, msgspec.Meta(min_length=1, max_length=400, pattern=NO_NUL)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=NO_NUL)]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NO_NUL)]
Tender = Annotated[str, msgspec.Meta(pattern=r"^(cash|card|mobile|mobile_integrated|invoice|none)$")]


class StoredValuePart(msgspec.Struct, kw_only=True):
    """Part of a sale paid from a gift or stored-value card (the rest by `payment`)."""

    card: CardRefText
    amount_cents: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
    pin: Pin | None = None


class CardTypeIn(msgspec.Struct, kw_only=True):
    name: Name
    kind: CardKind
    currency: Currency = "EUR"
    validity_days: Annotated[int, msgspec.Meta(ge=1, le=36_500)] | None = None
    max_balance_cents: Cents | None = None
    unload_limit_cents: Cents = 0
    pin_required: bool = False


class CardTypeOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: CardKind
    currency: str
    validity_days: int | None
    max_balance_cents: int | None
    unload_limit_cents: int
    pin_required: bool
    active: bool


class CardIssueIn(msgspec.Struct, kw_only=True):
    """Sell a new card: its type, the value it starts with and how that was paid."""

    nonce: Nonce
    card_type: Name  # by name
    amount_cents: Cents = 0
    tender: Tender = "cash"
    pin: Pin | None = None


class CardMoveIn(msgspec.Struct, kw_only=True):
    """A load, payment, refund or unload on one card. `occurred_at` and `offline` for entries an
    offline till took and uploads now."""

    nonce: Nonce
    amount_cents: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
    tender: Tender | None = None
    reference: Reference | None = None
    pin: Pin | None = None
    offline: bool = False
    occurred_at: datetime | None = None


class CardAdjustIn(msgspec.Struct, kw_only=True):
    nonce: Nonce
    amount_cents: Annotated[int, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)]
    reason: Text


class CardBlockIn(msgspec.Struct, kw_only=True):
    reason: Text


class CardTransferIn(msgspec.Struct, kw_only=True):
    """A lost card: its whole balance moves to `to_card` (new or existing) and it is blocked."""

    nonce: Nonce
    to_card: CardRefText
    reason: Text = "lost card"


class CardEntryOut(msgspec.Struct, kw_only=True):
    id: int
    kind: EntryKind
    amount_cents: int
    balance_after_cents: int
    device: str | None
    token_id: int | None
    nonce: str
    occurred_at: datetime
    recorded_at: datetime
    offline: bool
    tender: str | None
    reference: str | None
    reason: str | None
    related_card: str | None  # the other card's number in a transfer
    conflict: bool
    conflict_cents: int


class CardOut(msgspec.Struct, kw_only=True):
    id: int
    number: str
    code: str
    card_type: str
    kind: CardKind
    currency: str
    status: CardStatus
    balance_cents: int
    issued_at: datetime
    expires_at: datetime | None
    pin: bool
    blocked_at: datetime | None = None
    block_reason: str | None = None
    replaced_by: str | None = None  # the number of the card its balance moved to
    entries: list[CardEntryOut] = []


class CardEntryResult(msgspec.Struct, kw_only=True):
    """The answer to a ledger write: the entry (replayed for a repeated nonce) and the card now."""

    entry: CardEntryOut
    card: CardOut


class FloatRow(msgspec.Struct, kw_only=True):
    card_type: str
    kind: CardKind
    currency: str
    cards: int
    outstanding_cents: int  # what the venue owes holders: the sum of every ledger of the type
    issued_cents: int = 0
    loaded_cents: int = 0
    paid_cents: int = 0  # payments less refunds to cards
    unloaded_cents: int = 0
    expired_cents: int = 0
    transferred_cents: int = 0  # moved between cards of the type (in minus out: 0 within a type)
    adjusted_cents: int = 0
    conflicts: int = 0
    conflict_cents: int = 0


class FloatReport(msgspec.Struct, kw_only=True):
    timezone: str
    date_from: date | None
    date_to: date | None
    rows: list[FloatRow]
    note: str = (
        "Outstanding is every card's balance now. Movements count entries recorded between the "
        "dates (venue days, both included; all time without dates)."
    )


class CardData(msgspec.Struct, kw_only=True):
    """A card as the feed tells tills (kind "card", key: its serial): what deciding an offline
    payment needs. No number and no PIN: an offline till takes a card by its signed code only,
    and a card with a PIN is not taken offline at all. Only the number's last four digits, which
    every receipt prints anyway, so that an offline receipt names the card as an online one does;
    the whole number would let whoever reads a till's store pay with the card online."""

    serial: str
    card_type_id: int
    status: CardStatus
    balance_cents: int
    currency: str
    expires_at: datetime | None
    pin: bool
    # None in records published before the feed carried them (until the card next moves).
    last4: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}$")] | None = None


class CardSettings(msgspec.Struct, kw_only=True):
    """The manager's offline caps, kept in the venue's settings."""

    offline: OfflineCaps = msgspec.field(default_factory=OfflineCaps)


# A hand-written voucher's number, as printed on the voucher pad (unique at the venue).
VoucherNumber = Annotated[
    str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^\x00\s]([^\x00]*[^\x00\s])?$")
]
# The card as written on the voucher: its 16-digit number (spaces allowed), never a scanned code.
WrittenCardNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=NO_NUL)]


class VoucherIn(msgspec.Struct, kw_only=True):
    """One hand-written voucher: a card taken while no till could take it (seed 000), registered
    later as the card payment it was."""

    voucher: VoucherNumber
    card: WrittenCardNumber
    amount_cents: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
    taken_at: Annotated[datetime, msgspec.Meta(tz=True)]
    note: Text | None = None  # the till and the seller, as written on the voucher


class VouchersIn(msgspec.Struct, kw_only=True):
    vouchers: Annotated[list[VoucherIn], msgspec.Meta(min_length=1, max_length=1000)]


class VoucherOutcome(enum.StrEnum):
    REGISTERED = "registered"  # a payment entry now on the card's ledger
    FLAGGED = "flagged"  # registered, and flagged as a conflict for a manager
    DUPLICATE = "duplicate"  # registered before: counted once, nothing written now
    REFUSED = "refused"  # not registered; `reason` says why


class VoucherResult(msgspec.Struct, kw_only=True):
    voucher: str
    card: str  # the card's number as written (digits only when it was one)
    outcome: VoucherOutcome
    amount_cents: int
    conflict_cents: int = 0  # flagged: what a manager must settle (the overdraw, or all of it)
    balance_cents: int | None = None  # the card's balance after registering
    entry_id: int | None = None
    currency: str | None = None
    reason: str | None = None  # refused or flagged: why, in the caller's language


class VouchersResult(msgspec.Struct, kw_only=True):
    results: list[VoucherResult]
    registered: int
    flagged: int
    duplicates: int
    refused: int

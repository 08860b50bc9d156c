"""Gift and stored-value cards: the rules, pure, shared by the service and the till.

A card's balance is the sum of its ledger, an append-only list of signed amounts (the vocabulary
follows pretix's gift card transactions, with the kinds a till needs named). A gift card is sold
once with its value and spent down; a stored-value (member) card is loaded again and again and
may be unloaded to cash within the venue's limit. Whether a payment, a load or an unload may go
through is decided here, from the card's standing and balance: the service decides it under the
card's row lock, the till the same way offline, from the balance the feed last gave it and its
own unsent entries, within the manager's offline caps.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated

import msgspec

from admission.domain.errors import ConflictError, ForbiddenError, InvalidRequestError
from admission.i18n import _
from admission.i18n.formatting import money


class CardKind(enum.StrEnum):
    GIFT = "gift"  # sold once with its value, spent down, never loaded again
    STORED_VALUE = "stored_value"  # a member or venue card: loaded and unloaded


class EntryKind(enum.StrEnum):
    ISSUE = "issue"  # the value a card is sold with (may be 0 for a stored-value card)
    LOAD = "load"
    PAY = "pay"
    REFUND = "refund"  # a payment given back to the card
    UNLOAD = "unload"  # paid out in cash
    TRANSFER_OUT = "transfer_out"  # a lost card's balance leaving it
    TRANSFER_IN = "transfer_in"  # ... and arriving on its replacement
    EXPIRE = "expire"  # what was left when the card expired
    ADJUST = "adjust"  # a manager's correction, with a reason


# The sign each kind's amount carries in the ledger (ADJUST may go either way).
CREDITS = frozenset({EntryKind.ISSUE, EntryKind.LOAD, EntryKind.REFUND, EntryKind.TRANSFER_IN})
DEBITS = frozenset({EntryKind.PAY, EntryKind.UNLOAD, EntryKind.TRANSFER_OUT, EntryKind.EXPIRE})


class CardStatus(enum.StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"  # lost, stolen or replaced: refused everywhere, offline tills included


Cents = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]


class CardTypeRules(msgspec.Struct, frozen=True, kw_only=True):
    """What a venue decides for one type of card."""

    kind: CardKind
    currency: str = "EUR"
    # Days a card stays valid from its sale; None: it does not expire.
    validity_days: int | None = None
    # The most a card of this type may hold (a stored-value card's cap); None: no cap.
    max_balance_cents: int | None = None
    # The most that may be paid out in cash in one unload; 0: never (gift cards never unload).
    unload_limit_cents: int = 0
    pin_required: bool = False


class OfflineCaps(msgspec.Struct, frozen=True, kw_only=True):
    """The manager's limits on card payments a till takes while it cannot reach the service."""

    per_payment_cents: Cents = 5000
    per_card_per_day_cents: Cents = 10000


class CardStanding(msgspec.Struct, frozen=True, kw_only=True):
    """What deciding needs to know about a card, wherever it is decided."""

    status: CardStatus
    balance_cents: int
    expires_at: datetime | None
    currency: str


class CardRefused(InvalidRequestError):
    """A card operation these rules do not allow (422; the till shows the message)."""


class CardBlocked(ForbiddenError):
    """A blocked card: refused for every operation but a manager's look-up (403)."""


class InsufficientBalance(ConflictError):
    """A payment larger than the card holds (409: the balance is what it is right now)."""


def check_usable(card: CardStanding, now: datetime) -> None:
    if card.status is CardStatus.BLOCKED:
        raise CardBlocked(_("this card is blocked: it may not be used"))
    if card.expires_at is not None and now >= card.expires_at:
        raise CardRefused(_("this card expired on {date}").format(date=card.expires_at.date().isoformat()))


def check_payment(card: CardStanding, amount_cents: int, now: datetime) -> None:
    """Whether `amount_cents` may be paid from the card now: never more than it holds."""
    check_usable(card, now)
    if amount_cents <= 0:
        raise CardRefused(_("a card payment must be more than zero"))
    if amount_cents > card.balance_cents:
        raise InsufficientBalance(
            _("the card holds {balance}, less than {amount}: take the rest another way").format(
                balance=money(card.balance_cents, card.currency), amount=money(amount_cents, card.currency)
            )
        )


def check_load(rules: CardTypeRules, card: CardStanding, amount_cents: int, now: datetime) -> None:
    check_usable(card, now)
    if rules.kind is CardKind.GIFT:
        raise CardRefused(_("a gift card cannot be loaded again: sell a new one"))
    if amount_cents <= 0:
        raise CardRefused(_("a load must be more than zero"))
    check_cap(rules, card.balance_cents + amount_cents)


def check_cap(rules: CardTypeRules, balance_after: int) -> None:
    if rules.max_balance_cents is not None and balance_after > rules.max_balance_cents:
        raise CardRefused(
            _("a card of this type may hold at most {cap}").format(
                cap=money(rules.max_balance_cents, rules.currency)
            )
        )


def check_unload(rules: CardTypeRules, card: CardStanding, amount_cents: int, now: datetime) -> None:
    """Paying a card's value out in cash: stored-value cards only, within the type's limit."""
    check_usable(card, now)
    if rules.kind is CardKind.GIFT or rules.unload_limit_cents == 0:
        raise CardRefused(_("cards of this type cannot be paid out in cash"))
    if amount_cents <= 0:
        raise CardRefused(_("an unload must be more than zero"))
    if amount_cents > rules.unload_limit_cents:
        raise CardRefused(
            _("at most {limit} may be paid out at once").format(
                limit=money(rules.unload_limit_cents, rules.currency)
            )
        )
    if amount_cents > card.balance_cents:
        raise InsufficientBalance(
            _("the card holds {balance}, less than {amount}").format(
                balance=money(card.balance_cents, card.currency), amount=money(amount_cents, card.currency)
            )
        )


def check_offline_payment(
    caps: OfflineCaps, card: CardStanding | None, amount_cents: int, spent_today_cents: int, now: datetime
) -> None:
    """Whether a till that cannot reach the service may take this payment from a card.

    `card` is what the till knows (the feed's last balance less its own unsent entries); None
    when the feed never gave it this card: an unknown card is refused, never taken on trust.
    `spent_today_cents` is what this till took from the card offline today (venue day)."""
    if card is None:
        raise CardRefused(_("this till does not know the card's balance: it cannot be taken offline"))
    check_payment(card, amount_cents, now)
    if amount_cents > caps.per_payment_cents:
        raise CardRefused(
            _("offline, a card may pay at most {cap} at once").format(
                cap=money(caps.per_payment_cents, card.currency)
            )
        )
    if spent_today_cents + amount_cents > caps.per_card_per_day_cents:
        left = max(caps.per_card_per_day_cents - spent_today_cents, 0)
        raise CardRefused(
            _("offline, this card may pay {left} more today").format(left=money(left, card.currency))
        )


def voucher_conflict(
    card: CardStanding, blocked_at: datetime | None, amount_cents: int, taken_at: datetime
) -> tuple[int, str | None]:
    """What a hand-written voucher leaves for a manager to settle, and why: (0, None) for none.

    The seller took the card on trust with no till to ask, and the guest has left: the payment
    is registered whatever this says. A card already blocked or expired when it was taken owes
    the venue the whole amount; otherwise what the card no longer held (another till or voucher
    spent it meanwhile) is the overdraw, never clamped away."""
    if blocked_at is not None and blocked_at <= taken_at:
        return amount_cents, _("the card was blocked when the voucher was taken")
    if card.expires_at is not None and card.expires_at <= taken_at:
        return amount_cents, _("the card had expired when the voucher was taken")
    overdraw = amount_cents - min(max(card.balance_cents, 0), amount_cents)
    if overdraw:
        return overdraw, _("the card held {balance}: overdrawn by {amount}").format(
            balance=money(max(card.balance_cents, 0), card.currency), amount=money(overdraw, card.currency)
        )
    return 0, None


def signed_amount(kind: EntryKind, amount_cents: int) -> int:
    """The amount as the ledger sums it: credits positive, debits negative; ADJUST as given."""
    if kind in DEBITS:
        return -abs(amount_cents)
    if kind in CREDITS:
        return abs(amount_cents)
    return amount_cents


# A PIN is short: scrypt makes guessing it from a stolen database slow, as the gate's PIN.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    if not (4 <= len(pin) <= 12 and pin.isascii() and pin.isdigit()):
        raise InvalidRequestError(_("a card PIN is 4 to 12 digits"))
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def pin_matches(pin: str | None, stored: str | None) -> bool:
    """True when the card has no PIN, or `pin` is it."""
    if stored is None:
        return True
    if pin is None:
        return False
    try:
        _scheme, salt, digest = stored.split("$")
        computed = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)

"""Split payment: one sale paid by several tenders (part cash, part card, part invoice...).

Pure, shared by the service and the till. The tender lines a sale records always sum exactly to
its total: each non-cash tender pays what it says (a card is charged, an invoice is written, for
that amount), and cash pays the rest, with change handed back from the cash alone. A payment by
one tender is the case of one line, checked by `payments.check_payment` as ever.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from admission.domain.payments import (
    PaymentConfig,
    PaymentIn,
    PaymentMethod,
    PaymentRefused,
    check_payment,
    money,
    normalise_brand,
)
from admission.i18n import _

MAX_TENDERS = 10


class TenderLine(msgspec.Struct, frozen=True, kw_only=True):
    """What one tender paid of the sale (`amount_cents`) and what was handed over (`tendered_cents`:
    more than the amount for cash with change)."""

    method: PaymentMethod
    card_brand: str | None
    amount_cents: int
    tendered_cents: int


def left_after_cards(card_parts_cents: Sequence[int], total_cents: int) -> int:
    """What the tenders pay of a sale once its gift and stored-value card parts are taken off: the
    cards' part is in their ledgers, never in the drawer or the card terminal."""
    from_cards = sum(card_parts_cents)
    if from_cards > total_cents:
        raise PaymentRefused(_("the cards would pay more than the sale's total"))
    return total_cents - from_cards


def check_tenders(
    config: PaymentConfig,
    tenders: Sequence[PaymentIn],
    total_cents: int,
    *,
    offline: bool,
    stored_card_payments: int | None = None,
) -> None:
    """Raise PaymentRefused with a message for the seller unless these tenders may pay the total."""
    if len(tenders) == 1:
        check_payment(
            config, tenders[0], total_cents, offline=offline, stored_card_payments=stored_card_payments
        )
        return
    if len(tenders) > MAX_TENDERS:
        raise PaymentRefused(_("a sale takes at most {most} tenders").format(most=MAX_TENDERS))
    if sum(1 for t in tenders if t.method is PaymentMethod.CASH) > 1:
        raise PaymentRefused(_("a split payment takes one cash tender: add the cash up"))
    stored = stored_card_payments
    for tender in tenders:
        if tender.amount_cents <= 0:
            raise PaymentRefused(_("each part of a split payment must be more than zero"))
        # Each tender on its own, for its own amount: method taken, brand, offline rule, card limit.
        check_payment(config, tender, tender.amount_cents, offline=offline, stored_card_payments=stored)
        if stored is not None and tender.method is PaymentMethod.CARD:
            stored += 1
    exact = sum(t.amount_cents for t in tenders if t.method is not PaymentMethod.CASH)
    if exact > total_cents:
        raise PaymentRefused(
            _("the card, mobile and invoice parts come to {parts}, more than the total {total}").format(
                parts=money(exact), total=money(total_cents)
            )
        )
    paid = sum(t.amount_cents for t in tenders)
    if paid < total_cents:
        raise PaymentRefused(
            _("the parts come to {paid}, short of the total {total}").format(
                paid=money(paid), total=money(total_cents)
            )
        )


def tender_lines(tenders: Sequence[PaymentIn], total_cents: int) -> list[TenderLine]:
    """The tenders as the sale records them, summing exactly to the total (checked tenders)."""
    exact = sum(t.amount_cents for t in tenders if t.method is not PaymentMethod.CASH)
    lines = []
    for tender in tenders:
        amount = total_cents - exact if tender.method is PaymentMethod.CASH else tender.amount_cents
        if len(tenders) == 1:
            amount = total_cents
        lines.append(
            TenderLine(
                method=tender.method,
                card_brand=normalise_brand(tender.card_brand) if tender.card_brand else None,
                amount_cents=amount,
                tendered_cents=tender.amount_cents,
            )
        )
    return lines


def change_due(tenders: Sequence[PaymentIn], total_cents: int) -> int:
    """Cash handed back: what was tendered beyond the total (only cash gives change)."""
    if not any(t.method is PaymentMethod.CASH for t in tenders):
        return 0
    return max(sum(t.amount_cents for t in tenders) - total_cents, 0)

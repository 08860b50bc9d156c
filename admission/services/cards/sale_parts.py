"""A sale's card parts: what each card paid (its `pay` entry, referenced "sale <nonce>" in the
selling device's nonce scope) and, once the sale is refunded, what went back onto it.

A refund credits each paying card in the refund's own transaction, with a `refund` entry whose
nonce is made from the sale's id and the part's place: written once, whoever refunds and however
often the request is sent. A card whose balance moved to a new card (lost) is followed to that
card, so the money lands where the guest can spend it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SaleCardPart
from admission.db.models import Card, CardEntry, Sale
from admission.domain import cards as rules
from admission.domain.card_codes import mask_card_number
from admission.domain.cards import EntryKind
from admission.domain.errors import ConflictError
from admission.i18n import _
from admission.services.cards import ledger
from admission.services.cards.ledger import NewEntry, Writer
from admission.services.devices import Principal


@dataclass(frozen=True, slots=True)
class _Paid:
    place: int  # 1, 2… in the order the sale paid them
    card_id: int
    amount_cents: int  # positive: what the card paid


def sale_reference(sale: Sale) -> str:
    return f"sale {sale.nonce}"


def refund_reference(sale: Sale) -> str:
    return f"refund of sale {sale.nonce}"


def refund_nonce(sale: Sale, place: int) -> str:
    return f"refund-sale-{sale.id}>card{place}"


async def _payments(session: AsyncSession, sale: Sale) -> list[_Paid]:
    rows = (
        await session.scalars(
            select(CardEntry)
            .where(
                CardEntry.kind == EntryKind.PAY.value,
                CardEntry.nonce_scope == (sale.device_id or ledger.SERVICE_SCOPE),
                CardEntry.reference == sale_reference(sale),
            )
            .order_by(CardEntry.id)
        )
    ).all()
    return [_Paid(place, e.card_id, -e.amount_cents) for place, e in enumerate(rows, 1)]


async def _current_card(session: AsyncSession, card_id: int) -> Card:
    """The card now holding a card's money: itself, or the card its balance moved to (lost)."""
    card = await session.get(Card, card_id)
    seen = set()
    while card is not None and card.replaced_by is not None and card.id not in seen:
        seen.add(card.id)
        card = await session.get(Card, card.replaced_by)
    assert card is not None
    return card


async def refund_card_parts(session: AsyncSession, who: Principal, sale: Sale) -> None:
    """Put back on each card what it paid of `sale` (called under the sale's row lock)."""
    paid = await _payments(session, sale)
    if not paid:
        return
    writer = Writer.of(who)
    now = datetime.now(UTC)
    targets = {p.place: await _current_card(session, p.card_id) for p in paid}
    # One locking order for every card of the refund: two refunds sharing cards cannot deadlock.
    for card_id in sorted({card.id for card in targets.values()}):
        await ledger.lock_card(session, card_id)
    for part in paid:
        card = targets[part.place]
        new = NewEntry(
            EntryKind.REFUND,
            part.amount_cents,
            refund_nonce(sale, part.place),
            reference=refund_reference(sale),
            related_card_id=part.card_id if card.id != part.card_id else None,
        )
        earlier = await ledger.previous(session, writer, new.nonce)
        if earlier is not None:
            ledger.check_replay(earlier, card.id, new)
            continue
        standing = ledger.standing_of(card, await ledger.balance_of(session, card.id))
        try:
            rules.check_usable(standing, now)
        except (rules.CardRefused, rules.CardBlocked) as exc:
            raise ConflictError(
                _("card {card} cannot take back its part of the sale: {reason}").format(
                    card=mask_card_number(card.number), reason=exc
                )
            ) from None
        # No cap check: the money was on the card before the sale.
        await ledger.append(session, card, writer, new)


async def card_parts(session: AsyncSession, sale: Sale) -> list[SaleCardPart]:
    """Card by card, what paid the sale and what its refund put back (and onto which card)."""
    if sale.stored_value_cents == 0:
        return []
    paid = await _payments(session, sale)
    nonces = {refund_nonce(sale, p.place): p.place for p in paid}
    refunds = (
        await session.scalars(
            select(CardEntry).where(
                CardEntry.kind == EntryKind.REFUND.value,
                CardEntry.nonce.in_(nonces),
                CardEntry.reference == refund_reference(sale),
            )
        )
    ).all()
    back = {nonces[e.nonce]: e for e in refunds}
    ids = {p.card_id for p in paid} | {e.card_id for e in refunds}
    numbers = dict((await session.execute(select(Card.id, Card.number).where(Card.id.in_(ids)))).all())
    return [
        SaleCardPart(
            card_number=numbers[p.card_id],
            paid_cents=p.amount_cents,
            refunded_cents=back[p.place].amount_cents if p.place in back else 0,
            refunded_to=numbers[back[p.place].card_id] if p.place in back else None,
        )
        for p in paid
    ]


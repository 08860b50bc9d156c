"""Hand-written vouchers registered later (seed 000): when no till could take a card (its code
would not scan, the till never got it from the feed, the till itself was down), the seller wrote
the card's number, the amount, the time and who took it on a numbered voucher. Registered, each
voucher becomes the `pay` entry it would have been, with the rules of an offline payment: kept
even when the card turns out blocked or overdrawn, and then flagged with the amount for a manager.

The voucher's number is its nonce in a scope of the venue's own (`VOUCHER_SCOPE`), whoever
registers it: the same voucher twice is counted once; the same number for another card or amount
is refused. A bad card number refuses that voucher only, with its reason; the others register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import VoucherIn, VoucherOutcome, VoucherResult, VouchersIn, VouchersResult
from admission.db.models import Card, CardEntry
from admission.domain import cards as rules
from admission.domain.card_codes import CARD_NUMBER_LENGTH, is_valid_card_number
from admission.domain.cards import EntryKind
from admission.domain.errors import ConflictError
from admission.i18n import _
from admission.services.cards import ledger
from admission.services.cards.ledger import VOUCHER_SCOPE, NewEntry, Writer
from admission.services.devices import Principal

# A voucher's clock is the seller's watch: a few minutes ahead is a watch, more is a wrong date.
CLOCK_SLACK = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class _Found:
    voucher: VoucherIn
    number: str
    card_id: int | None
    refusal: str | None


def written_number(text: str) -> str:
    """A card number as written by hand: spaces and dashes between the groups left out."""
    return "".join(c for c in text if c not in " -")


async def _find(session: AsyncSession, voucher: VoucherIn, now: datetime) -> _Found:
    number = written_number(voucher.card)
    if not (number.isascii() and number.isdigit() and len(number) == CARD_NUMBER_LENGTH):
        refusal = _("a card number has 16 digits")
    elif not is_valid_card_number(number):
        refusal = _("the card number's check digit is wrong: mistyped on the voucher?")
    elif voucher.taken_at > now + CLOCK_SLACK:
        refusal = _("the voucher's time is in the future")
    else:
        card = (await session.execute(select(Card.id, Card.issued_at).where(Card.number == number))).first()
        if card is None:
            return _Found(voucher, number, None, _("no card has this number"))
        if voucher.taken_at < card.issued_at - CLOCK_SLACK:
            # No card is paid with before it was sold: a wrong number, or a wrong date, on the voucher.
            return _Found(voucher, number, None, _("this card was sold after the voucher's time"))
        return _Found(voucher, number, card.id, None)
    return _Found(voucher, number, None, refusal)


async def register_vouchers(session: AsyncSession, who: Principal | None, data: VouchersIn) -> VouchersResult:
    """Register a pile of vouchers in one transaction, answering each."""
    now = datetime.now(UTC)
    found = [await _find(session, v, now) for v in data.vouchers]
    # Every card locked up front in one order: two piles registered at once cannot deadlock.
    cards = {i: await ledger.lock_card(session, i) for i in sorted({f.card_id for f in found if f.card_id})}
    writer = Writer.of(who, shared_scope=VOUCHER_SCOPE)
    results = []
    for item in found:
        if item.card_id is None:
            results.append(_refused(item, item.refusal or ""))
            continue
        try:
            results.append(await _register(session, cards[item.card_id], writer, item))
        except ConflictError:
            refusal = _("voucher {voucher} was already registered for another card or amount").format(
                voucher=item.voucher.voucher
            )
            results.append(_refused(item, refusal))
    counts = {outcome: sum(r.outcome is outcome for r in results) for outcome in VoucherOutcome}
    return VouchersResult(
        results=results,
        registered=counts[VoucherOutcome.REGISTERED],
        flagged=counts[VoucherOutcome.FLAGGED],
        duplicates=counts[VoucherOutcome.DUPLICATE],
        refused=counts[VoucherOutcome.REFUSED],
    )


async def _register(session: AsyncSession, card: Card, writer: Writer, item: _Found) -> VoucherResult:
    voucher = item.voucher
    new = NewEntry(
        EntryKind.PAY,
        voucher.amount_cents,
        voucher.voucher,
        occurred_at=voucher.taken_at,
        offline=True,
        reference=_reference(voucher.voucher),
        reason=voucher.note,
    )
    earlier = await ledger.previous(session, writer, voucher.voucher)
    if earlier is not None:
        ledger.check_replay(earlier, card.id, new)  # ConflictError: the number names another payment
        return await _answer(session, card, earlier, item, VoucherOutcome.DUPLICATE, None)
    standing = ledger.standing_of(card, await ledger.balance_of(session, card.id))
    conflict_cents, why = rules.voucher_conflict(
        standing, card.blocked_at, voucher.amount_cents, voucher.taken_at
    )
    entry = await ledger.append(session, card, writer, new, conflict_cents=conflict_cents)
    outcome = VoucherOutcome.FLAGGED if entry.conflict else VoucherOutcome.REGISTERED
    return await _answer(session, card, entry, item, outcome, why)


def _reference(voucher: str) -> str:
    return f"voucher {voucher}"


async def _answer(
    session: AsyncSession,
    card: Card,
    entry: CardEntry,
    item: _Found,
    outcome: VoucherOutcome,
    why: str | None,
) -> VoucherResult:
    return VoucherResult(
        voucher=item.voucher.voucher,
        card=item.number,
        outcome=outcome,
        amount_cents=item.voucher.amount_cents,
        conflict_cents=entry.conflict_cents,
        balance_cents=await ledger.balance_of(session, card.id),
        entry_id=entry.id,
        currency=card.currency,
        reason=why if why is not None or not entry.conflict else _("flagged as a conflict when registered"),
    )


def _refused(item: _Found, reason: str) -> VoucherResult:
    return VoucherResult(
        voucher=item.voucher.voucher,
        card=item.number,
        outcome=VoucherOutcome.REFUSED,
        amount_cents=item.voucher.amount_cents,
        reason=reason,
    )

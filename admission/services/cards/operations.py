"""What a seller and a manager do with cards: sell, load, pay, refund, unload, adjust, block,
move a lost card's balance, expire. Each is one transaction on the card's locked row (see
`ledger`); a retried request with the same nonce is answered with what it did the first time."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import (
    CardAdjustIn,
    CardBlockIn,
    CardEntryResult,
    CardIssueIn,
    CardMoveIn,
    CardOut,
    CardTransferIn,
    StoredValuePart,
)
from admission.db.models import Card, CardEntry, CardType
from admission.domain import cards as rules
from admission.domain.card_codes import (
    SignedCard,
    classify_card,
    new_card_number,
    sign_card,
    verify_card_code,
)
from admission.domain.cards import CardKind, CardStatus, EntryKind
from admission.domain.codes import CodeError, new_serial, to_code_precision
from admission.domain.errors import ForbiddenError, InvalidRequestError, NotFoundError
from admission.i18n import _
from admission.services.cards import ledger
from admission.services.cards.ledger import NewEntry, Writer
from admission.services.cards.types import card_type_named, rules_of
from admission.services.devices import Principal
from admission.services.keys import KeyRing

MOVES = frozenset({EntryKind.LOAD, EntryKind.PAY, EntryKind.REFUND, EntryKind.UNLOAD})


class WrongPin(ForbiddenError):
    """A PIN card used without its PIN, or with a wrong one."""


async def card_keys(session: AsyncSession, ring: KeyRing) -> Mapping[int, Ed25519PublicKey]:
    """The keys that may vouch for a card: the service's own, not withdrawn (never a till's)."""
    standings = await ring.current(session)
    return {k: s.public for k, s in standings.items() if not s.till and s.revoked_at is None}


async def find_card(session: AsyncSession, ring: KeyRing, ref: str) -> Card:
    """A card by its scanned code or its number (spaces allowed), or by its row id ("#12")."""
    if ref.startswith("#") and ref[1:].isdigit():
        card = await session.get(Card, int(ref[1:]))
    else:
        try:
            found = classify_card(ref)
        except CodeError as exc:
            raise InvalidRequestError(str(exc)) from None
        if found is None:
            raise InvalidRequestError(_("this is neither a card code nor a 16-digit card number"))
        if found.kind == "number":
            card = await session.scalar(select(Card).where(Card.number == found.value))
        else:
            try:
                signed = verify_card_code(found.value, await card_keys(session, ring))
            except CodeError as exc:
                raise InvalidRequestError(str(exc)) from None
            card = await session.scalar(select(Card).where(Card.serial == signed.serial))
    if card is None:
        raise NotFoundError(_("no such card"))
    return card


async def issue_card(
    session: AsyncSession, ring: KeyRing, who: Principal | None, data: CardIssueIn
) -> CardEntryResult:
    """Sell a new card with its starting value. A retried sale (same nonce) answers the same card."""
    writer = Writer.of(who)
    new = NewEntry(EntryKind.ISSUE, data.amount_cents, data.nonce, tender=data.tender)
    earlier = await ledger.previous(session, writer, data.nonce)
    if earlier is not None:
        ledger.check_replay(earlier, earlier.card_id, new)
        return await _result(session, await ledger.lock_card(session, earlier.card_id), earlier)
    card_type = await card_type_named(session, data.card_type)
    type_rules = rules_of(card_type)
    # A gift card is sold with its value; one sold for nothing ("none" paid it) is the replacement
    # of a lost card, whose balance arrives by the transfer that follows.
    if type_rules.kind is CardKind.GIFT and data.amount_cents == 0 and data.tender != "none":
        raise InvalidRequestError(_("a gift card is sold with its value: give an amount"))
    if type_rules.pin_required and data.pin is None:
        raise InvalidRequestError(_("cards of this type need a PIN"))
    rules.check_cap(type_rules, data.amount_cents)
    card = new_card(ring, card_type, who, pin_hash=rules.hash_pin(data.pin) if data.pin else None)
    session.add(card)
    await session.flush()
    entry = await ledger.append(session, card, writer, new)
    return await _result(session, card, entry)


def new_card(ring: KeyRing, card_type: CardType, who: Principal | None, pin_hash: str | None) -> Card:
    now = datetime.now(UTC)
    issued = to_code_precision(now)
    expires = (
        to_code_precision(now + timedelta(days=card_type.validity_days)) if card_type.validity_days else None
    )
    serial = new_serial()
    signed = SignedCard(
        key_id=ring.signing_key_id,
        serial=serial,
        card_type_id=card_type.id,
        issued_at=issued,
        expires_at=expires,
    )
    return Card(
        serial=serial,
        number=new_card_number(),
        code=sign_card(signed, ring.signing_key),
        card_type_id=card_type.id,
        currency=card_type.currency,
        status=CardStatus.ACTIVE.value,
        issued_at=now,
        expires_at=expires,
        pin_hash=pin_hash,
        issued_by=who.device_id if who else None,
    )


async def move(
    session: AsyncSession, ring: KeyRing, who: Principal | None, ref: str, kind: EntryKind, data: CardMoveIn
) -> CardEntryResult:
    """A load, payment, refund or unload: checked under the card's lock, written once.

    An offline till's payment was taken in good faith within the manager's caps: it is
    registered even when the card no longer holds enough (another till took it meanwhile), and
    the overdraw is flagged as a conflict with its amount for a manager, never clamped."""
    if kind not in MOVES:
        raise InvalidRequestError(_("not a card movement: {kind}").format(kind=kind))
    if data.offline and kind is not EntryKind.PAY:
        raise InvalidRequestError(_("only payments are taken from cards offline"))
    found = await find_card(session, ring, ref)
    writer = Writer.of(who)
    new = NewEntry(
        kind,
        data.amount_cents,
        data.nonce,
        occurred_at=data.occurred_at if data.offline else None,
        offline=data.offline,
        tender=data.tender,
        reference=data.reference,
    )
    card = await ledger.lock_card(session, found.id)
    earlier = await ledger.previous(session, writer, data.nonce)
    if earlier is not None:
        ledger.check_replay(earlier, card.id, new)
        return await _result(session, card, earlier)
    card_type = await session.get(CardType, card.card_type_id)
    assert card_type is not None
    type_rules = rules_of(card_type)
    standing = ledger.standing_of(card, await ledger.balance_of(session, card.id))
    now = datetime.now(UTC)
    if data.offline:
        return await _register_offline_payment(session, card, writer, new, standing, now)
    if kind in (EntryKind.PAY, EntryKind.UNLOAD) and not rules.pin_matches(data.pin, card.pin_hash):
        raise WrongPin(_("this card needs its PIN, and the PIN given is not it"))
    if kind is EntryKind.PAY:
        rules.check_payment(standing, data.amount_cents, now)
    elif kind is EntryKind.LOAD:
        rules.check_load(type_rules, standing, data.amount_cents, now)
    elif kind is EntryKind.UNLOAD:
        rules.check_unload(type_rules, standing, data.amount_cents, now)
    else:  # a refund of an earlier payment back to the card
        rules.check_usable(standing, now)
        rules.check_cap(type_rules, standing.balance_cents + data.amount_cents)
    entry = await ledger.append(session, card, writer, new)
    return await _result(session, card, entry)


async def _register_offline_payment(
    session: AsyncSession,
    card: Card,
    writer: Writer,
    new: NewEntry,
    standing: rules.CardStanding,
    now: datetime,
) -> CardEntryResult:
    if new.occurred_at is None:
        raise InvalidRequestError(_("an offline payment needs the time the till took it (occurred_at)"))
    # What this payment took beyond what the card still held (all of it on a card already below zero).
    overdraw = new.amount_cents - min(max(standing.balance_cents, 0), new.amount_cents)
    # Blocked or expired before the till took it: the till could not know; a manager must look.
    stale = (card.blocked_at is not None and card.blocked_at <= new.occurred_at) or (
        card.expires_at is not None and card.expires_at <= new.occurred_at
    )
    entry = await ledger.append(session, card, writer, new, conflict_cents=overdraw, conflict=stale)
    return await _result(session, card, entry)


async def adjust(
    session: AsyncSession, ring: KeyRing, who: Principal | None, ref: str, data: CardAdjustIn
) -> CardEntryResult:
    """A manager's correction, with its reason; it may not take a card below zero."""
    found = await find_card(session, ring, ref)
    card = await ledger.lock_card(session, found.id)
    writer = Writer.of(who)
    new = NewEntry(EntryKind.ADJUST, data.amount_cents, data.nonce, reason=data.reason)
    earlier = await ledger.previous(session, writer, data.nonce)
    if earlier is not None:
        ledger.check_replay(earlier, card.id, new)
        return await _result(session, card, earlier)
    if data.amount_cents == 0:
        raise InvalidRequestError(_("an adjustment must change the balance"))
    balance = await ledger.balance_of(session, card.id)
    if balance + data.amount_cents < 0:
        raise InvalidRequestError(_("an adjustment may not take a card below zero"))
    entry = await ledger.append(session, card, writer, new)
    return await _result(session, card, entry)


async def block(session: AsyncSession, ring: KeyRing, ref: str, data: CardBlockIn) -> CardOut:
    """Refuse the card from now on, everywhere (offline tills once the feed reached them)."""
    found = await find_card(session, ring, ref)
    card = await ledger.lock_card(session, found.id)
    if card.status != CardStatus.BLOCKED:
        card.status = CardStatus.BLOCKED.value
        card.blocked_at = datetime.now(UTC)
        card.block_reason = data.reason
        await ledger.publish(session, card)  # offline tills refuse it once the feed reaches them
    return await ledger.card_out(session, card)


async def transfer(
    session: AsyncSession, ring: KeyRing, who: Principal | None, ref: str, data: CardTransferIn
) -> CardEntryResult:
    """A lost card: its whole balance moves to another card and it is blocked for good, so the
    float counts the money once. Answers the entry on the new card."""
    lost = await find_card(session, ring, ref)
    target = await find_card(session, ring, data.to_card)
    if lost.id == target.id:
        raise InvalidRequestError(_("a card's balance cannot move to the same card"))
    writer = Writer.of(who)
    first, second = sorted((lost.id, target.id))  # one locking order: two transfers cannot deadlock
    locked = {first: await ledger.lock_card(session, first), second: await ledger.lock_card(session, second)}
    lost, target = locked[lost.id], locked[target.id]
    out = NewEntry(EntryKind.TRANSFER_OUT, 0, data.nonce, reason=data.reason, related_card_id=target.id)
    earlier = await ledger.previous(session, writer, data.nonce)
    if earlier is not None:
        if (
            earlier.kind != EntryKind.TRANSFER_OUT
            or earlier.card_id != lost.id
            or earlier.related_card_id != target.id
        ):
            ledger.check_replay(earlier, lost.id, out)
        arrived = await ledger.previous(session, writer, data.nonce + ">in")
        assert arrived is not None  # written in the same transaction as the first
        return await _result(session, target, arrived)
    if lost.replaced_by is not None:
        raise InvalidRequestError(_("this card's balance has already moved to another card"))
    if lost.currency != target.currency:
        raise InvalidRequestError(_("the two cards are in different currencies"))
    target_type = await session.get(CardType, target.card_type_id)
    assert target_type is not None
    now = datetime.now(UTC)
    target_standing = ledger.standing_of(target, await ledger.balance_of(session, target.id))
    rules.check_usable(target_standing, now)
    amount = max(await ledger.balance_of(session, lost.id), 0)
    rules.check_cap(rules_of(target_type), target_standing.balance_cents + amount)
    out = NewEntry(EntryKind.TRANSFER_OUT, amount, data.nonce, reason=data.reason, related_card_id=target.id)
    await ledger.append(session, lost, writer, out)
    arriving = NewEntry(
        EntryKind.TRANSFER_IN, amount, data.nonce + ">in", reason=data.reason, related_card_id=lost.id
    )
    entry = await ledger.append(session, target, writer, arriving)
    lost.status = CardStatus.BLOCKED.value
    lost.blocked_at = lost.blocked_at or now
    lost.block_reason = lost.block_reason or data.reason
    lost.replaced_by = target.id
    await ledger.publish(session, lost)
    return await _result(session, target, entry)


async def expire_cards(session: AsyncSession, now: datetime | None = None) -> list[tuple[str, int]]:
    """Write off what expired cards still hold (nightly): one `expire` entry per card, by a nonce
    made from the card, so running it twice writes nothing twice. Answers (number, amount)."""
    moment = now or datetime.now(UTC)
    ids = (
        await session.scalars(select(Card.id).where(Card.expires_at.is_not(None), Card.expires_at <= moment))
    ).all()
    done = []
    for card_id in ids:
        card = await ledger.lock_card(session, card_id)
        balance = await ledger.balance_of(session, card.id)
        nonce = f"expire-{card.id}"
        if balance <= 0 or await ledger.previous(session, Writer(None, None), nonce) is not None:
            continue
        await ledger.append(session, card, Writer(None, None), NewEntry(EntryKind.EXPIRE, balance, nonce))
        done.append((card.number, balance))
    return done


async def show_card(session: AsyncSession, ring: KeyRing, ref: str) -> CardOut:
    return await ledger.card_out(session, await find_card(session, ring, ref))


def cli_nonce() -> str:
    """A nonce for an entry made at the shell (the service's scope)."""
    return f"cli-{secrets.token_hex(8)}"


async def _result(session: AsyncSession, card: Card, entry: CardEntry) -> CardEntryResult:
    entry_out, card_now = await ledger.entry_result(session, card, entry)
    return CardEntryResult(entry=entry_out, card=card_now)


async def pay_for_sale(
    session: AsyncSession,
    ring: KeyRing,
    who: Principal,
    sale_nonce: str,
    parts: list[StoredValuePart],
    offline_at: datetime | None = None,
) -> None:
    """The card parts of a sale, written in the sale's own transaction: the sale and its card
    payments are recorded together or not at all, and a re-sent sale (its nonce replayed before
    this is reached) pays nothing twice. Each part's nonce is the sale's, numbered. An offline
    till's sale (`offline_at`: when it sold) registers its card parts as offline payments: an
    overdraw is kept and flagged, never refused (the guest has left with the tickets)."""
    for number, part in enumerate(parts, 1):
        data = CardMoveIn(
            nonce=f"{sale_nonce}>card{number}",
            amount_cents=part.amount_cents,
            reference=f"sale {sale_nonce}",
            pin=part.pin,
            offline=offline_at is not None,
            occurred_at=offline_at,
        )
        await move(session, ring, who, part.card, EntryKind.PAY, data)

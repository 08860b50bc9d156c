"""A card's ledger: read its balance under the card's row lock, append an entry exactly once.

Every writer locks the card row first (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite every write
transaction begins IMMEDIATE, so writers take turns anyway), then sums the ledger, decides with
the domain's rules, and appends. Two payments from one card therefore see each other's entries:
neither can spend what the other already took.

Each entry is unique by (scope, nonce): the writing device's id, or 0 for the service's own
(the CLI, nightly expiry). A retried request finds its entry and gets the same answer; the same
nonce for another operation is refused. Two copies racing insert the same key: one commits, the
unit of work runs the other again and it finds the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import CardData, CardEntryOut, CardOut
from admission.db.models import Card, CardEntry, CardType, Device
from admission.domain.cards import CardKind, CardStanding, CardStatus, EntryKind, signed_amount
from admission.domain.errors import ConflictError
from admission.i18n import _
from admission.services import feed
from admission.services.devices import Principal

SERVICE_SCOPE = 0
# Hand-written vouchers: their numbers are unique at the venue, whichever device registers them,
# so a voucher registered twice (by two sellers, or the CLI and a till) counts once.
VOUCHER_SCOPE = -1


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes an entry: a device with its token, or the service itself (None, None)."""

    device_id: int | None
    token_id: int | None
    # Where its nonces are unique, when not the device's own (vouchers: the venue's).
    shared_scope: int | None = None

    @classmethod
    def of(cls, who: Principal | None, shared_scope: int | None = None) -> Writer:
        if who is None:
            return cls(None, None, shared_scope)
        return cls(who.device_id, who.token_id, shared_scope)

    @property
    def scope(self) -> int:
        if self.shared_scope is not None:
            return self.shared_scope
        return self.device_id if self.device_id is not None else SERVICE_SCOPE


@dataclass(frozen=True, slots=True)
class NewEntry:
    kind: EntryKind
    amount_cents: int  # as the caller states it; the ledger's sign follows the kind
    nonce: str
    occurred_at: datetime | None = None
    offline: bool = False
    tender: str | None = None
    reference: str | None = None
    reason: str | None = None
    related_card_id: int | None = None

    def digest(self, card_id: int) -> str:
        """What makes a repeated nonce the same request: card, kind, amount, tender, reference."""
        parts = (
            str(card_id),
            self.kind.value,
            str(self.amount_cents),
            self.tender or "",
            self.reference or "",
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def lock_card(session: AsyncSession, card_id: int) -> Card:
    """The card row, locked until the transaction ends (PostgreSQL; SQLite's writer already is alone)."""
    card = await session.scalar(
        select(Card).where(Card.id == card_id).with_for_update().execution_options(populate_existing=True)
    )
    assert card is not None  # callers found it before
    return card


async def balance_of(session: AsyncSession, card_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(CardEntry.amount_cents), 0)).where(CardEntry.card_id == card_id)
    )
    return int(total or 0)


def standing_of(card: Card, balance_cents: int) -> CardStanding:
    return CardStanding(
        status=CardStatus(card.status),
        balance_cents=balance_cents,
        expires_at=card.expires_at,
        currency=card.currency,
    )


async def previous(session: AsyncSession, writer: Writer, nonce: str) -> CardEntry | None:
    return await session.scalar(
        select(CardEntry).where(CardEntry.nonce_scope == writer.scope, CardEntry.nonce == nonce)
    )


def check_replay(entry: CardEntry, card_id: int, new: NewEntry) -> None:
    """A repeated nonce is answered with its entry only for the very same operation."""
    if entry.request_digest != new.digest(card_id):
        raise ConflictError(
            _("nonce {nonce!r} was already used for another card entry: nothing was changed").format(
                nonce=new.nonce
            )
        )


async def append(
    session: AsyncSession,
    card: Card,
    writer: Writer,
    new: NewEntry,
    *,
    conflict_cents: int = 0,
    conflict: bool = False,
) -> CardEntry:
    """Append one entry to a locked card's ledger."""
    now = datetime.now(UTC)
    entry = CardEntry(
        card_id=card.id,
        kind=new.kind.value,
        amount_cents=signed_amount(new.kind, new.amount_cents),
        device_id=writer.device_id,
        token_id=writer.token_id,
        nonce_scope=writer.scope,
        nonce=new.nonce,
        occurred_at=new.occurred_at or now,
        recorded_at=now,
        offline=new.offline,
        tender=new.tender,
        reference=new.reference,
        reason=new.reason,
        related_card_id=new.related_card_id,
        conflict=conflict or conflict_cents > 0,
        conflict_cents=conflict_cents,
        request_digest=new.digest(card.id),
    )
    session.add(entry)
    await session.flush()
    await publish(session, card)
    return entry


async def publish(session: AsyncSession, card: Card) -> None:
    """Tell the tills the card's standing (the feed): its balance after this transaction's
    entries, and whether it is blocked; an offline till decides from it."""
    data = CardData(
        serial=str(card.serial),
        card_type_id=card.card_type_id,
        status=CardStatus(card.status),
        balance_cents=await balance_of(session, card.id),
        currency=card.currency,
        expires_at=card.expires_at,
        pin=card.pin_hash is not None,
        last4=card.number[-4:],
    )
    await feed.emit(session, "card", str(card.serial), data)


async def card_out(session: AsyncSession, card: Card, *, with_entries: bool = True) -> CardOut:
    card_type = await session.get(CardType, card.card_type_id)
    assert card_type is not None
    if not with_entries:
        numbers = await _numbers(session, {card.replaced_by} - {None})
        return _card(card, card_type, await balance_of(session, card.id), numbers, [])
    rows = (
        await session.execute(
            select(CardEntry, Device.name)
            .outerjoin(Device, Device.id == CardEntry.device_id)
            .where(CardEntry.card_id == card.id)
            .order_by(CardEntry.id)
        )
    ).all()
    related_ids = {e.related_card_id for e, _name in rows if e.related_card_id is not None}
    if card.replaced_by is not None:
        related_ids.add(card.replaced_by)
    numbers = await _numbers(session, related_ids)
    running = 0
    entries = []
    for entry, device_name in rows:
        running += entry.amount_cents
        entries.append(entry_out(entry, running, device_name, numbers.get(entry.related_card_id or 0)))
    return _card(card, card_type, running, numbers, entries)


async def _numbers(session: AsyncSession, card_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in card_ids if i is not None}
    if not ids:
        return {}
    return dict((await session.execute(select(Card.id, Card.number).where(Card.id.in_(ids)))).all())


def _card(
    card: Card, card_type: CardType, balance: int, numbers: dict[int, str], entries: list[CardEntryOut]
) -> CardOut:
    return CardOut(
        id=card.id,
        number=card.number,
        code=card.code,
        card_type=card_type.name,
        kind=CardKind(card_type.kind),
        currency=card.currency,
        status=CardStatus(card.status),
        balance_cents=balance,
        issued_at=card.issued_at,
        expires_at=card.expires_at,
        pin=card.pin_hash is not None,
        blocked_at=card.blocked_at,
        block_reason=card.block_reason,
        replaced_by=numbers.get(card.replaced_by) if card.replaced_by is not None else None,
        entries=entries,
    )


async def entry_result(session: AsyncSession, card: Card, entry: CardEntry) -> tuple[CardEntryOut, CardOut]:
    """An entry as answered to its writer: with the balance right after it, and the card now."""
    after = await session.scalar(
        select(func.coalesce(func.sum(CardEntry.amount_cents), 0)).where(
            CardEntry.card_id == card.id, CardEntry.id <= entry.id
        )
    )
    device = (
        await session.scalar(select(Device.name).where(Device.id == entry.device_id))
        if entry.device_id
        else None
    )
    related = (await _numbers(session, {entry.related_card_id})).get(entry.related_card_id or 0)
    return entry_out(entry, int(after or 0), device, related), await card_out(
        session, card, with_entries=False
    )


def entry_out(entry: CardEntry, balance_after: int, device: str | None, related: str | None) -> CardEntryOut:
    return CardEntryOut(
        id=entry.id,
        kind=EntryKind(entry.kind),
        amount_cents=entry.amount_cents,
        balance_after_cents=balance_after,
        device=device,
        token_id=entry.token_id,
        nonce=entry.nonce,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        offline=entry.offline,
        tender=entry.tender,
        reference=entry.reference,
        reason=entry.reason,
        related_card=related,
        conflict=entry.conflict,
        conflict_cents=entry.conflict_cents,
    )

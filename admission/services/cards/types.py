"""Card types the venue defines, and the manager's offline caps (kept in the venue's settings)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import CardSettings, CardTypeIn, CardTypeOut
from admission.db.models import CardType
from admission.domain.cards import CardKind, CardTypeRules
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.i18n import _
from admission.services.catalog import get_venue

SETTINGS_KEY = "cards"  # in Venue.settings


def rules_of(row: CardType) -> CardTypeRules:
    return CardTypeRules(
        kind=CardKind(row.kind),
        currency=row.currency,
        validity_days=row.validity_days,
        max_balance_cents=row.max_balance_cents,
        unload_limit_cents=row.unload_limit_cents,
        pin_required=row.pin_required,
    )


def type_out(row: CardType) -> CardTypeOut:
    return CardTypeOut(
        id=row.id,
        name=row.name,
        kind=CardKind(row.kind),
        currency=row.currency,
        validity_days=row.validity_days,
        max_balance_cents=row.max_balance_cents,
        unload_limit_cents=row.unload_limit_cents,
        pin_required=row.pin_required,
        active=row.active,
    )


async def create_card_type(session: AsyncSession, data: CardTypeIn) -> CardTypeOut:
    if data.kind is CardKind.GIFT and data.unload_limit_cents:
        raise InvalidRequestError(_("a gift card is never paid out in cash: leave its unload limit at 0"))
    if await session.scalar(select(CardType.id).where(CardType.name == data.name)) is not None:
        raise ConflictError(_("there is already a card type named {name!r}").format(name=data.name))
    row = CardType(
        name=data.name,
        kind=data.kind.value,
        currency=data.currency,
        validity_days=data.validity_days,
        max_balance_cents=data.max_balance_cents,
        unload_limit_cents=data.unload_limit_cents,
        pin_required=data.pin_required,
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    return type_out(row)


async def list_card_types(session: AsyncSession) -> list[CardTypeOut]:
    rows = (await session.scalars(select(CardType).order_by(CardType.id))).all()
    return [type_out(r) for r in rows]


async def card_type_named(session: AsyncSession, name: str) -> CardType:
    row = await session.scalar(select(CardType).where(CardType.name == name))
    if row is None or not row.active:
        raise NotFoundError(_("there is no card type named {name!r}").format(name=name))
    return row


async def card_settings(session: AsyncSession) -> CardSettings:
    raw = (await get_venue(session)).settings.get(SETTINGS_KEY)
    if raw is None:
        return CardSettings()
    try:
        return msgspec.convert(raw, type=CardSettings)
    except msgspec.ValidationError:  # a hand-edited setting: the safe defaults, never no limit
        return CardSettings()


async def save_card_settings(session: AsyncSession, data: CardSettings) -> CardSettings:
    venue = await get_venue(session)
    # A new dict, so the ORM sees the JSON column change.
    venue.settings = {**(venue.settings or {}), SETTINGS_KEY: msgspec.to_builtins(data)}
    return data

"""What a box office works with: its own signing key and the venue's payment methods."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import SigningKeyIn, SigningKeyOut
from admission.db.models import IssuerKey, Venue
from admission.domain import payments
from admission.domain.errors import ConflictError, InvalidRequestError
from admission.domain.payments import PaymentConfig
from admission.services import catalog, keys
from admission.services.devices import Principal


async def register_signing_key(session: AsyncSession, who: Principal, data: SigningKeyIn) -> SigningKeyOut:
    """A box office's own Ed25519 public key, sent at enrollment; gates learn it from the feed.

    A device may hold several keys (a new PC, a lost key file): old keys stay valid, because
    tickets sold offline with them are in visitors' hands.
    """
    if who.role != "box_office":
        raise InvalidRequestError("only box_office devices sign tickets")
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(data.public_key))
    except ValueError as exc:
        raise InvalidRequestError("not an Ed25519 public key") from exc
    if await session.scalar(select(IssuerKey.key_id).where(IssuerKey.public_key == data.public_key)):
        raise ConflictError("this public key is registered already")
    row = await keys.register_public_key(session, public, who.device_id, who.device_name)
    return SigningKeyOut(key_id=row.key_id, device=who.device_name)


async def payment_config(session: AsyncSession) -> PaymentConfig:
    return payments.config_from_settings((await catalog.get_venue(session)).settings)


async def save_payment_config(session: AsyncSession, config: PaymentConfig) -> PaymentConfig:
    venue: Venue = await catalog.get_venue(session)
    venue.settings = payments.settings_with_config(venue.settings, config)
    return config

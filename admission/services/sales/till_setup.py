"""What a box office works with: its own signing key, the key's certificate and the venue's
payment methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import CertificateIn, SigningKeyIn, SigningKeyOut, TillCertificate
from admission.db.models import IssuerKey, Venue
from admission.domain import payments
from admission.domain.certificates import sign_certificate
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.domain.payments import PaymentConfig
from admission.services import catalog, feed, keys
from admission.services.devices import Principal
from admission.services.keys import KeyRing


async def register_signing_key(
    session: AsyncSession,
    who: Principal,
    data: SigningKeyIn,
    lifetime: timedelta = keys.DEFAULT_CERTIFICATE_LIFETIME,
) -> SigningKeyOut:
    """A box office's own Ed25519 public key, sent at enrollment; gates learn it from the feed.

    A device may hold several keys (a new PC, a lost key file): old keys stay valid, because
    tickets sold offline with them are in visitors' hands. Each is certified for `lifetime`
    from now; the till asks for its certificate (`certify_key`) right after.
    """
    if who.role != "box_office":
        raise InvalidRequestError("only box_office devices sign tickets")
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(data.public_key))
    except ValueError as exc:
        raise InvalidRequestError("not an Ed25519 public key") from exc
    if await session.scalar(select(IssuerKey.key_id).where(IssuerKey.public_key == data.public_key)):
        raise ConflictError("this public key is registered already")
    row = await keys.register_public_key(session, public, who.device_id, who.device_name, lifetime)
    return SigningKeyOut(key_id=row.key_id, device=who.device_name)


async def certify_key(
    session: AsyncSession, ring: KeyRing, who: Principal, data: CertificateIn, lifetime: timedelta
) -> TillCertificate:
    """A certificate of one of the caller's own keys, valid from the key's registration until
    `lifetime` from now, signed with the venue's issuer key. Gates learn the new end from the feed.
    A revoked key is never certified again."""
    if who.role != "box_office":
        raise InvalidRequestError("only box_office devices sign tickets")
    row = await session.get(IssuerKey, data.key_id, with_for_update=True)
    if row is None or row.device_id != who.device_id:
        raise NotFoundError(f"this device holds no signing key {data.key_id}")
    if row.revoked_at is not None:
        raise ConflictError(f"signing key {data.key_id} is revoked: enroll this till again")
    now = datetime.now(UTC).replace(microsecond=0)
    row.not_before = row.not_before or row.created_at
    row.not_after = now + lifetime
    await feed.emit(session, "key", str(row.key_id), keys.key_data(row, who.device_name))
    unsigned = TillCertificate(
        device_id=who.device_id,
        device=who.device_name,
        key_id=row.key_id,
        public_key=row.public_key,
        not_before=row.not_before,
        not_after=row.not_after,
        issuer_key_id=ring.signing_key_id,
    )
    return sign_certificate(unsigned, ring.signing_key)


async def payment_config(session: AsyncSession) -> PaymentConfig:
    return payments.config_from_settings((await catalog.get_venue(session)).settings)


async def save_payment_config(session: AsyncSession, config: PaymentConfig) -> PaymentConfig:
    venue: Venue = await catalog.get_venue(session)
    venue.settings = payments.settings_with_config(venue.settings, config)
    return config

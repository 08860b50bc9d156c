"""Till keys as short-lived certificates, and judging a signed code by its key's standing.

A till signs the tickets it sells offline with a key of its own. The service certifies that key
for a while (`TillCertificate`: device, key, not before, not after, signed with the venue's issuer
key), and the till renews the certificate while it is online. Gates and the service accept a
till's code only if it was issued within its key's certificate and before the key was revoked:
tickets sold in good faith before a revocation stay valid, a stolen till's later codes do not, and
a till that stays away from the service stops being able to mint tickets when its certificate
ends. The same function judges a code at the service and at an offline gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from admission.domain.codes import CodeError, SignedTicket, read_signed_code, to_code_precision
from admission.i18n import _

# A till's clock may run a little behind the service's: its first codes must not predate the key.
CLOCK_TOLERANCE = timedelta(minutes=10)
# A revocation recorded before revocation times were kept: no code of the key can be dated after it.
_LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


class KeyRefused(CodeError):
    """A genuine signature by a key that may not vouch for this code (revoked, or uncertified then)."""


@dataclass(frozen=True, slots=True)
class KeyStanding:
    """What judging a code needs to know of the key that signed it."""

    key_id: int
    public: Ed25519PublicKey
    till: bool  # a till's key: its codes are judged by when they were issued
    not_before: datetime | None = None  # the key's certificate; None: not limited (the service's own)
    not_after: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def parse(
        cls,
        key_id: int,
        public_hex: str,
        *,
        till: bool,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        revoked: bool = False,
        revoked_at: datetime | None = None,
    ) -> KeyStanding:
        """From stored or fed values; ValueError for a malformed public key."""
        if revoked and revoked_at is None:
            revoked_at = _LONG_AGO  # revoked by an older release, which kept no time: nothing after it
        return cls(
            key_id=key_id,
            public=Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)),
            till=till,
            not_before=not_before,
            not_after=not_after,
            revoked_at=revoked_at,
        )


def verify_code(code: str, keys: Mapping[int, KeyStanding], at: datetime) -> SignedTicket:
    """The ticket a signed code states, scanned at `at`; CodeError if it is malformed or forged,
    KeyRefused if its key may not vouch for it (see `check_standing`)."""
    ticket, payload, signature = read_signed_code(code)
    standing = keys.get(ticket.key_id)
    if standing is None:
        raise CodeError(f"code is signed with unknown key {ticket.key_id}")
    try:
        standing.public.verify(signature, payload)
    except InvalidSignature as exc:
        raise CodeError("code signature does not match: forged or damaged") from exc
    check_standing(standing, ticket, at)
    return ticket


def check_standing(standing: KeyStanding, ticket: SignedTicket, at: datetime) -> None:
    """A till's code counts when it was issued within the key's certificate and before the key was
    revoked. A till's code that does not say when it was issued (tills of an older release) is
    judged as if issued at `at`, the scan: nothing can prove it older than the revocation or the
    certificate's end. The service's own keys have no certificate; a revoked one vouches for
    nothing."""
    if not standing.till:
        if standing.revoked_at is not None:
            raise KeyRefused(_("signed with a withdrawn issuer key"))
        return
    issued = ticket.issued_at if ticket.issued_at is not None else at
    if standing.revoked_at is not None and issued >= standing.revoked_at:
        raise KeyRefused(_("sold by a revoked till after its revocation"))
    earliest = to_code_precision(standing.not_before - CLOCK_TOLERANCE) if standing.not_before else None
    if earliest is not None and ticket.issued_at is not None and issued < earliest:
        raise KeyRefused(_("sold before the till's certificate began"))
    if standing.not_after is not None and issued > standing.not_after:
        raise KeyRefused(_("sold after the till's certificate had expired"))


class TillCertificate(msgspec.Struct, frozen=True, kw_only=True):
    """The service's word that a till's key may sign tickets from `not_before` to `not_after`."""

    device_id: int
    device: str
    key_id: int
    public_key: str  # the till's raw Ed25519 public key, hex
    not_before: datetime
    not_after: datetime
    issuer_key_id: int  # the service key that signed it
    signature: str = ""  # Ed25519 over `certificate_payload`, hex

    def covers(self, moment: datetime) -> bool:
        return self.not_before - CLOCK_TOLERANCE <= moment <= self.not_after


def certificate_payload(cert: TillCertificate) -> bytes:
    """The certified facts as signed: one line each, times in whole seconds since the epoch."""
    fields = (
        "admission till certificate 1",
        str(cert.device_id),
        cert.device,
        str(cert.key_id),
        cert.public_key.lower(),
        str(int(cert.not_before.timestamp())),
        str(int(cert.not_after.timestamp())),
        str(cert.issuer_key_id),
    )
    return "\n".join(fields).encode()


def sign_certificate(cert: TillCertificate, issuer: Ed25519PrivateKey) -> TillCertificate:
    # Whole seconds: the payload keeps no more, so the certificate must not promise more either.
    whole = msgspec.structs.replace(
        cert,
        not_before=cert.not_before.replace(microsecond=0),
        not_after=cert.not_after.replace(microsecond=0),
        signature="",
    )
    return msgspec.structs.replace(whole, signature=issuer.sign(certificate_payload(whole)).hex())


def verify_certificate(cert: TillCertificate, issuer: Ed25519PublicKey) -> None:
    """CodeError unless `issuer` signed exactly these facts."""
    try:
        issuer.verify(bytes.fromhex(cert.signature), certificate_payload(cert))
    except (InvalidSignature, ValueError) as exc:
        raise CodeError("the till's certificate is not signed by the venue's issuer key") from exc

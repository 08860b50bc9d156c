"""The till's key certificate: what lets it sell offline, and for how long.

The service certifies the till's key until `not_after` (admission.domain.certificates); gates
refuse the till's codes issued outside that window or after the key was revoked. So the till
sells offline only within its certificate, and renews it by itself while online: once a third of
its time has passed (a day of the default three), leaving two thirds for an outage that starts
right before a renewal was due.
"""

from __future__ import annotations

from datetime import datetime

from admission.contract import TillCertificate
from admission.domain.certificates import verify_certificate
from admission.domain.codes import CodeError
from admission.i18n import _
from scanner_client.till.remote import BoxOfficeRemote
from scanner_client.till.store import TillStore

RENEW_AFTER_SHARE = 1 / 3  # of the certificate's time between receiving it and its end


class CertificateRefused(RuntimeError):
    """The service's answer is not a certificate of this till's key from the venue's issuer."""


def renewal_due(store: TillStore, key_id: int, now: datetime) -> bool:
    certificate, received = store.certificate, store.certificate_received_at
    if certificate is None or received is None or certificate.key_id != key_id:
        return True
    return now >= received + (certificate.not_after - received) * RENEW_AFTER_SHARE


async def renew(store: TillStore, remote: BoxOfficeRemote, key_id: int, now: datetime) -> TillCertificate:
    """Ask the service for a certificate of `key_id` and keep it once its signature checks out
    against the venue's issuer key this till learned from the feed."""
    certificate = await remote.certify_key(key_id)
    issuer = store.key_standings().get(certificate.issuer_key_id)
    if issuer is None or issuer.till:
        raise CertificateRefused(f"certificate signed with key {certificate.issuer_key_id}, not the venue's")
    try:
        verify_certificate(certificate, issuer.public)
    except CodeError as exc:
        raise CertificateRefused(str(exc)) from exc
    if certificate.key_id != key_id:
        raise CertificateRefused(f"certificate of key {certificate.key_id}, not of this till's key {key_id}")
    store.keep_certificate(certificate, now)
    return certificate


def offline_refusal(store: TillStore, key_id: int | None, now: datetime) -> str | None:
    """Why this till may not sign tickets now, in words for the seller; None when it may."""
    if key_id is None:
        return _("This till has no signing key, so it cannot sell offline: enroll it again.")
    own = store.key_standings().get(key_id)
    if own is not None and own.revoked_at is not None and own.revoked_at <= now:
        return _("This till's signing key is revoked: it cannot sell offline. Ask a manager.")
    certificate = store.certificate
    if certificate is None or certificate.key_id != key_id:
        return _(
            "This till has no certificate for its signing key yet, so it cannot sell offline: "
            "connect it to the server once."
        )
    if not certificate.covers(now):
        return _(
            "This till's certificate has expired, so it cannot sell offline: connect it to the "
            "server to renew it."
        )
    return None

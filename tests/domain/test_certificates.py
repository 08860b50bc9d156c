"""Till keys as certificates: codes that say when they were issued, judged by the key's certificate
and revocation time, the same at the service and at an offline gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from admission.domain.certificates import (
    KeyRefused,
    KeyStanding,
    TillCertificate,
    sign_certificate,
    verify_certificate,
    verify_code,
)
from admission.domain.codes import (
    SIGNED_CODE_LENGTH,
    CodeError,
    SignedTicket,
    classify_scan,
    public_hex,
    read_signed_code,
    sign_ticket,
    verify_signed_code,
)

TILL = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
SERVICE = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
CERTIFIED_FROM = datetime(2026, 6, 1, 8, tzinfo=UTC)
CERTIFIED_UNTIL = datetime(2026, 6, 4, 8, tzinfo=UTC)
REVOKED_AT = datetime(2026, 6, 2, 12, 30, 20, tzinfo=UTC)


def till_code(issued_at: datetime | None, key_id: int = 5) -> str:
    ticket = SignedTicket(key_id=key_id, serial=123_456_789, template_id=3, issued_at=issued_at)
    return sign_ticket(ticket, TILL)


def standing(revoked_at: datetime | None = None) -> dict[int, KeyStanding]:
    till = KeyStanding(
        key_id=5,
        public=TILL.public_key(),
        till=True,
        not_before=CERTIFIED_FROM,
        not_after=CERTIFIED_UNTIL,
        revoked_at=revoked_at,
    )
    return {5: till, 1: KeyStanding(key_id=1, public=SERVICE.public_key(), till=False)}


def test_a_till_code_carries_its_issue_time_to_the_minute_in_the_same_152_symbols() -> None:
    issued = datetime(2026, 6, 2, 12, 29, 59, tzinfo=UTC)
    code = till_code(issued)
    assert len(code) == SIGNED_CODE_LENGTH and classify_scan(code).kind == "signed"
    ticket = read_signed_code(code)[0]
    assert ticket.issued_at == datetime(2026, 6, 2, 12, 29, tzinfo=UTC) and ticket.event_id is None
    # A code without an issue time (the service's own, or a till's of an older release) reads as before.
    assert read_signed_code(till_code(None))[0].issued_at is None
    assert verify_signed_code(code, {5: TILL.public_key()}).issued_at == ticket.issued_at
    with pytest.raises(ValueError, match="valid from the minute it was issued"):
        sign_ticket(SignedTicket(key_id=1, serial=1, template_id=1, event_id=2, issued_at=issued), SERVICE)


def test_a_tills_event_code_names_its_event_and_its_issue_time_in_the_same_152_symbols() -> None:
    issued = datetime(2026, 6, 2, 12, 29, tzinfo=UTC)
    until = datetime(2026, 6, 2, 23, 59, tzinfo=UTC)
    signed = SignedTicket(
        key_id=5, serial=99, template_id=7, event_id=3, issued_at=issued, valid_from=issued, valid_until=until
    )
    code = sign_ticket(signed, TILL)
    assert len(code) == SIGNED_CODE_LENGTH and classify_scan(code).kind == "signed"
    assert verify_signed_code(code, {5: TILL.public_key()}) == signed
    # Judged by its issue time like any till's code: after the revocation it is refused.
    with pytest.raises(KeyRefused, match="revoked till after its revocation"):
        verify_code(code, standing(revoked_at=issued - timedelta(minutes=1)), issued + timedelta(hours=1))


def test_a_revoked_tills_codes_count_only_when_issued_before_the_revocation() -> None:
    keys = standing(revoked_at=REVOKED_AT)
    scan = REVOKED_AT + timedelta(hours=3)  # the gate reads the codes later
    before = till_code(datetime(2026, 6, 2, 12, 29, tzinfo=UTC))
    assert verify_code(before, keys, scan).serial == 123_456_789
    for after in (datetime(2026, 6, 2, 12, 31, tzinfo=UTC), datetime(2026, 6, 3, 9, tzinfo=UTC)):
        with pytest.raises(KeyRefused, match="revoked till after its revocation"):
            verify_code(till_code(after), keys, scan)
    # A code that does not say when it was issued cannot prove it predates the revocation.
    with pytest.raises(KeyRefused, match="revoked"):
        verify_code(till_code(None), keys, scan)
    assert verify_code(till_code(None), keys, REVOKED_AT - timedelta(minutes=1)).serial == 123_456_789


def test_codes_issued_outside_the_certificate_are_refused() -> None:
    keys = standing()
    scan = CERTIFIED_UNTIL + timedelta(days=2)  # a ticket sold in time stays good after the end
    assert verify_code(till_code(CERTIFIED_UNTIL), keys, scan).serial == 123_456_789
    with pytest.raises(KeyRefused, match="certificate had expired"):
        verify_code(till_code(CERTIFIED_UNTIL + timedelta(minutes=1)), keys, scan)
    with pytest.raises(KeyRefused, match="certificate began"):
        verify_code(till_code(CERTIFIED_FROM - timedelta(days=1)), keys, scan)
    # a till's clock a few minutes behind the service's right after enrolment is no forgery
    assert verify_code(till_code(CERTIFIED_FROM - timedelta(minutes=5)), keys, scan)
    # a till of an older release signs without issue time: judged as issued when scanned
    with pytest.raises(KeyRefused, match="certificate had expired"):
        verify_code(till_code(None), keys, scan)


def test_a_forged_or_unknown_key_is_still_a_plain_invalid_code() -> None:
    code = till_code(CERTIFIED_FROM + timedelta(hours=1))
    with pytest.raises(CodeError, match="unknown key 5"):
        verify_code(code, {}, CERTIFIED_FROM)
    other = {5: KeyStanding(key_id=5, public=SERVICE.public_key(), till=True)}
    with pytest.raises(CodeError, match="signature does not match"):
        verify_code(code, other, CERTIFIED_FROM)


def test_legacy_revoked_keys_without_a_time_vouch_for_nothing() -> None:
    keys = {
        5: KeyStanding.parse(5, public_hex(TILL.public_key()), till=True, revoked=True),
    }
    with pytest.raises(KeyRefused):
        verify_code(till_code(datetime(2025, 1, 1, tzinfo=UTC)), keys, datetime(2026, 1, 1, tzinfo=UTC))


def test_a_certificate_is_signed_by_the_issuer_and_any_change_breaks_it() -> None:
    certificate = sign_certificate(
        TillCertificate(
            device_id=3,
            device="box-office-1",
            key_id=5,
            public_key=public_hex(TILL.public_key()),
            not_before=CERTIFIED_FROM,
            not_after=CERTIFIED_UNTIL + timedelta(microseconds=1),
            issuer_key_id=1,
        ),
        SERVICE,
    )
    assert certificate.not_after == CERTIFIED_UNTIL  # whole seconds, as signed
    verify_certificate(certificate, SERVICE.public_key())
    wire = msgspec.json.decode(msgspec.json.encode(certificate), type=TillCertificate)
    verify_certificate(wire, SERVICE.public_key())
    assert certificate.covers(CERTIFIED_UNTIL) and not certificate.covers(
        CERTIFIED_UNTIL + timedelta(seconds=1)
    )
    longer = msgspec.structs.replace(certificate, not_after=CERTIFIED_UNTIL + timedelta(days=30))
    with pytest.raises(CodeError, match="not signed by the venue's issuer key"):
        verify_certificate(longer, SERVICE.public_key())
    with pytest.raises(CodeError):
        verify_certificate(certificate, TILL.public_key())

"""Stored-value and gift card codes: signed like a ticket, but never mistaken for one.

A card's QR holds a signed code of the same length and alphabet as a ticket's (so every scanner
and the gate's burst cutter handle it alike), but with a version of its own, and its signature is
made over the payload behind a card prefix. A ticket reader refuses the card version outright
(`codes.read_signed_code` knows versions 1 and 2 only), and even a forged payload with a ticket's
version over a card's signature fails: the two signatures cover different bytes. Only the
service's own issuer keys sign cards (tills never issue a card offline), so a till's key
vouches for no card.

A card's number (printed, and in its Code128) is 15 random digits and a Damm check digit: 16
digits, a length no ticket number has, so a typed number says which it is.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Mapping
from datetime import datetime

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from admission.domain.codes import (
    MAX_SERIAL,
    SIGNED_CODE_LENGTH,
    CodeError,
    _from_minutes,
    _to_minutes,
    damm_check_digit,
    decode_symbols,
    encode_symbols,
    normalise_scan,
)
from admission.i18n import _

CARD_CODE_VERSION = 16  # far from the ticket versions (1, 2): a card is never read as a ticket
_CARD_DOMAIN = b"admission card 1\n"  # signed before the payload: a ticket's signature never fits
_PAYLOAD = struct.Struct(">BHQIIII")  # version, key id, serial, card type, issued, expires, 0
_SIGNATURE_BYTES = 64
_SIGNED_BYTES = _PAYLOAD.size + _SIGNATURE_BYTES
CARD_NUMBER_DIGITS = 15
CARD_NUMBER_LENGTH = CARD_NUMBER_DIGITS + 1


class SignedCard(msgspec.Struct, frozen=True):
    """What a card's code states, readable offline by any till holding the issuer keys."""

    key_id: int
    serial: int
    card_type_id: int
    issued_at: datetime | None = None
    expires_at: datetime | None = None


def sign_card(card: SignedCard, private_key: Ed25519PrivateKey) -> str:
    payload = _PAYLOAD.pack(
        CARD_CODE_VERSION,
        card.key_id,
        card.serial,
        card.card_type_id,
        _to_minutes(card.issued_at),
        _to_minutes(card.expires_at),
        0,
    )
    return encode_symbols(payload + private_key.sign(_CARD_DOMAIN + payload), SIGNED_CODE_LENGTH)


def is_card_code(code: str) -> bool:
    """Whether a signed code of the right length states the card version (not yet verified)."""
    if len(code) != SIGNED_CODE_LENGTH:
        return False
    try:
        raw = decode_symbols(code, _SIGNED_BYTES)
    except CodeError:
        return False
    return raw[0] == CARD_CODE_VERSION


def verify_card_code(code: str, public_keys: Mapping[int, Ed25519PublicKey]) -> SignedCard:
    """The card a signed code states, or CodeError if it is no card code, malformed or forged.

    `public_keys` must hold the service's own issuer keys only (not tills'), withdrawn ones left
    out: a card signed by anything else is refused."""
    if len(code) != SIGNED_CODE_LENGTH:
        raise CodeError(_("code has the wrong length"))
    raw = decode_symbols(code, _SIGNED_BYTES)
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    version, key_id, serial, type_id, issued, expires, _spare = _PAYLOAD.unpack(payload)
    if version != CARD_CODE_VERSION:
        raise CodeError(_("this is not a card code"))
    if not 0 < serial < MAX_SERIAL:
        raise CodeError(_("code states an impossible serial: forged or damaged"))
    key = public_keys.get(key_id)
    if key is None:
        raise CodeError(_("code is signed with unknown key {key}").format(key=key_id))
    try:
        key.verify(signature, _CARD_DOMAIN + payload)
    except InvalidSignature as exc:
        raise CodeError(_("code signature does not match: forged or damaged")) from exc
    return SignedCard(
        key_id=key_id,
        serial=serial,
        card_type_id=type_id,
        issued_at=_from_minutes(issued),
        expires_at=_from_minutes(expires),
    )


def new_card_number() -> str:
    body = f"{secrets.randbelow(10**CARD_NUMBER_DIGITS):0{CARD_NUMBER_DIGITS}d}"
    return body + damm_check_digit(body)


def is_valid_card_number(number: str) -> bool:
    return (
        len(number) == CARD_NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and damm_check_digit(number) == "0"
    )


def format_card_number(number: str) -> str:
    """Groups of four, as on a bank card."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def mask_card_number(number: str) -> str:
    """A card number as receipts and messages show it: its last four digits only (whoever holds
    a receipt must not be able to spend the card by typing its number). Plain asterisks: every
    receipt printer's code page has them."""
    return "**** " + number[-4:]


class CardRef(msgspec.Struct, frozen=True):
    """A scanned or typed card: its signed code or its number."""

    kind: str  # "code" or "number"
    value: str


def classify_card(raw: str) -> CardRef | None:
    """A card code or card number in what was scanned or typed; None when it is neither (then it
    may be a ticket). A 16-digit string with a wrong check digit is a mistyped card number."""
    if len(raw) > 4 * SIGNED_CODE_LENGTH:
        return None
    text = normalise_scan(raw)
    if is_card_code(text):
        return CardRef(kind="code", value=text)
    if text.isdigit() and len(text) == CARD_NUMBER_LENGTH:
        if not is_valid_card_number(text):
            raise CodeError(_("card number check digit is wrong: mistyped or damaged"))
        return CardRef(kind="number", value=text)
    return None

"""Ticket codes: the signed code (QR) and the ticket number (Code128, typed by hand).

Both must survive keyboard-wedge scanners on non-US layouts, so the signed code uses an
alphabet without letters that common layouts move (Y/Z on QWERTZ; A/Q, W/Z and M on AZERTY)
and without the look-alikes I and O. Everything left is digits and upper-case letters, which
also keeps the QR in its compact alphanumeric mode.
"""

from __future__ import annotations

import itertools
import re
import secrets
import struct
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from admission.i18n import _

ALPHABET = "0123456789BCDEFGHJKLNPRSTUVX"
_BASE = len(ALPHABET)
_TO_INT_DIGITS = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqr")
_NOT_ALPHABET = re.compile(f"[^{ALPHABET}]")

CODE_VERSION = 1
# A till signs codes of version 2: the same layout, but the field that names an event in version
# 1 carries the minute the code was issued (a till never sells event tickets offline). Gates and
# the service judge a till's code by that minute against its key's certificate and revocation.
ISSUED_CODE_VERSION = 2
# A till selling an event ticket within its capacity lease signs version 3: the event stays in its
# field, and the minute of issue takes the valid-from field. Such a ticket is valid from its sale
# (the event's doors window governs when it admits anyway), so nothing is lost, and the code keeps
# its 152 symbols: every field of the payload is in use.
LEASED_EVENT_CODE_VERSION = 3
MAX_SERIAL = 2**63  # serials are 1 .. 2**63 - 1: a signed BIGINT column holds them
_PAYLOAD = struct.Struct(">BHQIIII")  # version, key id, serial, template, event or issued, from, until
_SIGNATURE_BYTES = 64
_SIGNED_BYTES = _PAYLOAD.size + _SIGNATURE_BYTES
SIGNED_CODE_LENGTH = 152  # symbols needed for 91 bytes in base 28
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

TICKET_NUMBER_DIGITS = 12  # random digits; a Damm check digit follows
TICKET_NUMBER_LENGTH = TICKET_NUMBER_DIGITS + 1

# French and Belgian AZERTY type the digit row unshifted as these characters.
_AZERTY_DIGITS = str.maketrans("&é\"'(-§è_!çà", "123456678890")
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_NOT_CODE_SYMBOL = re.compile(r"[^0-9A-Z]")
_ASCII_DIGIT = re.compile(r"[0-9]")


class CodeError(ValueError):
    """A scanned string that is not a valid ticket code (malformed or forged)."""


class SignedTicket(msgspec.Struct, frozen=True):
    """What a signed code states about its ticket, readable offline by any gate."""

    key_id: int
    serial: int
    template_id: int
    event_id: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    # When a till signed it, to the minute (version 2 codes); None in the service's own codes
    # and in the codes tills signed before they carried it.
    issued_at: datetime | None = None


# Every string of three symbols, in counting order: encoding takes three symbols per divmod
# (issuing ten thousand tickets encodes ten thousand codes).
_TRIPLES = tuple("".join(t) for t in itertools.product(ALPHABET, repeat=3))
_TRIPLE_BASE = _BASE**3


def encode_symbols(data: bytes, length: int) -> str:
    value = int.from_bytes(data, "big")
    groups = []
    for _group in range(-(-length // 3)):
        value, triple = divmod(value, _TRIPLE_BASE)
        groups.append(_TRIPLES[triple])
    text = "".join(reversed(groups))
    surplus = len(text) - length  # the first group may hold more symbols than asked for
    if value or text[:surplus].strip(ALPHABET[0]):
        raise ValueError("data does not fit the requested length")
    return text[surplus:]


def decode_symbols(text: str, size: int) -> bytes:
    # int() reads base 28 from the symbols 0-9a-r: translating to those keeps the per-symbol
    # work in C (a batch of thousands of scans decodes every code).
    stray = _NOT_ALPHABET.search(text)
    if stray is not None:
        raise CodeError(_("character {char!r} is not part of a ticket code").format(char=stray.group()))
    value = int(text.translate(_TO_INT_DIGITS), _BASE) if text else 0
    try:
        return value.to_bytes(size, "big")
    except OverflowError as exc:
        raise CodeError(_("code is out of range")) from exc


def to_code_precision(moment: datetime | None) -> datetime | None:
    """`moment` as a signed code carries it: the whole minute (UTC) it falls in.

    Ticket validity is stamped at this precision everywhere, so a gate that knows a ticket only
    from its code and the service that knows it from its row decide the same at every instant.
    """
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _to_minutes(moment: datetime | None) -> int:
    if moment is None:
        return 0
    return max(1, int((moment - _EPOCH).total_seconds() // 60))


def _from_minutes(minutes: int) -> datetime | None:
    if minutes == 0:
        return None
    try:
        return datetime.fromtimestamp(_EPOCH.timestamp() + minutes * 60, tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:  # beyond year 9999: forged or damaged
        raise CodeError(_("code states a date out of range")) from exc


def sign_ticket(ticket: SignedTicket, private_key: Ed25519PrivateKey) -> str:
    valid_from: datetime | None
    if ticket.issued_at is not None and ticket.event_id is not None:
        if ticket.valid_from != ticket.issued_at:
            raise ValueError("a till's event ticket is valid from the minute it was issued")
        version, fifth, valid_from = LEASED_EVENT_CODE_VERSION, ticket.event_id, ticket.issued_at
    elif ticket.issued_at is not None:
        version, fifth, valid_from = ISSUED_CODE_VERSION, _to_minutes(ticket.issued_at), ticket.valid_from
    else:
        version, fifth, valid_from = CODE_VERSION, ticket.event_id or 0, ticket.valid_from
    payload = _PAYLOAD.pack(
        version,
        ticket.key_id,
        ticket.serial,
        ticket.template_id,
        fifth,
        _to_minutes(valid_from),
        _to_minutes(ticket.valid_until),
    )
    return encode_symbols(payload + private_key.sign(payload), SIGNED_CODE_LENGTH)


def read_signed_code(code: str) -> tuple[SignedTicket, bytes, bytes]:
    """Unpack a signed code without checking the signature: (ticket, payload, signature)."""
    if len(code) != SIGNED_CODE_LENGTH:
        raise CodeError(_("code has the wrong length"))
    raw = decode_symbols(code, _SIGNED_BYTES)
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    version, key_id, serial, template_id, fifth, valid_from, valid_until = _PAYLOAD.unpack(payload)
    if version not in (CODE_VERSION, ISSUED_CODE_VERSION, LEASED_EVENT_CODE_VERSION):
        raise CodeError(_("unknown code version {version}").format(version=version))
    issued_minute = {ISSUED_CODE_VERSION: fifth, LEASED_EVENT_CODE_VERSION: valid_from}.get(version)
    if issued_minute == 0:
        raise CodeError(_("code states no issue time: forged or damaged"))
    if version == LEASED_EVENT_CODE_VERSION and fifth == 0:
        raise CodeError(_("code names no event: forged or damaged"))
    event_id = None if version == ISSUED_CODE_VERSION else fifth
    if not 0 < serial < MAX_SERIAL:  # no ticket carries it: forged or damaged, and no row could hold it
        raise CodeError(_("code states an impossible serial: forged or damaged"))
    ticket = SignedTicket(
        key_id=key_id,
        serial=serial,
        template_id=template_id,
        event_id=event_id or None,
        valid_from=_from_minutes(valid_from),
        valid_until=_from_minutes(valid_until),
        issued_at=None if issued_minute is None else _from_minutes(issued_minute),
    )
    return ticket, payload, signature


def verify_signed_code(code: str, public_keys: Mapping[int, Ed25519PublicKey]) -> SignedTicket:
    """The ticket a signed code states, or CodeError if it is malformed or forged."""
    ticket, payload, signature = read_signed_code(code)
    key = public_keys.get(ticket.key_id)
    if key is None:
        raise CodeError(_("code is signed with unknown key {key}").format(key=ticket.key_id))
    try:
        key.verify(signature, payload)
    except InvalidSignature as exc:
        raise CodeError(_("code signature does not match: forged or damaged")) from exc
    return ticket


def new_serial() -> int:
    """A random 63-bit serial (fits a signed BIGINT column; never guessable)."""
    return secrets.randbelow(MAX_SERIAL - 1) + 1


_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_check_digit(digits: str) -> str:
    """Damm's check digit: catches every single-digit error and adjacent transposition."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return str(interim)


def new_ticket_number() -> str:
    body = f"{secrets.randbelow(10**TICKET_NUMBER_DIGITS):0{TICKET_NUMBER_DIGITS}d}"
    return body + damm_check_digit(body)


def is_valid_ticket_number(number: str) -> bool:
    return (
        len(number) == TICKET_NUMBER_LENGTH
        and number.isascii()  # str.isdigit() also accepts "²" and other scripts' digits
        and number.isdigit()
        and damm_check_digit(number) == "0"
    )


def format_ticket_number(number: str) -> str:
    """Groups of four for people reading it aloud or typing it."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


class ScannedCode(msgspec.Struct, frozen=True):
    kind: str  # "signed" or "number"
    value: str


def normalise_scan(raw: str) -> str:
    """What a scanner typed, cleaned of layout quirks, prefixes, suffixes and noise."""
    text = raw if raw.isprintable() else "".join(ch for ch in raw if ch.isprintable())
    text = _AIM_PREFIX.sub("", text.strip())
    if "/" in text:  # a URL or path wrapped around the code: keep the last segment
        text = text.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if _ASCII_DIGIT.search(text) is None:  # an AZERTY layout typed every digit shifted
        text = text.translate(_AZERTY_DIGITS)
    text = text.upper()
    return _NOT_CODE_SYMBOL.sub("", text)


def classify_scan(raw: str) -> ScannedCode:
    """Normalise and recognise a scan, or CodeError saying why it is not a ticket code."""
    if len(raw) > 4 * SIGNED_CODE_LENGTH:
        raise CodeError(_("input is far too long to be a ticket code"))
    text = normalise_scan(raw)
    if not text:
        raise CodeError(_("nothing that looks like a ticket code was scanned"))
    if len(text) == SIGNED_CODE_LENGTH:
        return ScannedCode(kind="signed", value=text)
    if text.isdigit() and len(text) == TICKET_NUMBER_LENGTH:
        if not is_valid_ticket_number(text):
            raise CodeError(_("ticket number check digit is wrong: mistyped or damaged"))
        return ScannedCode(kind="number", value=text)
    raise CodeError(_("not a ticket code: wrong length or characters"))


def now_utc() -> datetime:
    return datetime.now(UTC)


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


# Far more than any ticket code; longer input is noise and is not worth normalising or storing.
MAX_SCAN_LENGTH = 2000


def printable_code(raw: str) -> str:
    """The code as scanned, made storable everywhere (gate store, PostgreSQL text, JSON): cut to
    the contract's limit, without NUL characters or unpaired surrogates. The verdict is not
    affected: such input is never a ticket code."""
    code = raw[:MAX_SCAN_LENGTH].replace("\x00", "\ufffd")
    return code.encode("utf-8", "replace").decode("utf-8")

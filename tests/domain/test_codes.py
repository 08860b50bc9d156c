"""Table-driven tests for ticket codes: signed codes, ticket numbers and scanner input."""

from __future__ import annotations

import itertools
import random
import string
import struct
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from admission.domain import codes
from admission.domain.codes import (
    ALPHABET,
    SIGNED_CODE_LENGTH,
    TICKET_NUMBER_LENGTH,
    CodeError,
    ScannedCode,
    SignedTicket,
    classify_scan,
    damm_check_digit,
    decode_symbols,
    encode_symbols,
    format_ticket_number,
    is_valid_ticket_number,
    new_serial,
    new_ticket_number,
    normalise_scan,
    read_signed_code,
    sign_ticket,
    verify_signed_code,
)

# Deterministic keys: key id -> private key.
PRIVATE_KEYS = {
    key_id: Ed25519PrivateKey.from_private_bytes(key_id.to_bytes(2, "big") * 16) for key_id in (1, 2, 300)
}
PUBLIC_KEYS: dict[int, Ed25519PublicKey] = {key_id: key.public_key() for key_id, key in PRIVATE_KEYS.items()}
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(b"\x99" * 32)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def signed(ticket: SignedTicket, key: Ed25519PrivateKey | None = None) -> str:
    return sign_ticket(ticket, key or PRIVATE_KEYS[ticket.key_id])


TICKET = SignedTicket(
    key_id=1,
    serial=4_611_686_018_427_387_904,
    template_id=12,
    event_id=7,
    valid_from=utc(2026, 6, 12, 9),
    valid_until=utc(2026, 6, 13),
)
CODE = signed(TICKET)
NUMBER = "4711" + "0815" + "4242"
NUMBER += damm_check_digit(NUMBER)


# ---------------------------------------------------------------- signed codes ---------

ROUND_TRIPS = [
    pytest.param(TICKET, id="event-ticket-key-1"),
    pytest.param(SignedTicket(key_id=2, serial=1, template_id=1), id="no-event-no-window-key-2"),
    pytest.param(
        SignedTicket(key_id=300, serial=2**63 - 1, template_id=2**32 - 1, event_id=2**32 - 1),
        id="largest-ids-key-300",
    ),
    pytest.param(
        SignedTicket(key_id=2, serial=987_654_321, template_id=3, valid_from=utc(2026, 3, 29, 1, 30)),
        id="open-ended-window",
    ),
    pytest.param(
        SignedTicket(key_id=1, serial=5, template_id=3, valid_until=utc(2099, 12, 31, 23, 59)),
        id="until-only-far-future",
    ),
    pytest.param(
        SignedTicket(
            key_id=300,
            serial=new_serial(),
            template_id=4,
            event_id=1,
            valid_from=utc(2020, 1, 1, 0, 1),
            valid_until=utc(2020, 1, 1, 0, 2),
        ),
        id="earliest-representable-window",
    ),
]


@pytest.mark.parametrize("ticket", ROUND_TRIPS)
def test_sign_verify_round_trip(ticket: SignedTicket) -> None:
    code = signed(ticket)
    assert len(code) == SIGNED_CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert verify_signed_code(code, PUBLIC_KEYS) == ticket
    assert read_signed_code(code)[0] == ticket


def test_alphabet_survives_keyboard_layouts() -> None:
    """Digits and upper-case letters only, without the letters QWERTZ/AZERTY move or I/O."""
    assert set(ALPHABET) <= set(string.digits + string.ascii_uppercase)
    assert not set(ALPHABET) & set("YZAQWMIO")
    assert len(set(ALPHABET)) == len(ALPHABET)


def test_window_travels_at_minute_resolution() -> None:
    ticket = SignedTicket(
        key_id=1,
        serial=9,
        template_id=1,
        valid_from=utc(2026, 6, 12, 9, 0, 59),
        valid_until=utc(2026, 6, 12, 17, 0, 30),
    )
    read = verify_signed_code(signed(ticket), PUBLIC_KEYS)
    assert (read.valid_from, read.valid_until) == (utc(2026, 6, 12, 9), utc(2026, 6, 12, 17))


def test_signatures_differ_per_key() -> None:
    codes_by_key = {signed(TICKET, key) for key in [*PRIVATE_KEYS.values(), OTHER_KEY]}
    assert len(codes_by_key) == len(PRIVATE_KEYS) + 1


def _next_symbol(symbol: str) -> str:
    return ALPHABET[(ALPHABET.index(symbol) + 1) % len(ALPHABET)]


def test_every_single_symbol_change_is_rejected() -> None:
    for position in range(SIGNED_CODE_LENGTH):
        forged = CODE[:position] + _next_symbol(CODE[position]) + CODE[position + 1 :]
        with pytest.raises(CodeError):
            verify_signed_code(forged, PUBLIC_KEYS)


def _raw_code(payload: tuple[int, ...], signature: bytes = bytes(64)) -> str:
    return encode_symbols(struct.pack(">BHQIIII", *payload) + signature, SIGNED_CODE_LENGTH)


FORGERIES = [
    pytest.param(
        signed(TICKET, PRIVATE_KEYS[2]), "signature does not match", id="signed-by-another-known-key"
    ),
    pytest.param(
        signed(TICKET, OTHER_KEY), "signature does not match", id="signed-by-an-unknown-private-key"
    ),
    pytest.param(
        signed(SignedTicket(key_id=7, serial=1, template_id=1), OTHER_KEY),
        "unknown key 7",
        id="unknown-key-id",
    ),
    pytest.param(CODE[:-1], "wrong length", id="one-symbol-short"),
    pytest.param(CODE + "0", "wrong length", id="one-symbol-long"),
    pytest.param("", "wrong length", id="empty"),
    pytest.param(CODE[:-1] + "A", "not part of a ticket code", id="letter-outside-alphabet"),
    pytest.param(CODE.lower(), "not part of a ticket code", id="lower-case-unnormalised"),
    pytest.param("X" * SIGNED_CODE_LENGTH, "out of range", id="value-out-of-range"),
    pytest.param(_raw_code((4, 1, 1, 1, 0, 0, 0)), "unknown code version 4", id="future-version"),
    pytest.param(_raw_code((3, 1, 1, 1, 5, 0, 0)), "no issue time", id="event-code-without-issue-time"),
    pytest.param(_raw_code((3, 1, 1, 1, 0, 9, 0)), "names no event", id="event-code-without-event"),
    pytest.param(_raw_code((0, 1, 1, 1, 0, 0, 0)), "unknown code version 0", id="version-zero"),
    pytest.param(_raw_code((1, 1, 1, 1, 0, 0, 0)), "signature does not match", id="zero-signature"),
    pytest.param(
        _raw_code((1, 1, 1, 1, 0, 0, 2**32 - 1)),
        "date out of range",
        id="valid_until-beyond-year-9999",
    ),
    pytest.param(
        _raw_code((1, 1, 1, 1, 0, 2**32 - 1, 0)),
        "date out of range",
        id="valid_from-beyond-year-9999",
    ),
]


@pytest.mark.parametrize(("code", "message"), FORGERIES)
def test_forged_or_malformed_codes_raise_code_error(code: str, message: str) -> None:
    with pytest.raises(CodeError, match=message):
        verify_signed_code(code, PUBLIC_KEYS)


def test_revoked_key_no_longer_verifies() -> None:
    keys = {key_id: key for key_id, key in PUBLIC_KEYS.items() if key_id != 1}
    with pytest.raises(CodeError, match="unknown key 1"):
        verify_signed_code(CODE, keys)


def test_symbol_codec_round_trip() -> None:
    rng = random.Random(28)
    for size in (1, 27, 91):
        data = rng.randbytes(size)
        length = len(encode_symbols(b"\xff" * size, 200).lstrip("0"))
        assert decode_symbols(encode_symbols(data, length), size) == data
    with pytest.raises(ValueError, match="does not fit"):
        encode_symbols(b"\xff" * 91, SIGNED_CODE_LENGTH - 1)


# ---------------------------------------------------------------- ticket numbers -------


def _number_without_adjacent_repeats(seed: int) -> str:
    rng = random.Random(seed)
    while True:
        body = "".join(rng.choice(string.digits) for _ in range(TICKET_NUMBER_LENGTH - 1))
        number = body + damm_check_digit(body)
        if all(a != b for a, b in itertools.pairwise(number)):
            return number


RANDOM_NUMBER = _number_without_adjacent_repeats(seed=13)
SUBSTITUTIONS = [
    pytest.param(position, digit, id=f"pos{position:02d}-{RANDOM_NUMBER[position]}-to-{digit}")
    for position in range(TICKET_NUMBER_LENGTH)
    for digit in string.digits
    if digit != RANDOM_NUMBER[position]
]
TRANSPOSITIONS = [
    pytest.param(position, id=f"pos{position:02d}-{position + 1:02d}")
    for position in range(TICKET_NUMBER_LENGTH - 1)
]


def test_random_number_is_valid() -> None:
    assert is_valid_ticket_number(RANDOM_NUMBER)
    assert len(SUBSTITUTIONS) == 13 * 9
    assert len(TRANSPOSITIONS) == 12


@pytest.mark.parametrize(("position", "digit"), SUBSTITUTIONS)
def test_check_digit_catches_substitution(position: int, digit: str) -> None:
    typo = RANDOM_NUMBER[:position] + digit + RANDOM_NUMBER[position + 1 :]
    assert not is_valid_ticket_number(typo)
    with pytest.raises(CodeError, match="check digit"):
        classify_scan(typo)


@pytest.mark.parametrize("position", TRANSPOSITIONS)
def test_check_digit_catches_adjacent_transposition(position: int) -> None:
    digits = list(RANDOM_NUMBER)
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    typo = "".join(digits)
    assert typo != RANDOM_NUMBER
    assert not is_valid_ticket_number(typo)


NOT_TICKET_NUMBERS = [
    pytest.param(NUMBER[:-1], id="twelve-digits"),
    pytest.param(NUMBER + "0", id="fourteen-digits"),
    pytest.param(NUMBER[:-1] + "X", id="letter"),
    pytest.param(" " + NUMBER[1:], id="space"),
    pytest.param("", id="empty"),
    pytest.param("١٢٣٤٥٦٧٨٩٠١٢٣", id="arabic-indic-digits"),
    pytest.param("²" * 13, id="superscript-digits"),
]


@pytest.mark.parametrize("number", NOT_TICKET_NUMBERS)
def test_is_valid_ticket_number_rejects(number: str) -> None:
    assert is_valid_ticket_number(number) is False


def test_new_ticket_numbers_are_valid_and_random() -> None:
    numbers = [new_ticket_number() for _ in range(200)]
    assert all(len(n) == TICKET_NUMBER_LENGTH and is_valid_ticket_number(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert {int(b) - int(a) for a, b in itertools.pairwise(numbers)} != {1}


def test_format_ticket_number() -> None:
    assert format_ticket_number("1234567890123") == "1234 5678 9012 3"
    assert classify_scan(format_ticket_number(NUMBER)) == ScannedCode(kind="number", value=NUMBER)


# ---------------------------------------------------------------- scanner input --------

URL_CODE = f"https://tickets.example/t/{CODE}"
NORMALISED = [
    pytest.param(CODE, CODE, id="signed-code-as-is"),
    pytest.param(CODE.lower(), CODE, id="lower-case"),
    pytest.param(f"  {CODE}  ", CODE, id="surrounding-spaces"),
    pytest.param(f"{CODE[:70]} {CODE[70:]}", CODE, id="inner-space"),
    pytest.param(f"{CODE}\r\n", CODE, id="crlf-suffix"),
    pytest.param(f"{CODE}\n", CODE, id="lf-suffix"),
    pytest.param(f"\t{CODE}\t", CODE, id="tabs"),
    pytest.param(f"\x02{CODE}\x03\x04", CODE, id="stx-etx-eot"),
    pytest.param(f"{CODE[:50]}\x1d{CODE[50:]}\x00\x7f", CODE, id="group-separator-nul-del"),
    pytest.param(f"\u200b{CODE}\u00a0", CODE, id="zero-width-and-nbsp"),
    pytest.param(f"]Q1{CODE}", CODE, id="aim-prefix-qr"),
    pytest.param(f"]Q1{CODE}\r", CODE, id="aim-prefix-qr-and-cr"),
    pytest.param(f"]C0{NUMBER}", NUMBER, id="aim-prefix-code128"),
    pytest.param(f"]c0{NUMBER}", NUMBER, id="aim-prefix-lower-case"),
    pytest.param(URL_CODE, CODE, id="url"),
    pytest.param(URL_CODE + "/", CODE, id="url-trailing-slash"),
    pytest.param(URL_CODE.upper() + "\r\n", CODE, id="url-upper-case-crlf"),
    pytest.param(f"]Q1{URL_CODE}", CODE, id="url-with-aim-prefix"),
    pytest.param("&é\"'(-è_çà", "1234567890", id="azerty-french-digit-row"),
    pytest.param("&é\"'(§è!çà", "1234567890", id="azerty-belgian-digit-row"),
    pytest.param(
        NUMBER.translate(str.maketrans("1234567890", "&é\"'(-è_çà")), NUMBER, id="azerty-ticket-number"
    ),
    pytest.param(format_ticket_number(NUMBER), NUMBER, id="grouped-ticket-number"),
    pytest.param("1234 5678 9012 3", "1234567890123", id="grouped-example"),
    pytest.param(" 1234  5678\t9012 3\r\n", "1234567890123", id="grouped-with-noise"),
    pytest.param("", "", id="empty"),
    pytest.param("\r\n\t", "", id="only-control"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALISED)
def test_normalise_scan(raw: str, expected: str) -> None:
    assert normalise_scan(raw) == expected


CLASSIFIED = [
    pytest.param(CODE, "signed", CODE, id="signed"),
    pytest.param(f"]Q1{CODE.lower()}\r\n", "signed", CODE, id="signed-lower-case-aim-crlf"),
    pytest.param(URL_CODE, "signed", CODE, id="signed-in-url"),
    pytest.param(NUMBER, "number", NUMBER, id="number"),
    pytest.param(format_ticket_number(NUMBER) + "\r", "number", NUMBER, id="number-grouped"),
    pytest.param(f"]C0{NUMBER}\n", "number", NUMBER, id="number-aim-prefix"),
    pytest.param(
        NUMBER.translate(str.maketrans("1234567890", "&é\"'(-è_çà")), "number", NUMBER, id="number-azerty"
    ),
    pytest.param(
        " " * (4 * SIGNED_CODE_LENGTH - TICKET_NUMBER_LENGTH) + NUMBER, "number", NUMBER, id="longest-input"
    ),
]


@pytest.mark.parametrize(("raw", "kind", "value"), CLASSIFIED)
def test_classify_scan(raw: str, kind: str, value: str) -> None:
    assert classify_scan(raw) == ScannedCode(kind=kind, value=value)


def test_classified_signed_code_verifies() -> None:
    scanned = classify_scan(f"]Q1{URL_CODE.lower()}\r\n")
    assert verify_signed_code(scanned.value, PUBLIC_KEYS) == TICKET


NOT_CODES = [
    pytest.param("", "nothing", id="empty"),
    pytest.param("  \r\n", "nothing", id="whitespace"),
    pytest.param("]Q1", "nothing", id="aim-prefix-only"),
    pytest.param("https://tickets.example/", "wrong length", id="url-without-code"),
    pytest.param(NUMBER[:-1] + str((int(NUMBER[-1]) + 1) % 10), "check digit", id="wrong-check-digit"),
    pytest.param(NUMBER[:-1], "wrong length", id="twelve-digits"),
    pytest.param(NUMBER + "0", "wrong length", id="fourteen-digits"),
    pytest.param("HELLOWORLD123", "wrong length", id="thirteen-letters-and-digits"),
    pytest.param(CODE[:-1], "wrong length", id="signed-one-short"),
    pytest.param(CODE + "B", "wrong length", id="signed-one-long"),
    pytest.param("1" * (4 * SIGNED_CODE_LENGTH + 1), "far too long", id="overlong"),
    pytest.param(" " * (4 * SIGNED_CODE_LENGTH) + NUMBER, "far too long", id="overlong-padding"),
]


@pytest.mark.parametrize(("raw", "message"), NOT_CODES)
def test_classify_scan_rejects(raw: str, message: str) -> None:
    with pytest.raises(CodeError, match=message):
        classify_scan(raw)


def _noise(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:  # random bytes, as a scanner on the wrong code page might deliver them
        return rng.randbytes(rng.randrange(0, 800)).decode("utf-8", errors="replace")
    if kind == 1:  # random code points, controls and surrogates included
        return "".join(chr(rng.randrange(0, 0x110000)) for _ in range(rng.randrange(0, 700)))
    if kind == 2:  # the right length in the right alphabet, random content
        return "".join(rng.choice(ALPHABET) for _ in range(SIGNED_CODE_LENGTH))
    if kind == 3:  # a well-formed payload with a random signature and random fields
        payload = (1, 1, *(rng.getrandbits(bits) for bits in (64, 32, 32, 32, 32)))
        return _raw_code(payload, rng.randbytes(64))
    if kind == 4:  # printable ASCII soup
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 700)))
    return "".join(rng.choice(string.digits + " -") for _ in range(rng.randrange(10, 20)))


def test_noise_raises_only_code_error() -> None:
    rng = random.Random(20260329)
    outcomes = {"rejected": 0, "classified": 0}
    for _ in range(400):
        raw = _noise(rng)
        try:
            scanned = classify_scan(raw)
            outcomes["classified"] += 1
            if scanned.kind == "signed":
                verify_signed_code(scanned.value, PUBLIC_KEYS)
        except CodeError:
            outcomes["rejected"] += 1
        # any other exception fails the test with its traceback
    assert outcomes["rejected"] > 300


def test_signed_code_length_is_minimal() -> None:
    assert len(ALPHABET) ** (SIGNED_CODE_LENGTH - 1) < 256 ** (codes._SIGNED_BYTES)
    assert len(ALPHABET) ** SIGNED_CODE_LENGTH >= 256 ** (codes._SIGNED_BYTES)


def test_now_utc_is_aware() -> None:
    assert codes.now_utc().utcoffset() == timedelta(0)


def test_dashes_in_a_grouped_number_are_not_read_as_azerty_digits() -> None:
    number = new_ticket_number()
    dashed = "-".join(number[i : i + 4] for i in range(0, 13, 4))
    assert classify_scan(dashed) == ScannedCode(kind="number", value=number)


def test_url_query_and_fragment_are_not_part_of_the_code() -> None:
    number = new_ticket_number()
    assert classify_scan(f"https://tickets.example/t/{number}?src=mail#top").value == number

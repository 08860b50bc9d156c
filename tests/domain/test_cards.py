"""Card rules and card codes: what a till and the service both decide from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from admission.domain import cards
from admission.domain.card_codes import (
    SignedCard,
    classify_card,
    is_card_code,
    new_card_number,
    sign_card,
    verify_card_code,
)
from admission.domain.cards import CardKind, CardStanding, CardStatus, CardTypeRules, OfflineCaps
from admission.domain.codes import CodeError, SignedTicket, classify_scan, read_signed_code, sign_ticket

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
GIFT = CardTypeRules(kind=CardKind.GIFT)
MEMBER = CardTypeRules(kind=CardKind.STORED_VALUE, max_balance_cents=50_000, unload_limit_cents=10_000)


def standing(balance: int, status: CardStatus = CardStatus.ACTIVE, expires: datetime | None = None) -> CardStanding:
    return CardStanding(status=status, balance_cents=balance, expires_at=expires, currency="EUR")


def test_a_card_code_verifies_as_a_card_and_states_its_card() -> None:
    code = sign_card(SignedCard(key_id=1, serial=42, card_type_id=3, issued_at=NOW), KEY)
    card = verify_card_code(code, {1: KEY.public_key()})
    assert (card.serial, card.card_type_id, card.issued_at) == (42, 3, NOW)
    assert is_card_code(code)
    assert classify_card(code.lower()) is not None


def test_a_card_code_is_never_read_as_a_ticket_nor_a_ticket_as_a_card() -> None:
    card_code = sign_card(SignedCard(key_id=1, serial=42, card_type_id=3), KEY)
    ticket_code = sign_ticket(SignedTicket(key_id=1, serial=42, template_id=3), KEY)
    assert classify_scan(card_code).kind == "signed"  # same shape, so gates cut and read it alike
    with pytest.raises(CodeError):
        read_signed_code(card_code)
    assert not is_card_code(ticket_code)
    assert classify_card(ticket_code) is None
    with pytest.raises(CodeError, match="not a card code"):
        verify_card_code(ticket_code, {1: KEY.public_key()})


def test_a_forged_or_foreign_card_code_is_refused() -> None:
    code = sign_card(SignedCard(key_id=1, serial=42, card_type_id=3), KEY)
    with pytest.raises(CodeError, match="unknown key"):
        verify_card_code(code, {})
    with pytest.raises(CodeError, match="does not match"):
        verify_card_code(code, {1: Ed25519PrivateKey.generate().public_key()})


def test_card_numbers_carry_a_check_digit_and_a_length_of_their_own() -> None:
    number = new_card_number()
    assert len(number) == 16 and classify_card(number) is not None
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(CodeError, match="check digit"):
        classify_card(wrong)
    assert classify_card("1234567890128") is None  # a ticket number's length: not a card


def test_a_payment_never_takes_more_than_the_card_holds() -> None:
    cards.check_payment(standing(1000), 1000, NOW)
    with pytest.raises(cards.InsufficientBalance):
        cards.check_payment(standing(999), 1000, NOW)


def test_blocked_and_expired_cards_are_refused() -> None:
    with pytest.raises(cards.CardBlocked):
        cards.check_payment(standing(1000, CardStatus.BLOCKED), 10, NOW)
    with pytest.raises(cards.CardRefused, match="expired"):
        cards.check_payment(standing(1000, expires=NOW - timedelta(minutes=1)), 10, NOW)


def test_gift_cards_are_not_reloaded_nor_paid_out() -> None:
    with pytest.raises(cards.CardRefused, match="gift card"):
        cards.check_load(GIFT, standing(0), 1000, NOW)
    with pytest.raises(cards.CardRefused, match="cash"):
        cards.check_unload(GIFT, standing(1000), 100, NOW)


def test_stored_value_loads_up_to_its_cap_and_unloads_within_its_limit() -> None:
    cards.check_load(MEMBER, standing(40_000), 10_000, NOW)
    with pytest.raises(cards.CardRefused, match="at most"):
        cards.check_load(MEMBER, standing(40_000), 10_001, NOW)
    cards.check_unload(MEMBER, standing(20_000), 10_000, NOW)
    with pytest.raises(cards.CardRefused, match="at once"):
        cards.check_unload(MEMBER, standing(20_000), 10_001, NOW)


def test_offline_payments_stay_within_the_managers_caps_and_known_cards() -> None:
    caps = OfflineCaps(per_payment_cents=2000, per_card_per_day_cents=3000)
    cards.check_offline_payment(caps, standing(5000), 2000, 0, NOW)
    with pytest.raises(cards.CardRefused, match="at once"):
        cards.check_offline_payment(caps, standing(5000), 2001, 0, NOW)
    with pytest.raises(cards.CardRefused, match="more today"):
        cards.check_offline_payment(caps, standing(5000), 1500, 2000, NOW)
    with pytest.raises(cards.CardRefused, match="does not know"):
        cards.check_offline_payment(caps, None, 100, 0, NOW)
    with pytest.raises(cards.CardBlocked):
        cards.check_offline_payment(caps, standing(5000, CardStatus.BLOCKED), 100, 0, NOW)


def test_a_pin_is_kept_only_as_a_hash_that_matches_it() -> None:
    stored = cards.hash_pin("4711")
    assert "4711" not in stored
    assert cards.pin_matches("4711", stored)
    assert not cards.pin_matches("4712", stored) and not cards.pin_matches(None, stored)
    assert cards.pin_matches(None, None)


def test_a_voucher_leaves_a_manager_the_overdraw_or_all_of_it_on_a_card_dead_when_written() -> None:
    assert cards.voucher_conflict(standing(5000), None, 2000, NOW) == (0, None)
    overdrawn, why = cards.voucher_conflict(standing(600), None, 1000, NOW)
    assert overdrawn == 400 and why is not None
    assert cards.voucher_conflict(standing(-300), None, 1000, NOW)[0] == 1000  # already below zero
    blocked_before = NOW - timedelta(minutes=5)
    assert cards.voucher_conflict(standing(5000, CardStatus.BLOCKED), blocked_before, 1000, NOW)[0] == 1000
    # Blocked after the voucher was written: the payment was good, only what was missing is owed.
    blocked_after = NOW + timedelta(minutes=5)
    assert cards.voucher_conflict(standing(5000, CardStatus.BLOCKED), blocked_after, 1000, NOW) == (0, None)
    assert cards.voucher_conflict(standing(5000, expires=NOW - timedelta(days=1)), None, 1000, NOW)[0] == 1000

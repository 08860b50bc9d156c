"""A ticket issued unpaid (pay later, invoice, an online order not yet settled) is refused with
its own reason until it is marked paid, unless its template admits pending tickets; its exit is
admitted like any other."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admission.domain.model import Direction, Reason, Verdict
from admission.domain.rules import decide
from admission.domain.wording import reason_words
from tests.domain.test_rules import (
    CONCERT,
    CPH,
    MAIN,
    NORTH,
    NOW,
    STAGE,
    event_ticket,
    rules,
    ticket,
    went_in,
)

UNPAID_WORDS = "Payment pending: the guest pays at the box office, then enters"


def test_an_unpaid_ticket_is_refused_with_its_own_reason_saying_what_the_guest_does() -> None:
    decision = decide(ticket(paid=False), (), MAIN, Direction.IN, NOW, CPH)
    assert (decision.verdict, decision.reason, decision.message) == (
        Verdict.REJECT,
        Reason.UNPAID,
        UNPAID_WORDS,
    )
    assert reason_words(decision.reason) == "Not paid yet"


def test_once_paid_the_same_ticket_is_admitted() -> None:
    assert decide(ticket(paid=True), (), MAIN, Direction.IN, NOW, CPH).reason is Reason.OK


def test_a_template_that_admits_pending_tickets_lets_an_unpaid_one_in_under_its_other_rules() -> None:
    trusted = rules(allow_pending_entry=True)
    assert decide(ticket(trusted, paid=False), (), MAIN, Direction.IN, NOW, CPH).reason is Reason.OK
    # ... and its other rules still hold: the single entry is used.
    entered = (went_in(MAIN, NOW - timedelta(hours=1)),)
    again = decide(ticket(trusted, paid=False), entered, NORTH, Direction.IN, NOW, CPH)
    assert again.reason is Reason.ALREADY_USED


def test_an_unpaid_ticket_that_entered_before_is_refused_as_unpaid_not_as_used() -> None:
    """Staff read what the guest must do: pay first. (A pass may have entered while its
    template admitted pending tickets, or before the service knew.)"""
    entered = (went_in(MAIN, NOW - timedelta(hours=1)),)
    assert decide(ticket(paid=False), entered, NORTH, Direction.IN, NOW, CPH).reason is Reason.UNPAID


def test_void_outranks_unpaid() -> None:
    decision = decide(ticket(paid=False, void=True, void_reason="refunded"), (), MAIN, Direction.IN, NOW, CPH)
    assert decision.reason is Reason.VOID


def test_unpaid_is_said_before_the_wrong_gate_or_time() -> None:
    """Whatever else is wrong, the guest goes to the box office first: the gate says so."""
    elsewhere = ticket(rules(allowed_zones=("vip",)), paid=False)
    assert decide(elsewhere, (), MAIN, Direction.IN, NOW, CPH).reason is Reason.UNPAID
    too_early = event_ticket(CONCERT, paid=False)
    assert decide(too_early, (), STAGE, Direction.IN, NOW, CPH).reason is Reason.UNPAID


@pytest.mark.parametrize("allow", [False, True])
def test_the_exit_of_an_unpaid_ticket_is_admitted(allow: bool) -> None:
    decision = decide(ticket(rules(allow_pending_entry=allow), paid=False), (), MAIN, Direction.OUT, NOW, CPH)
    assert (decision.verdict, decision.message) == (Verdict.ADMIT, "Exit")

"""The card terminal is down (seed 001): what the till offers instead, and what staff say.

Pure, shared by the service and the till. While a till's terminal is down, bank cards are
refused at that till whatever the connection (the terminal, not the network, is what broke);
every other method the venue takes stays, and the seller reads the guests one line naming them.
"""

from __future__ import annotations

from collections.abc import Sequence

from admission.domain.payments import MethodStatus, PaymentConfig, PaymentIn, PaymentMethod, PaymentRefused
from admission.i18n import _

# The tenders a broken card terminal takes away.
TERMINAL_METHODS = frozenset({PaymentMethod.CARD})


def other_methods(config: PaymentConfig) -> list[str]:
    """The labels of the methods the venue takes that need no card terminal."""
    return [config.label(m.method) for m in config.methods if m.enabled and m.method not in TERMINAL_METHODS]


def guest_line(config: PaymentConfig) -> str:
    """The sentence a seller says (or puts on a sign) while the terminal is down."""
    others = other_methods(config)
    if not others:
        return _("Our card terminal is down and we cannot take payments right now. We apologise.")
    return _("Our card terminal is down right now. We take {methods}. Thank you for your patience.").format(
        methods=", ".join(others)
    )


def refuse_terminal_tender(config: PaymentConfig, tenders: Sequence[PaymentIn]) -> None:
    """Raise PaymentRefused when a tender needs the terminal that is down."""
    for tender in tenders:
        if tender.method in TERMINAL_METHODS:
            raise PaymentRefused(
                _("The card terminal is down: take {methods}").format(
                    methods=", ".join(other_methods(config)) or _("no other method")
                )
            )


def statuses_while_down(config: PaymentConfig, statuses: Sequence[MethodStatus]) -> list[MethodStatus]:
    """The till's method list with the terminal's methods shown as unavailable, and why."""
    shown: list[MethodStatus] = []
    for status in statuses:
        if status.method in TERMINAL_METHODS:
            status = MethodStatus(
                method=status.method,
                label=status.label,
                available=False,
                text=_("{method}: card terminal down").format(method=status.label),
            )
        shown.append(status)
    return shown

"""The payment part of the selling screen: the venue's methods and card brands as choices, and the
single key that picks each method (shown in the footer)."""

from __future__ import annotations

from textual.binding import Binding

from admission.domain.payments import PaymentConfig, PaymentMethod, brand_label
from admission.i18n import N_, _

METHOD_KEYS: dict[PaymentMethod, tuple[str, str]] = {
    PaymentMethod.CASH: ("f8", N_("Cash")),
    PaymentMethod.CARD: ("f9", N_("Card (again: brand)")),
    PaymentMethod.MOBILE: ("f10", N_("Mobile")),
    PaymentMethod.MOBILE_INTEGRATED: ("f11", N_("Mobile (integrated)")),
    PaymentMethod.INVOICE: ("ctrl+n", N_("Invoice")),  # asks who pays, the reference, the due date
}


def method_bindings() -> list[Binding]:
    return [
        Binding(key, f"app.pay_with('{method.value}')", label, priority=True)
        for method, (key, label) in METHOD_KEYS.items()
    ]


def method_options(config: PaymentConfig) -> list[tuple[str, str]]:
    """The methods the venue takes, in its order; cash if it takes none."""
    enabled = [(config.label(m.method), m.method.value) for m in config.methods if m.enabled]
    return enabled or [(_("Cash"), PaymentMethod.CASH.value)]


def brand_options(config: PaymentConfig) -> list[tuple[str, str]]:
    return [(brand_label(b), b) for b in config.card_brands]


def next_brand(current: object, brands: list[str]) -> str | None:
    """The brand after `current` (the first one if none is chosen), for pressing the card key again."""
    if not brands:
        return None
    if current not in brands:
        return brands[0]
    return brands[(brands.index(str(current)) + 1) % len(brands)]

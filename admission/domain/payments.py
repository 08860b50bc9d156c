"""Payment methods and their offline rules, shared by the service and the box-office client.

Pure: msgspec and the standard library only, so the till applies exactly the rules the service
checks when its offline sales arrive. What each method can do offline follows from how it works,
not from configuration (the box-office outage routine this replaces):
- cash works offline;
- non-integrated mobile payment (the seller confirms the transfer on their own phone) works offline;
- integrated mobile payment needs the provider's confirmation: online only;
- card works online, and offline only by store-and-forward: the terminal keeps the transactions
  and forwards them later, up to a per-terminal limit, and only for brands that allow it
  (debit brands that need online authorisation, e.g. Visa Electron and Maestro, do not).
What a venue configures (in `Venue.settings["payments"]`): which methods it takes and their labels
("Swish" rather than "Mobile"), the card brands it accepts, those allowed offline, and the limit.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any

import msgspec

from admission.domain.errors import InvalidRequestError
from admission.i18n import N_, _

DEFAULT_CARD_OFFLINE_LIMIT = 200
SETTINGS_KEY = "payments"  # the key in Venue.settings


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    MOBILE = "mobile"  # non-integrated: the seller sees the transfer on their own phone
    MOBILE_INTEGRATED = "mobile_integrated"  # confirmed by the provider's API
    CARD = "card"
    INVOICE = "invoice"  # pay later: a group's invoice with its customer, reference and due date


class OfflineRule(enum.StrEnum):
    ALWAYS = "always"
    NEVER = "never"
    STORE_AND_FORWARD = "store_and_forward"


OFFLINE_RULES: dict[PaymentMethod, OfflineRule] = {
    PaymentMethod.CASH: OfflineRule.ALWAYS,
    PaymentMethod.MOBILE: OfflineRule.ALWAYS,
    PaymentMethod.MOBILE_INTEGRATED: OfflineRule.NEVER,
    PaymentMethod.CARD: OfflineRule.STORE_AND_FORWARD,
    PaymentMethod.INVOICE: OfflineRule.ALWAYS,  # nothing to authorise: the customer pays later
}

DEFAULT_LABELS: dict[PaymentMethod, str] = {
    PaymentMethod.CASH: N_("Cash"),
    PaymentMethod.MOBILE: N_("Mobile (confirm on phone)"),
    PaymentMethod.MOBILE_INTEGRATED: N_("Mobile (integrated)"),
    PaymentMethod.CARD: N_("Card"),
    PaymentMethod.INVOICE: N_("Invoice (pay later)"),
}

BrandName = Annotated[str, msgspec.Meta(min_length=1, max_length=30, pattern=r"^[a-z0-9_]+$")]


class MethodConfig(msgspec.Struct, kw_only=True):
    method: PaymentMethod
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    enabled: bool = True


# An invoice needs someone to chase it: a venue turns it on (PUT /sales/payment-methods).
OFF_BY_DEFAULT = frozenset({PaymentMethod.INVOICE})


def _default_methods() -> list[MethodConfig]:
    return [
        MethodConfig(method=m, label=DEFAULT_LABELS[m], enabled=m not in OFF_BY_DEFAULT)
        for m in PaymentMethod
    ]


class PaymentConfig(msgspec.Struct, kw_only=True):
    """A venue's payment set-up (GET/PUT /api/v1/sales/payment-methods)."""

    methods: list[MethodConfig] = msgspec.field(default_factory=_default_methods)
    card_brands: list[BrandName] = msgspec.field(
        default_factory=lambda: ["visa", "mastercard", "visa_electron", "maestro", "amex"]
    )
    card_offline_brands: list[BrandName] = msgspec.field(default_factory=lambda: ["visa", "mastercard"])
    card_offline_limit: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = DEFAULT_CARD_OFFLINE_LIMIT

    def method(self, method: PaymentMethod) -> MethodConfig | None:
        return next((m for m in self.methods if m.method is method and m.enabled), None)

    def label(self, method: PaymentMethod) -> str:
        configured = next((m for m in self.methods if m.method is method), None)
        label = configured.label if configured else DEFAULT_LABELS[method]
        # A label the venue kept as it came is ours to translate; one it wrote is its own.
        return _(label) if label == DEFAULT_LABELS[method] else label


class PaymentIn(msgspec.Struct, kw_only=True):
    method: PaymentMethod
    amount_cents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]  # tendered: cash may exceed the total
    card_brand: Annotated[str, msgspec.Meta(min_length=1, max_length=30)] | None = None


class MethodStatus(msgspec.Struct, kw_only=True):
    """What the till shows for a method right now, e.g. "Card: offline, 37 of 200 stored payments left"."""

    method: PaymentMethod
    label: str
    available: bool
    text: str
    stored_left: int | None = None  # card offline: store-and-forward slots left


class PaymentRefused(InvalidRequestError):
    """A payment these rules do not allow (the API answers 422; the till shows the message)."""


def normalise_brand(brand: str) -> str:
    """'Visa Electron', 'visa-electron' and 'VISA_ELECTRON' are one brand: visa_electron."""
    return re.sub(r"[^a-z0-9]+", "_", brand.strip().lower()).strip("_")


def brand_label(brand: str) -> str:
    return brand.replace("_", " ").title()


def check_config(config: PaymentConfig) -> None:
    """Reject a set-up that would confuse the till (an offline brand that is not accepted at all)."""
    if not any(m.enabled for m in config.methods):
        raise InvalidRequestError("enable at least one payment method")
    if len({m.method for m in config.methods}) != len(config.methods):
        raise InvalidRequestError("each payment method may be listed once")
    unknown = set(config.card_offline_brands) - set(config.card_brands)
    if unknown:
        raise InvalidRequestError(
            f"offline card brands must also be accepted card brands: {', '.join(sorted(unknown))}"
        )


def check_payment(
    config: PaymentConfig,
    payment: PaymentIn,
    total_cents: int,
    *,
    offline: bool,
    stored_card_payments: int | None = None,
) -> None:
    """Raise PaymentRefused with a message for the seller unless this payment may be taken.

    `stored_card_payments` is the terminal's count of card payments stored and not yet forwarded;
    only the till knows it, so the service passes None and the limit is the till's to enforce.
    """
    label = config.label(payment.method)
    if config.method(payment.method) is None:
        raise PaymentRefused(_("{method} is not accepted at this venue").format(method=label))
    _check_amount(label, payment, total_cents)
    brand = _check_brand(config, payment)
    if not offline:
        return
    rule = OFFLINE_RULES[payment.method]
    if rule is OfflineRule.NEVER:
        raise PaymentRefused(
            _("{method} does not work offline: take cash or another method").format(method=label)
        )
    if rule is OfflineRule.STORE_AND_FORWARD:
        assert brand is not None
        if brand not in config.card_offline_brands:
            allowed = ", ".join(brand_label(b) for b in config.card_offline_brands) or _("none")
            raise PaymentRefused(
                _(
                    "{brand} cards need online authorisation and cannot be taken offline (offline: {allowed})"
                ).format(brand=brand_label(brand), allowed=allowed)
            )
        if stored_card_payments is not None and stored_card_payments >= config.card_offline_limit:
            raise PaymentRefused(
                _(
                    "the card terminal has stored its limit of {limit} offline payments: "
                    "take cash or wait until the connection is back"
                ).format(limit=config.card_offline_limit)
            )


def _check_amount(label: str, payment: PaymentIn, total_cents: int) -> None:
    if payment.amount_cents < total_cents:
        raise PaymentRefused(
            _("payment of {paid} is short of the total {total}").format(
                paid=money(payment.amount_cents), total=money(total_cents)
            )
        )
    # Only cash hands change back; a card or mobile payment charges the total exactly.
    if payment.method is not PaymentMethod.CASH and payment.amount_cents != total_cents:
        raise PaymentRefused(
            _("a {method} payment must be exactly the total {total}").format(
                method=label, total=money(total_cents)
            )
        )


def _check_brand(config: PaymentConfig, payment: PaymentIn) -> str | None:
    if payment.method is not PaymentMethod.CARD:
        if payment.card_brand is not None:
            raise PaymentRefused(_("a card brand only goes with a card payment"))
        return None
    if payment.card_brand is None:
        raise PaymentRefused(_("a card payment needs the card brand (e.g. visa, mastercard)"))
    brand = normalise_brand(payment.card_brand)
    if brand not in config.card_brands:
        accepted = ", ".join(brand_label(b) for b in config.card_brands)
        raise PaymentRefused(
            _("{brand} cards are not accepted (accepted: {accepted})").format(
                brand=brand_label(brand), accepted=accepted
            )
        )
    return brand


def change_due(payment: PaymentIn, total_cents: int) -> int:
    return max(payment.amount_cents - total_cents, 0) if payment.method is PaymentMethod.CASH else 0


def method_statuses(config: PaymentConfig, *, online: bool, stored_card_payments: int) -> list[MethodStatus]:
    """Each enabled method with whether it can be taken now, in the seller's words."""
    return [_status(config, m, online, stored_card_payments) for m in config.methods if m.enabled]


def _status(config: PaymentConfig, entry: MethodConfig, online: bool, stored: int) -> MethodStatus:
    label = config.label(entry.method)
    if online:
        return MethodStatus(
            method=entry.method, label=label, available=True, text=_("{method}: online").format(method=label)
        )
    rule = OFFLINE_RULES[entry.method]
    if rule is OfflineRule.ALWAYS:
        return MethodStatus(
            method=entry.method,
            label=label,
            available=True,
            text=_("{method}: works offline").format(method=label),
        )
    if rule is OfflineRule.NEVER:
        return MethodStatus(
            method=entry.method,
            label=label,
            available=False,
            text=_("{method}: not available offline").format(method=label),
        )
    left = max(config.card_offline_limit - stored, 0)
    brands = ", ".join(brand_label(b) for b in config.card_offline_brands) or _("no brands")
    return MethodStatus(
        method=entry.method,
        label=label,
        available=left > 0 and bool(config.card_offline_brands),
        text=_("{method}: offline, {left} of {limit} stored payments left ({brands} only)").format(
            method=label, left=left, limit=config.card_offline_limit, brands=brands
        ),
        stored_left=left,
    )


def money(cents: int, currency: str = "") -> str:
    amount = f"{cents / 100:,.2f}"
    return f"{amount} {currency}".strip()


def config_from_settings(settings: dict[str, Any] | None) -> PaymentConfig:
    """The venue's payment set-up; the defaults when none was saved (or it no longer decodes)."""
    raw = (settings or {}).get(SETTINGS_KEY)
    if raw is None:
        return PaymentConfig()
    try:
        return msgspec.convert(raw, type=PaymentConfig)
    except msgspec.ValidationError:
        # A hand-edited setting must not stop every sale: fall back to the safe defaults.
        return PaymentConfig()


def settings_with_config(settings: dict[str, Any] | None, config: PaymentConfig) -> dict[str, Any]:
    """A new settings dict (a new object, so the ORM sees the JSON column change)."""
    check_config(config)
    return {**(settings or {}), SETTINGS_KEY: msgspec.to_builtins(config)}

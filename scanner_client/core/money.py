"""Amounts of money as the screens, receipts and reports of the clients show them: in the
device's language (admission.i18n), with the currency's own symbol ("€12.50", "12,50 €")."""

from __future__ import annotations

from admission.i18n.formatting import money


def format_money(cents: int, currency: str = "") -> str:
    return money(cents, currency)

"""Amounts of money as the screens, receipts and reports of the clients show them.

With Babel installed the amount follows the machine's locale (`LC_NUMERIC`, `LANG`; English
where none is set) and the currency's own symbol; without it, the plain form the service uses
("1,234.50 EUR"). Babel is optional: the client does not depend on it.
"""

from __future__ import annotations

from decimal import Decimal

from admission.domain.payments import money

try:
    from babel.core import default_locale
    from babel.numbers import format_currency, format_decimal
except ImportError:
    babel_locale = None
else:
    babel_locale = default_locale("LC_NUMERIC") or "en_US"


def format_money(cents: int, currency: str = "") -> str:
    if babel_locale is None:
        return money(cents, currency)
    amount = Decimal(cents).scaleb(-2)
    if currency:
        return str(format_currency(amount, currency, locale=babel_locale))
    return str(format_decimal(amount, format="#,##0.00", locale=babel_locale))

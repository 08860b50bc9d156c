"""Dates, times, numbers and money as the current language writes them (Babel's CLDR data).

Every moment is shown in the venue's time zone, which the caller passes: the language says how
a time is written, the venue where it is.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal

from babel.dates import format_date, format_datetime, format_time, parse_date
from babel.numbers import format_currency, format_decimal

from admission.i18n import babel_locale


def clock(moment: datetime, tz: tzinfo) -> str:
    """The time of day to the second: "14:05:09" (Finnish and Danish "14.05.09")."""
    return str(format_time(moment, "medium", tzinfo=tz, locale=babel_locale()))


def short_clock(moment: datetime, tz: tzinfo) -> str:
    """The time of day to the minute: "14:05"."""
    return str(format_time(moment, "short", tzinfo=tz, locale=babel_locale()))


def date_time(moment: datetime, tz: tzinfo) -> str:
    """A date and a time, short enough for a table: "3 Dec 2026, 14:05:09"."""
    return str(format_datetime(moment, "medium", tzinfo=tz, locale=babel_locale()))


def day(moment: datetime, tz: tzinfo) -> str:
    return str(format_date(moment.astimezone(tz), "medium", locale=babel_locale()))


def number(value: int | float | Decimal) -> str:
    """A count or a figure with the language's grouping: "12,345", Swedish "12 345"."""
    return str(format_decimal(value, locale=babel_locale()))


def money(cents: int, currency: str = "") -> str:
    """An amount in cents with the currency's symbol where the language uses one."""
    amount = Decimal(cents).scaleb(-2)
    if currency:
        return str(format_currency(amount, currency, locale=babel_locale()))
    return str(format_decimal(amount, format="#,##0.00", locale=babel_locale()))


def short_date_time(moment: datetime, tz: tzinfo) -> str:
    """A date and a time to the minute, for narrow tables: "03/12/2026, 14:05", Swedish "2026-12-03 14:05"."""
    return str(format_datetime(moment, "short", tzinfo=tz, locale=babel_locale()))


def calendar_date(value: date) -> str:
    """A date as the language writes it for typing: "17/12/2026", Swedish "2026-12-17", German "17.12.26"."""
    return str(format_date(value, "short", locale=babel_locale()))


def long_date(value: date) -> str:
    """A date for a receipt or a message: "17 Dec 2026", German "17.12.2026"."""
    return str(format_date(value, "medium", locale=babel_locale()))


def read_date(text: str) -> date:
    """A date typed as the language writes it, or as ISO 8601 (2026-12-17); ValueError if neither."""
    cleaned = text.strip()
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        pass
    try:
        parsed = parse_date(cleaned, locale=babel_locale())
    except (ValueError, IndexError) as exc:  # Babel raises either for text that is no date
        raise ValueError(cleaned) from exc
    return date(parsed.year, parsed.month, parsed.day)

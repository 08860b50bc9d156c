"""What a printable ticket shows, and the accent colour it is printed in (HTML and image
layouts share both)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

import msgspec
from PIL import ImageColor

from admission.i18n import _, ngettext
from admission.i18n.formatting import day, short_clock

_DEFAULT_ACCENT: Final = "#1f3a5f"


class PrintableTicket(msgspec.Struct, frozen=True, kw_only=True):
    """Everything printed on a ticket, already formatted by the caller (locale, currency, zone).

    No labels are added around the texts, so `validity` and `price` should read on their own
    (e.g. "Valid 12-14 June 2026", "EUR 24.00").
    """

    venue_name: str
    title: str
    description: str = ""
    accent_color: str = _DEFAULT_ACCENT  # "#rrggbb" or "#rgb"; anything else prints the default
    template_name: str = ""
    event_name: str | None = None
    event_start: str | None = None
    validity: str = ""
    price: str = ""
    signed_code: str
    # None (or ""): a ticket sold offline by a box office has only its signed code: QR only.
    ticket_number: str | None = None


_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


def printed_accent(t: PrintableTicket) -> str:
    # The colour lands in CSS, where html.escape does not protect: only plain hex gets through.
    # A bad colour from a template must not stop the box office printing, so fall back.
    return t.accent_color if _HEX_COLOR.fullmatch(t.accent_color) else _DEFAULT_ACCENT


def text_color_on(accent: str) -> str:
    """Black or white, whichever reads better on the accent colour (relative luminance)."""
    red, green, blue = ImageColor.getrgb(accent)[:3]
    return "#000000" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 150 else "#ffffff"


def validity_text(
    valid_from: datetime | None, valid_until: datetime | None, tz: ZoneInfo, days_from_first_use: int | None
) -> str:
    """The printed validity, in the venue's time zone and the current language: "Valid from …
    until …", "Valid any day"."""
    def local(moment: datetime) -> str:
        return f"{day(moment, tz)} {short_clock(moment, tz)}"

    parts = []
    if valid_from:
        parts.append(_("from {time}").format(time=local(valid_from)))
    if valid_until:
        parts.append(_("until {time}").format(time=local(valid_until)))
    if days_from_first_use:
        first_use = ngettext("{count} day from first use", "{count} days from first use", days_from_first_use)
        parts.append(first_use.format(count=days_from_first_use))
    if not parts:
        return _("Valid any day")
    return _("Valid {period}").format(period=", ".join(parts))

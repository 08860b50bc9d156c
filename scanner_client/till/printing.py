"""Tickets as files: PNG, HTML and PDF with their barcodes (QR only for tickets sold offline,
which have no number). Built from the till's catalogue (template texts, event, venue), so it
works offline; receipts are in the receipts package."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from admission import barcodes
from admission.contract import EventData, TemplateData
from admission.domain.model import ValidityMode
from scanner_client.core.money import format_money

TICKET_FORMATS = ("png", "html", "pdf")
_RENDERERS = {
    "png": barcodes.render_ticket_png,
    "pdf": barcodes.render_ticket_pdf,
    "html": lambda t: barcodes.render_ticket_html(t).encode(),
}


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    """A ticket as the till prints it (from the service's answer, or signed here offline)."""

    serial: str
    number: str | None
    code: str
    template_id: int
    event_id: int | None
    valid_from: datetime | None
    valid_until: datetime | None


def first_use_days(template: TemplateData) -> int | None:
    """Days a ticket of this template lasts from its first use, if that is how it is valid."""
    if template.validity_mode is ValidityMode.DAYS_FROM_FIRST_USE:
        return template.validity_days
    return None


def printable(
    ticket: IssuedTicket, template: TemplateData, event: EventData | None, venue: str, tz: ZoneInfo
) -> barcodes.PrintableTicket:
    return barcodes.PrintableTicket(
        venue_name=venue,
        title=template.title or template.name,
        description=template.description,
        accent_color=template.color,
        template_name=template.name,
        event_name=event.name if event else None,
        event_start=event.starts_at.astimezone(tz).strftime("%a %d %b %Y %H:%M") if event else None,
        validity=barcodes.validity_text(ticket.valid_from, ticket.valid_until, tz, first_use_days(template)),
        price=format_money(template.price_cents, template.currency),
        ticket_number=ticket.number,
        signed_code=ticket.code,
    )


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80] or "sale"


def write_tickets(
    folder: Path,
    reference: str,
    pages: Sequence[tuple[IssuedTicket, barcodes.PrintableTicket]],
    formats: Sequence[str] = TICKET_FORMATS,
) -> list[Path]:
    """One file per ticket and format, named after the sale and the ticket's serial."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index, (ticket, page) in enumerate(pages, 1):
        stem = f"{safe_name(reference)}-{index:02d}-{ticket.serial}"
        for kind in formats:
            path = folder / f"{stem}.{kind}"
            path.write_bytes(_RENDERERS[kind](page))
            written.append(path)
    return written

"""A ticket's barcodes, and what its printed page shows in the venue's words and time zone."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from admission import barcodes
from admission.barcodes import PrintableTicket
from admission.db.models import Event, Ticket
from admission.domain.errors import InvalidRequestError
from admission.domain.payments import money
from admission.services import catalog, tickets


class Rendered(msgspec.Struct, frozen=True):
    content: bytes
    media_type: str


def barcode(ticket: Ticket, kind: str, image_format: str) -> Rendered:
    """The ticket's QR code (its signed code) or Code128 (its number), as SVG or PNG."""
    renderers: dict[tuple[str, str], Callable[[], bytes]] = {
        ("qr", "svg"): lambda: barcodes.qr_svg(ticket.code),
        ("qr", "png"): lambda: barcodes.qr_png(ticket.code),
        ("code128", "svg"): lambda: barcodes.code128_svg(ticket.number or ""),
        ("code128", "png"): lambda: barcodes.code128_png(ticket.number or ""),
    }
    render = renderers.get((kind, image_format))
    if render is None:
        raise InvalidRequestError("kind must be qr or code128, format svg or png")
    if kind == "code128" and not ticket.number:
        raise InvalidRequestError("this ticket was sold offline and has only its QR code")
    return Rendered(render(), "image/svg+xml" if image_format == "svg" else "image/png")


def printed_page(page: PrintableTicket, page_format: str) -> Rendered:
    if page_format == "html":
        return Rendered(barcodes.render_ticket_html(page).encode(), "text/html")
    if page_format == "png":
        return Rendered(barcodes.render_ticket_png(page), "image/png")
    if page_format == "pdf":
        return Rendered(barcodes.render_ticket_pdf(page), "application/pdf")
    raise InvalidRequestError("format must be html, png or pdf")


async def printable_ticket(session: AsyncSession, ref: str) -> PrintableTicket:
    """What the printed page of the ticket with this number or code shows."""
    ticket = await tickets.get_ticket(session, ref)
    venue = await catalog.get_venue(session)
    tz = ZoneInfo(venue.timezone)
    template = await catalog.get_template(session, ticket.template_id)
    event = await session.get(Event, ticket.event_id) if ticket.event_id else None
    first_use_days = template.validity_days if template.validity_mode == "days_from_first_use" else None
    return PrintableTicket(
        venue_name=venue.name,
        title=template.title or template.name,
        description=template.description,
        accent_color=template.color,
        template_name=template.name,
        event_name=event.name if event else None,
        event_start=event.starts_at.astimezone(tz).strftime("%a %d %b %Y %H:%M") if event else None,
        validity=barcodes.validity_text(ticket.valid_from, ticket.valid_until, tz, first_use_days),
        price=money(template.price_cents, template.currency),
        ticket_number=ticket.number or "",
        signed_code=ticket.code,
    )

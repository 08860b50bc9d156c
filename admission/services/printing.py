"""What a printed ticket shows, in the venue's words and time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from admission.barcodes import PrintableTicket
from admission.db.models import Event, Ticket
from admission.services import catalog


def money(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency}"


def validity_text(ticket: Ticket, tz: ZoneInfo, days_from_first_use: int | None) -> str:
    def local(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%d %b %Y %H:%M")

    parts = []
    if ticket.valid_from:
        parts.append(f"from {local(ticket.valid_from)}")
    if ticket.valid_until:
        parts.append(f"until {local(ticket.valid_until)}")
    if days_from_first_use:
        parts.append(f"{days_from_first_use} day(s) from first use")
    return "Valid " + ", ".join(parts) if parts else "Valid any day"


async def printable_ticket(session: AsyncSession, ticket: Ticket) -> PrintableTicket:
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
        validity=validity_text(ticket, tz, first_use_days),
        price=money(template.price_cents, template.currency),
        ticket_number=ticket.number or "",
        signed_code=ticket.code,
    )

"""Tickets and receipts as files: tickets as PNG/HTML/PDF with their barcodes (QR only for
tickets sold offline, which have no number), receipts as PDF and as an .eml (with the receipt and
the tickets attached) that can be mailed from any mail program when no printer works.

Everything is built from the till's snapshot (template texts, event, venue), so it works offline.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from admission import barcodes
from admission.contract import EventData, TemplateData
from admission.domain.codes import format_ticket_number
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


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass(frozen=True, slots=True)
class Receipt:
    venue: str
    device: str
    reference: str  # the sale's nonce, and its service id once known
    sold_at: datetime
    lines: Sequence[ReceiptLine]
    currency: str
    payment: str  # "Card (Visa)"
    tendered_cents: int
    change_cents: int
    offline: bool
    tickets: Sequence[IssuedTicket]
    buyer_email: str | None = None
    heading: str = "Receipt"

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


def validity_text(ticket: IssuedTicket, template: TemplateData, tz: ZoneInfo) -> str:
    def local(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%d %b %Y %H:%M")

    parts = []
    if ticket.valid_from:
        parts.append(f"from {local(ticket.valid_from)}")
    if ticket.valid_until:
        parts.append(f"until {local(ticket.valid_until)}")
    if template.validity_mode is ValidityMode.DAYS_FROM_FIRST_USE and template.validity_days:
        parts.append(f"{template.validity_days} day(s) from first use")
    return "Valid " + ", ".join(parts) if parts else "Valid any day"


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
        validity=validity_text(ticket, template, tz),
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


# ------------------------------------------------------------------ receipts ------------


def receipt_text(receipt: Receipt, tz: ZoneInfo) -> str:
    when = receipt.sold_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    rows = [receipt.venue, f"{receipt.heading} {receipt.reference}", f"{when}  ·  {receipt.device}", ""]
    for line in receipt.lines:
        unit, total = format_money(line.unit_cents), format_money(line.total_cents)
        rows.append(f"{line.quantity} x {line.name}  à {unit}  = {total}")
    rows += ["", f"Total  {format_money(receipt.total_cents, receipt.currency)}", f"Paid   {receipt.payment}"]
    if receipt.change_cents:
        rows.append(
            f"Tendered {format_money(receipt.tendered_cents)}  ·  change {format_money(receipt.change_cents)}"
        )
    if receipt.offline:
        rows.append("Sold while offline: registered when the till reconnects. Tickets are valid now.")
    if receipt.tickets:
        rows += ["", "Tickets:"]
        rows += [
            f"  {format_ticket_number(t.number) if t.number else 'QR'}  serial {t.serial}"
            for t in receipt.tickets
        ]
    return "\n".join(rows) + "\n"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


def receipt_pdf(text: str) -> bytes:
    """A plain 80 mm till-roll page at 203 dpi (thermal printer resolution) as PDF."""
    lines = text.splitlines()
    width, line_height, margin = 640, 30, 24
    image = Image.new("L", (width, margin * 2 + line_height * max(len(lines), 1)), 255)
    draw = ImageDraw.Draw(image)
    font = _font(21)
    for row, line in enumerate(lines):
        draw.text((margin, margin + row * line_height), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=203)
    return out.getvalue()


def write_receipt(
    folder: Path, receipt: Receipt, tz: ZoneInfo, attachments: Sequence[Path] = ()
) -> list[Path]:
    """The receipt as PDF and as an .eml (receipt and ticket PDFs attached); returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    text = receipt_text(receipt, tz)
    pdf = receipt_pdf(text)
    stem = folder / f"{safe_name(receipt.reference)}-{receipt.heading.lower().replace(' ', '-')}"
    pdf_path = stem.with_suffix(".pdf")
    pdf_path.write_bytes(pdf)
    message = EmailMessage()
    message["Subject"] = f"{receipt.venue}: your {receipt.heading.lower()} {receipt.reference}"
    message["From"] = f"{receipt.venue} box office <box-office@localhost>"
    if receipt.buyer_email:
        message["To"] = receipt.buyer_email
    message["Date"] = format_datetime(receipt.sold_at)
    message["Message-ID"] = make_msgid("receipt")
    message.set_content(text)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_path.name)
    for path in attachments:
        if path.suffix == ".pdf":
            message.add_attachment(
                path.read_bytes(), maintype="application", subtype="pdf", filename=path.name
            )
    eml_path = stem.with_suffix(".eml")
    eml_path.write_bytes(bytes(message))
    return [pdf_path, eml_path]

"""Receipts as files: a plain till-roll PDF, and an .eml with the receipt and the ticket PDFs
attached that any mail program can send when no printer works."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from admission.domain.codes import format_ticket_number
from scanner_client.core.money import format_money
from scanner_client.till.printing import IssuedTicket, safe_name


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

"""What the till hands out, as files: a sale's tickets and receipt, a refund receipt, a reissued
ticket. Everything comes from the till's own catalogue (templates, events, venue), so it works
offline; printing.py renders the files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from admission.barcodes import PrintableTicket
from admission.contract import SaleOut
from admission.domain import payments
from admission.domain.card_codes import mask_card_number
from admission.domain.payments import PaymentConfig, PaymentIn
from admission.i18n import _
from scanner_client.core.money import format_money
from scanner_client.till.printing import TICKET_FORMATS, IssuedTicket, printable, write_tickets
from scanner_client.till.receipts import Receipt, ReceiptFiles, VenueDetails, write_receipt
from scanner_client.till.store import TillStore


def payment_words(config: PaymentConfig, payment: PaymentIn) -> str:
    """The payment as a receipt says it: "Card (Visa)"."""
    label = config.label(payment.method)
    if payment.card_brand:
        label += f" ({payments.brand_label(payments.normalise_brand(payment.card_brand))})"
    return label


def tender_words(config: PaymentConfig, tender: PaymentIn, count: int) -> str:
    """One tender of a payment; with its amount when the payment is split: "Card (Visa) 20.00"."""
    words = payment_words(config, tender)
    return words if count == 1 else f"{words} {format_money(tender.amount_cents)}"


def card_part_words(number: str, amount_cents: int) -> str:
    """What a gift or stored-value card paid, its number masked: "Value card **** 1234 6.00"."""
    return _("Value card {number} {amount}").format(
        number=mask_card_number(number), amount=format_money(amount_cents)
    )


def sale_tender_words(config: PaymentConfig, sale: SaleOut) -> str:
    """What the tenders (not the cards) paid of a recorded sale: "Card (Visa) 20.00 + Cash 5.00";
    with their amounts whenever the sale was split, cards included."""
    rest = sale.total_cents - sale.stored_value_cents
    tenders = [
        PaymentIn(method=t.method, amount_cents=t.amount_cents, card_brand=t.card_brand) for t in sale.tenders
    ]
    if not tenders and rest:  # a sale recorded before tender lines: its one method took the rest
        tenders = [PaymentIn(method=sale.payment_method, amount_cents=rest, card_brand=sale.card_brand)]
    count = len(tenders) + len(sale.card_parts)
    return " + ".join(tender_words(config, t, count) for t in tenders)


def sale_payment_words(config: PaymentConfig, sale: SaleOut) -> str:
    """How a recorded sale was paid, card part by card part and tender by tender, so that a refund
    pays back each as it was paid: "Value card **** 1234 6.00 + Card (Visa) 20.00 + Cash 5.00"."""
    cards = [card_part_words(p.card_number, p.paid_cents) for p in sale.card_parts]
    tenders = sale_tender_words(config, sale)
    return " + ".join([*cards, *([tenders] if tenders else [])])


class TicketPrinter:
    """Writes files under `output_dir`: tickets/<day>/, receipts/<day>/, and the refunds and
    reissues folders. Slow (PDF, barcodes): call it in a thread."""

    def __init__(self, store: TillStore, output_dir: Path, formats: Sequence[str] = TICKET_FORMATS) -> None:
        self.store = store
        self.output_dir = output_dir
        self.formats = tuple(formats)

    @property
    def venue(self) -> str:
        return self.store.get_config("venue_name") or "Box office"

    @property
    def tz(self) -> ZoneInfo:
        return self.store.timezone()

    @property
    def details(self) -> VenueDetails:
        """What receipts say about the venue (address, VAT number and rate), from the feed."""
        return VenueDetails.of(self.store.venue(), self.venue)

    @property
    def sender(self) -> str:
        return self.store.get_config("smtp_from") or "box-office@localhost"

    def sale(
        self, reference: str, tickets: Sequence[IssuedTicket], receipt: Receipt
    ) -> tuple[list[Path], ReceiptFiles]:
        """The sale's tickets and its receipt (with the ticket PDFs attached to its .eml)."""
        day = receipt.sold_at.astimezone(self.tz).strftime("%Y-%m-%d")
        pages = [(ticket, self._page(ticket)) for ticket in tickets]
        ticket_files = write_tickets(self.output_dir / "tickets" / day, reference, pages, self.formats)
        pdfs = [p for p in ticket_files if p.suffix == ".pdf"]
        receipt_files = write_receipt(self.output_dir / "receipts" / day, receipt, self.tz, pdfs, self.sender)
        return ticket_files, receipt_files

    def refund(self, receipt: Receipt) -> ReceiptFiles:
        return write_receipt(self.output_dir / "receipts" / "refunds", receipt, self.tz, (), self.sender)

    def reissued(self, ticket: IssuedTicket) -> list[Path]:
        folder = self.output_dir / "tickets" / "reissued"
        return write_tickets(folder, f"reissue-{ticket.serial}", [(ticket, self._page(ticket))], self.formats)

    def _page(self, ticket: IssuedTicket) -> PrintableTicket:
        template = self.store.templates()[ticket.template_id]
        event = self.store.events().get(ticket.event_id) if ticket.event_id else None
        return printable(ticket, template, event, self.venue, self.tz)

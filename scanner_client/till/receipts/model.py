"""A receipt and its layout: what a Nordic or German till must print (venue, address, VAT number,
date and time in the venue's time zone, the sale's reference, the lines, the VAT table per rate,
the total, the payment, the offline marking), laid out once as rows of a till roll that the PDF,
the receipt printer and the e-mail's text all render alike.

Words are in the till's language (`admission.i18n`), and money and dates are formatted by Babel
in that language's locale: a Swedish till prints a Swedish receipt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal

from admission.contract import VenueData
from admission.contract.payments import InvoiceIn
from admission.domain.card_codes import mask_card_number
from admission.domain.codes import format_ticket_number
from admission.domain.vat import VatLine, rate_basis_points, rate_words, vat_table
from admission.i18n import _, babel_locale
from admission.i18n.formatting import long_date
from scanner_client.till.printing import IssuedTicket

WIDTH = 42  # characters of a line: an 80 mm roll in the printer's font A, and the PDF's


@dataclass(frozen=True, slots=True)
class VenueDetails:
    """What the receipt says about the venue, from the till's copy of the catalogue."""

    name: str
    address: tuple[str, ...] = ()
    vat_number: str | None = None
    vat_rate_basis_points: int | None = None  # the standard rate; None: the venue shows no VAT

    @classmethod
    def of(cls, venue: VenueData | None, fallback_name: str) -> VenueDetails:
        if venue is None:
            return cls(name=fallback_name)
        rate = None if venue.vat_rate is None else rate_basis_points(venue.vat_rate)
        return cls(venue.name, tuple(venue.address), venue.vat_number, rate)

    def rate_for(self, template_rate_percent: float | None) -> int | None:
        """A line's VAT rate: its template's own, else the venue's standard one."""
        if template_rate_percent is not None:
            return rate_basis_points(template_rate_percent)
        return self.vat_rate_basis_points


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_cents: int  # gross: VAT included
    vat_rate_basis_points: int | None = None  # None: no VAT known for it

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass(frozen=True, slots=True)
class ReceiptCardPart:
    """What a gift or stored-value card paid (or got back, on a refund receipt)."""

    # The card's number, or its last four digits (an offline till knows only those, from the feed);
    # None: an offline till whose feed record of the card predates the digits.
    number: str | None
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Receipt:
    venue: VenueDetails
    device: str
    reference: str  # the sale's nonce, and its service id once known
    sold_at: datetime
    lines: Sequence[ReceiptLine]
    currency: str
    payment: str  # "Card (Visa)"
    tendered_cents: int
    change_cents: int
    offline: bool
    tickets: Sequence[IssuedTicket] = ()
    buyer_email: str | None = None
    refund_of: str | None = None  # a refund's receipt names the sale it pays back
    card_parts: Sequence[ReceiptCardPart] = ()  # paid from cards; `payment` took the rest
    invoice: InvoiceIn | None = None  # an invoice tender's reference and due date

    @property
    def is_refund(self) -> bool:
        return self.refund_of is not None

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def kind(self) -> str:
        """The file name's word for it (never translated: file names stay stable)."""
        return "refund" if self.is_refund else "receipt"

    def vat(self) -> list[VatLine]:
        """The VAT table: one row per rate, of the lines whose rate is known."""
        return vat_table(
            (line.total_cents, line.vat_rate_basis_points)
            for line in self.lines
            if line.vat_rate_basis_points is not None
        )


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the till roll, at most WIDTH characters."""

    text: str
    bold: bool = False
    center: bool = False
    large: bool = False  # double width and height on the printer, a bigger size in the PDF


@dataclass(slots=True)
class _Roll:
    rows: list[Row] = field(default_factory=list)

    def add(self, text: str = "", **style: bool) -> None:
        for part in _wrap(text):
            self.rows.append(Row(part, **style))

    def pair(self, left: str, right: str, *, bold: bool = False) -> None:
        """`left` and `right` on one line, `right` flush right (left wraps if both do not fit)."""
        room = WIDTH - len(right) - 1
        if len(left) > room:
            self.add(left, bold=bold)
            left = ""
        self.rows.append(Row(left.ljust(room) + " " + right, bold=bold))

    def rule(self) -> None:
        self.rows.append(Row("-" * WIDTH))


def _wrap(text: str) -> list[str]:
    if len(text) <= WIDTH:
        return [text]
    words, lines, current = text.split(" "), [], ""
    for word in words:
        while len(word) > WIDTH:  # a word longer than the roll is cut
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:WIDTH])
            word = word[WIDTH:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > WIDTH:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def _plain_spaces(text: str) -> str:
    """Babel groups digits with no-break spaces, which receipt printers' code pages lack."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def money(cents: int, currency: str) -> str:
    """An amount with its currency, in the till's language ("250,00 kr", "€12.50")."""
    return _plain_spaces(format_currency(Decimal(cents).scaleb(-2), currency, locale=babel_locale()))


def amount(cents: int) -> str:
    """An amount without its currency, for columns ("1 250,00")."""
    return _plain_spaces(format_decimal(Decimal(cents).scaleb(-2), format="#,##0.00", locale=babel_locale()))


def when(moment: datetime, tz: ZoneInfo) -> str:
    """The date and time in the venue's time zone, as the till's language writes them."""
    return str(format_datetime(moment.astimezone(tz), format="short", tzinfo=tz, locale=babel_locale()))


def percent(basis_points: int) -> str:
    return _("{rate} %").format(rate=rate_words(basis_points).replace(".", _decimal_sign()))


def _decimal_sign() -> str:
    return str(babel_locale().number_symbols.get("latn", {}).get("decimal", "."))


def layout(receipt: Receipt, tz: ZoneInfo) -> list[Row]:
    """The receipt as the rows of a till roll, in the till's language."""
    roll = _Roll()
    venue = receipt.venue
    roll.add(venue.name, bold=True, center=True, large=True)
    for address_line in venue.address:
        roll.add(address_line, center=True)
    if venue.vat_number:
        roll.add(_("VAT no. {number}").format(number=venue.vat_number), center=True)
    roll.rule()
    heading = _("REFUND") if receipt.is_refund else _("RECEIPT")
    roll.pair(heading, receipt.reference, bold=True)
    roll.pair(when(receipt.sold_at, tz), receipt.device)
    if receipt.refund_of and receipt.refund_of != receipt.reference:
        roll.add(_("Refund of sale {reference}").format(reference=receipt.refund_of))
    roll.rule()
    several_rates = len({line.vat_rate_basis_points for line in receipt.lines}) > 1
    for line in receipt.lines:
        roll.pair(line.name, amount(line.total_cents))
        detail = f"  {line.quantity} x {amount(line.unit_cents)}"
        if several_rates and line.vat_rate_basis_points is not None:
            detail += "  " + _("VAT {rate}").format(rate=percent(line.vat_rate_basis_points))
        roll.add(detail)
    roll.rule()
    total_word = _("Total refunded") if receipt.is_refund else _("Total")
    roll.pair(total_word, money(receipt.total_cents, receipt.currency), bold=True)
    _vat_table(roll, receipt)
    roll.rule()
    for part in receipt.card_parts:
        roll.pair(_card_words(part, refund=receipt.is_refund), money(part.amount_cents, receipt.currency))
    if receipt.payment or not receipt.card_parts:
        roll.pair(_("Refunded by") if receipt.is_refund else _("Paid by"), receipt.payment)
    if receipt.invoice is not None and not receipt.is_refund:
        roll.add(
            _("Invoice {reference}, due {date}").format(
                reference=receipt.invoice.reference, date=long_date(receipt.invoice.due_date)
            )
        )
    if receipt.change_cents:
        roll.pair(_("Tendered"), money(receipt.tendered_cents, receipt.currency))
        roll.pair(_("Change"), money(receipt.change_cents, receipt.currency))
    if receipt.offline:
        roll.add()
        roll.add(_("OFFLINE SALE"), bold=True, center=True)
        roll.add(
            _("Sold while the till was offline: registered when it reconnects. The tickets are valid now.")
        )
    if receipt.tickets:
        roll.add()
        roll.add(_("Tickets:"))
        for ticket in receipt.tickets:
            number = format_ticket_number(ticket.number) if ticket.number else _("QR code only")
            roll.add(f"  {number}")
    roll.add()
    roll.add(_("Thank you for your visit!"), center=True)
    return roll.rows


def _card_words(part: ReceiptCardPart, *, refund: bool) -> str:
    if part.number is None:
        return _("Back onto value card") if refund else _("Paid by value card")
    number = mask_card_number(part.number)
    if refund:
        return _("Back onto value card {number}").format(number=number)
    return _("Paid by value card {number}").format(number=number)


def _vat_table(roll: _Roll, receipt: Receipt) -> None:
    table = receipt.vat()
    if not table:
        return
    roll.add()
    roll.add(_("Prices include VAT ({currency}):").format(currency=receipt.currency))
    roll.add(_columns(_("VAT"), _("Net"), _("VAT amount"), _("Gross")))
    for row in table:
        roll.add(
            _columns(percent(row.rate_basis_points), amount(row.net), amount(row.vat), amount(row.gross))
        )


def _columns(rate: str, net: str, vat: str, gross: str) -> str:
    """Four right-aligned columns that fill the roll (8 + 3 x 11 + spaces = 42)."""
    return f"{rate[:8]:<8}{net[:11]:>11} {vat[:11]:>10} {gross[:11]:>11}"


def plain_text(rows: Sequence[Row]) -> str:
    """The roll as plain text (the e-mail's body): centred rows centred on the roll's width."""
    return "\n".join(row.text.center(WIDTH).rstrip() if row.center else row.text for row in rows) + "\n"

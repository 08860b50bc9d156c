"""Refunds, reissues and marking unpaid tickets paid at the till (all need the server).

A refund is never run blind: the sale is looked up first, and the seller sees what will be
refunded (its tickets, the amount and how it is paid back) and confirms it with a key.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Static

from admission.contract import SaleCardPart, SaleOut
from admission.domain.card_codes import mask_card_number
from admission.domain.codes import format_ticket_number
from admission.i18n import N_, _, ngettext
from admission.i18n.formatting import date_time
from scanner_client.core.keys import speak_bindings
from scanner_client.core.money import format_money
from scanner_client.till.after_sales import (
    find_sale,
    mark_paid,
    refund_sale,
    refund_unanswered,
    reissue_ticket,
)
from scanner_client.till.printer import sale_payment_words
from scanner_client.till.sale import SaleProblem
from scanner_client.till.till import Till

TICKETS_LISTED = 8  # a refund of a large group lists the first tickets and counts the rest


def refund_preview(till: Till, sale: SaleOut) -> str:
    """What a refund of `sale` gives back, in the words the seller confirms."""
    paid = sale_payment_words(till.payment_config, sale)
    lines = [
        f"  {line.quantity} x {line.template}" + (f" ({line.event})" if line.event else "")
        for line in sale.lines
    ]
    numbers = [
        format_ticket_number(t.number) if t.number else _("serial {serial}").format(serial=t.serial)
        for t in sale.tickets
    ]
    listed = ", ".join(numbers[:TICKETS_LISTED])
    if len(numbers) > TICKETS_LISTED:
        listed += " " + _("and {count} more").format(count=len(numbers) - TICKETS_LISTED)
    sold = date_time(sale.sold_at, till.tz)
    pay_back = format_money(sale.total_cents, sale.currency)
    return "\n".join(
        [
            _("Refund sale S{sale} (sold {sold})?").format(sale=sale.id, sold=sold),
            *lines,
            _("Tickets made void at every gate ({count}): {listed}").format(
                count=len(numbers), listed=listed
            ),
            _("Pay back {amount} by {method}.").format(amount=pay_back, method=paid),
        ]
    )


def card_refund_words(part: SaleCardPart, currency: str) -> str:
    """What a refund put back onto a card, and onto which (a lost card's replacement)."""
    amount = format_money(part.refunded_cents, currency)
    card = mask_card_number(part.refunded_to or part.card_number)
    if part.refunded_to and part.refunded_to != part.card_number:
        return _("{amount} went back onto card {card} (card {lost} was replaced by it).").format(
            amount=amount, card=card, lost=mask_card_number(part.card_number)
        )
    return _("{amount} went back onto card {card}.").format(amount=amount, card=card)


class ConfirmRefundScreen(ModalScreen[bool]):
    """The refund as it will happen; Y refunds, N or Escape keeps the sale."""

    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes, refund"), priority=True),
        Binding("n", "answer(False)", N_("No, keep the sale"), priority=True),
        Binding("escape", "answer(False)", N_("Cancel"), priority=True),
    ]

    def __init__(self, preview: str) -> None:
        super().__init__()
        speak_bindings(self)
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(self.preview, id="refund-preview")
            with Horizontal():
                yield Button(_("Refund (Y)"), id="yes", variant="error")
                yield Button(_("Keep the sale (N)"), id="no")
        yield Footer()

    def action_answer(self, refund: bool) -> None:
        self.dismiss(refund)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class RefundScreen(ModalScreen[None]):
    """Refund a whole sale, reissue one lost ticket or card, or mark a ticket issued unpaid as
    paid (all need the server)."""

    BINDINGS = [
        Binding("f5", "refund", N_("Refund sale"), priority=True),
        Binding("f6", "reissue", N_("Reissue ticket"), priority=True),
        Binding("f7", "mark_paid", N_("Mark paid"), priority=True),
        Binding("f8", "include_used", N_("Used tickets too"), priority=True),
        Binding("escape", "dismiss", N_("Close")),
    ]

    def __init__(self, till: Till) -> None:
        super().__init__()
        speak_bindings(self)
        self.till = till
        self.outcome: str | None = None
        self.preview: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(
                _("Refund a sale or reissue a ticket: scan the ticket, or type its number or S<sale id>.")
                + "\n"
                + _("Enter or F5 shows the refund to confirm; F6 reissues the ticket.")
                + "\n"
                + _("F7 marks a ticket issued unpaid as paid, once its payment is taken.")
            )
            yield Input(placeholder=_("Ticket number, QR code or S123"), id="ref")
            yield Checkbox(_("Refund even if a ticket was used (supervisor, F8)"), id="include-used")
            with Horizontal():
                yield Button(_("Refund sale (F5)"), id="refund", variant="error")
                yield Button(_("Reissue ticket (F6)"), id="reissue", variant="primary")
                yield Button(_("Mark paid (F7)"), id="mark-paid", variant="success")
                yield Button(_("Close (Esc)"), id="close")
            yield Static("", id="refund-result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ref", Input).focus()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#refund")
    @on(Input.Submitted, "#ref")
    def action_refund(self) -> None:
        self.look_up_refund()

    @on(Button.Pressed, "#reissue")
    def action_reissue(self) -> None:
        self.reissue()

    @on(Button.Pressed, "#mark-paid")
    def action_mark_paid(self) -> None:
        self.mark_paid()

    def action_include_used(self) -> None:
        box = self.query_one("#include-used", Checkbox)
        box.value = not box.value

    @work(exclusive=True, group="refund", exit_on_error=False)
    async def look_up_refund(self) -> None:
        try:
            sale = await find_sale(self.till, self.query_one("#ref", Input).value)
        except SaleProblem as exc:
            self.show(_("Not refunded: {problem}").format(problem=exc))
            return
        if sale.status == "refunded" and refund_unanswered(self.till, sale.id):
            await self._refund(sale)  # this till's refund whose answer was lost: answered now
            return
        if sale.status == "refunded":
            self.show(_("Sale S{sale} was refunded already: nothing to do.").format(sale=sale.id))
            return
        self.preview = refund_preview(self.till, sale)
        self.query_one("#refund-result", Static).update(_("Confirm the refund: Y refunds, N keeps the sale."))
        if await self.app.push_screen_wait(ConfirmRefundScreen(self.preview)):
            await self._refund(sale)
        else:
            self.show(_("Not refunded: sale S{sale} is kept.").format(sale=sale.id))

    async def _refund(self, sale: SaleOut) -> None:
        include_used = self.query_one("#include-used", Checkbox).value
        try:
            refunded = await refund_sale(self.till, sale, include_used=include_used)
        except SaleProblem as exc:
            self.show(_("Not refunded: {problem}").format(problem=exc))
            return
        count = len(refunded.tickets)
        words = [
            ngettext(
                "Refunded sale S{sale}: {amount} by {method}; {count} ticket is void at every gate.",
                "Refunded sale S{sale}: {amount} by {method}; {count} tickets are void at every gate.",
                count,
            ).format(
                sale=refunded.id,
                amount=format_money(refunded.total_cents, refunded.currency),
                method=sale_payment_words(self.till.payment_config, refunded),
                count=count,
            )
        ]
        back = [part for part in refunded.card_parts if part.refunded_cents]
        words += [card_refund_words(part, refunded.currency) for part in back]
        self.show("\n".join(words))

    @work(exclusive=True, group="refund", exit_on_error=False)
    async def reissue(self) -> None:
        try:
            ticket, files = await reissue_ticket(self.till, self.query_one("#ref", Input).value)
        except SaleProblem as exc:
            self.show(_("Not reissued: {problem}").format(problem=exc))
            return
        folder = files[0].parent if files else ""
        self.show(
            _("New ticket {ticket} printed to {folder}; the old one is void for good.").format(
                ticket=ticket.number or ticket.serial, folder=folder
            )
        )

    @work(exclusive=True, group="refund", exit_on_error=False)
    async def mark_paid(self) -> None:
        try:
            ticket = await mark_paid(self.till, self.query_one("#ref", Input).value)
        except SaleProblem as exc:
            self.show(_("Not marked paid: {problem}").format(problem=exc))
            return
        number = format_ticket_number(ticket.number) if ticket.number else ticket.serial
        self.show(_("Ticket {ticket} is paid: every gate admits it within seconds.").format(ticket=number))

    def show(self, text: str) -> None:
        self.outcome = text
        self.query_one("#refund-result", Static).update(text)

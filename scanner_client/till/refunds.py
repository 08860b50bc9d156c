"""Refunds and reissues at the till (both need the server).

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

from admission.contract import SaleOut
from admission.domain.codes import format_ticket_number
from admission.domain.payments import PaymentIn
from scanner_client.core.money import format_money
from scanner_client.till.after_sales import find_sale, refund_sale, reissue_ticket
from scanner_client.till.printer import payment_words
from scanner_client.till.sale import SaleProblem
from scanner_client.till.till import Till

TICKETS_LISTED = 8  # a refund of a large group lists the first tickets and counts the rest


def refund_preview(till: Till, sale: SaleOut) -> str:
    """What a refund of `sale` gives back, in the words the seller confirms."""
    paid = payment_words(
        till.payment_config, PaymentIn(method=sale.payment_method, amount_cents=0, card_brand=sale.card_brand)
    )
    lines = [
        f"  {line.quantity} x {line.template}" + (f" ({line.event})" if line.event else "")
        for line in sale.lines
    ]
    numbers = [format_ticket_number(t.number) if t.number else f"serial {t.serial}" for t in sale.tickets]
    listed = ", ".join(numbers[:TICKETS_LISTED])
    if len(numbers) > TICKETS_LISTED:
        listed += f" and {len(numbers) - TICKETS_LISTED} more"
    sold = sale.sold_at.astimezone(till.tz).strftime("%d %b %H:%M")
    return "\n".join(
        [
            f"Refund sale S{sale.id} (sold {sold})?",
            *lines,
            f"Tickets made void at every gate ({len(numbers)}): {listed}",
            f"Pay back {format_money(sale.total_cents, sale.currency)} by {paid}.",
        ]
    )


class ConfirmRefundScreen(ModalScreen[bool]):
    """The refund as it will happen; Y refunds, N or Escape keeps the sale."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, refund", priority=True),
        Binding("n", "answer(False)", "No, keep the sale", priority=True),
        Binding("escape", "answer(False)", "Cancel", priority=True),
    ]

    def __init__(self, preview: str) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(self.preview, id="refund-preview")
            with Horizontal():
                yield Button("Refund (Y)", id="yes", variant="error")
                yield Button("Keep the sale (N)", id="no")
        yield Footer()

    def action_answer(self, refund: bool) -> None:
        self.dismiss(refund)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class RefundScreen(ModalScreen[None]):
    """Refund a whole sale, or reissue one lost ticket or card (both need the server)."""

    BINDINGS = [
        Binding("f5", "refund", "Refund sale", priority=True),
        Binding("f6", "reissue", "Reissue ticket", priority=True),
        Binding("f8", "include_used", "Used tickets too", priority=True),
        Binding("escape", "dismiss", "Close"),
    ]

    def __init__(self, till: Till) -> None:
        super().__init__()
        self.till = till
        self.outcome: str | None = None
        self.preview: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(
                "Refund a sale or reissue a ticket: scan the ticket, or type its number or S<sale id>.\n"
                "Enter or F5 shows the refund to confirm; F6 reissues the ticket."
            )
            yield Input(placeholder="Ticket number, QR code or S123", id="ref")
            yield Checkbox("Refund even if a ticket was used (supervisor, F8)", id="include-used")
            with Horizontal():
                yield Button("Refund sale (F5)", id="refund", variant="error")
                yield Button("Reissue ticket (F6)", id="reissue", variant="primary")
                yield Button("Close (Esc)", id="close")
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

    def action_include_used(self) -> None:
        box = self.query_one("#include-used", Checkbox)
        box.value = not box.value

    @work(exclusive=True, group="refund", exit_on_error=False)
    async def look_up_refund(self) -> None:
        try:
            sale = await find_sale(self.till, self.query_one("#ref", Input).value)
        except SaleProblem as exc:
            self.show(f"Not refunded: {exc}")
            return
        if sale.status == "refunded":
            self.show(f"Sale S{sale.id} was refunded already: nothing to do.")
            return
        self.preview = refund_preview(self.till, sale)
        self.query_one("#refund-result", Static).update("Confirm the refund: Y refunds, N keeps the sale.")
        if await self.app.push_screen_wait(ConfirmRefundScreen(self.preview)):
            await self._refund(sale)
        else:
            self.show(f"Not refunded: sale S{sale.id} is kept.")

    async def _refund(self, sale: SaleOut) -> None:
        include_used = self.query_one("#include-used", Checkbox).value
        try:
            refunded = await refund_sale(self.till, sale, include_used=include_used)
        except SaleProblem as exc:
            self.show(f"Not refunded: {exc}")
            return
        paid = format_money(refunded.total_cents, refunded.currency)
        self.show(
            f"Refunded sale S{refunded.id}: {paid} by {refunded.payment_method.value}; "
            f"{len(refunded.tickets)} ticket(s) are void at every gate."
        )

    @work(exclusive=True, group="refund", exit_on_error=False)
    async def reissue(self) -> None:
        try:
            ticket, files = await reissue_ticket(self.till, self.query_one("#ref", Input).value)
        except SaleProblem as exc:
            self.show(f"Not reissued: {exc}")
            return
        folder = files[0].parent if files else ""
        self.show(
            f"New ticket {ticket.number or ticket.serial} printed to {folder}; the old one is void for good."
        )

    def show(self, text: str) -> None:
        self.outcome = text
        self.query_one("#refund-result", Static).update(text)

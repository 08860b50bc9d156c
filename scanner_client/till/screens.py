"""The till's screens: its own selling screen (the app's default screen), the refund and
reissue box, and the list of sales the service does not have yet."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, OptionList, Select, Static

from scanner_client.core.money import format_money
from scanner_client.till.after_sales import refund_sale, reissue_ticket
from scanner_client.till.forms import STATE_WORDS
from scanner_client.till.sale import SaleProblem
from scanner_client.till.till import Till


class TillScreen(Screen[None]):
    """Find and add tickets on the left; the cart, the payment and the offline rules on the right.

    It is the app's default screen, and the app composes it from `TillScreen.widgets()` (Textual
    fills the default screen with the app's compose), so its widgets exist as soon as the app mounts.
    Its keys are bound here so that they sell on this screen only, never behind a refund or the
    unsynced list.
    """

    BINDINGS = [
        Binding("f5", "app.sell", "Sell", priority=True),
        Binding("f6", "app.clear_cart", "Clear cart", priority=True),
        Binding("f7", "app.add_fallback", "Add fallback", priority=True),
        Binding("ctrl+d", "app.remove_line", "Remove line", priority=True),
    ]

    @staticmethod
    def widgets(methods: list[tuple[str, str]], brands: list[tuple[str, str]]) -> ComposeResult:
        yield Static("", id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder="Template name or PLU, Enter adds it to the cart", id="search")
                yield OptionList(id="matches")
                with Horizontal(id="qty-row"):
                    yield Input("1", placeholder="Qty", id="qty")
                    yield Select[int]([], prompt="Event (event tickets)", id="event")
                yield Static("", id="hint")
            with Vertical(id="right"):
                yield DataTable(id="cart", cursor_type="row")
                yield Static("", id="total")
                with Horizontal(id="pay-row"):
                    yield Select[str](methods, prompt="Payment", allow_blank=False, id="method")
                    yield Select[str](brands, prompt="Card brand", id="brand")
                yield Input(placeholder="Amount tendered (blank: exactly the total)", id="tendered")
                yield Input(placeholder="Receipt e-mail (optional)", id="email")
                yield Static("", id="rules")
                with Horizontal(id="buttons"):
                    yield Button("Sell (F5)", id="sell", variant="success")
                    yield Button("Clear (F6)", id="clear")
        yield Static("Ready.", id="message")
        yield Footer()


class RefundScreen(ModalScreen[None]):
    """Refund a whole sale, or reissue one lost ticket or card (both need the server)."""

    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, till: Till) -> None:
        super().__init__()
        self.till = till
        self.outcome: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(
                "Refund a sale or reissue a ticket: scan the ticket, or type its number or S<sale id>."
            )
            yield Input(placeholder="Ticket number, QR code or S123", id="ref")
            yield Checkbox("Refund even if a ticket was used (supervisor)", id="include-used")
            with Horizontal():
                yield Button("Refund sale", id="refund", variant="error")
                yield Button("Reissue ticket", id="reissue", variant="primary")
                yield Button("Close", id="close")
            yield Static("", id="refund-result")

    def on_mount(self) -> None:
        self.query_one("#ref", Input).focus()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#refund")
    def _refund_pressed(self) -> None:
        self.refund()

    @on(Button.Pressed, "#reissue")
    def _reissue_pressed(self) -> None:
        self.reissue()

    @work(exclusive=True, group="refund", exit_on_error=False)
    async def refund(self) -> None:
        ref = self.query_one("#ref", Input).value
        include_used = self.query_one("#include-used", Checkbox).value
        try:
            sale = await refund_sale(self.till, ref, include_used=include_used)
        except SaleProblem as exc:
            self.show(f"Not refunded: {exc}")
            return
        paid = format_money(sale.total_cents, sale.currency)
        self.show(
            f"Refunded sale S{sale.id}: {paid} by {sale.payment_method.value}; "
            f"{len(sale.tickets)} ticket(s) are void at every gate."
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


class UnsyncedSalesScreen(ModalScreen[None]):
    """The sales this till holds that the server does not have yet (or refused)."""

    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, till: Till) -> None:
        super().__init__()
        self.till = till

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static("Unsynced sales: posted automatically, once each, when the server answers.")
            yield DataTable(id="unsynced", cursor_type="row")
            yield Button("Close", id="close")

    def on_mount(self) -> None:
        table = self.query_one("#unsynced", DataTable)
        table.add_columns("Sold", "Reference", "Total", "Payment", "State", "Problem")
        tz = self.till.tz
        for sale in self.till.store.sales(("queued", "unknown", "attempting", "refused")):
            table.add_row(
                sale.created_at.astimezone(tz).strftime("%H:%M:%S"),
                sale.nonce,
                format_money(sale.total_cents, sale.currency),
                sale.payment_method + (f" ({sale.card_brand})" if sale.card_brand else ""),
                STATE_WORDS.get(sale.state, sale.state),
                sale.problem or "",
            )

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

"""The till's screens: its own selling screen (the app's default screen) and the list of sales
the service does not have yet; refunds and reissues are in refunds.py."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, OptionList, Select, Static

from scanner_client.core.money import format_money
from scanner_client.till.forms import STATE_WORDS
from scanner_client.till.payment_keys import method_bindings
from scanner_client.till.receipt_screen import EMAIL_KEY, EMAIL_WORDS, PRINT_KEY, PRINT_WORDS
from scanner_client.till.till import Till


class TillScreen(Screen[None]):
    """Find and add tickets on the left; the cart, the payment and the offline rules on the right.

    It is the app's default screen, and the app composes it from `TillScreen.widgets()` (Textual
    fills the default screen with the app's compose), so its widgets exist as soon as the app mounts.
    Its keys are bound here so that they sell on this screen only, never behind a refund or the
    unsynced list.
    """

    BINDINGS = [
        Binding("f4", "app.add_highlighted", "Add to cart", priority=True),
        Binding("f5", "app.sell", "Sell", priority=True),
        Binding("f6", "app.clear_cart", "Clear cart", priority=True),
        Binding("f7", "app.add_fallback", "Add fallback", priority=True),
        Binding("ctrl+d", "app.remove_line", "Remove line", priority=True),
        *method_bindings(),
        Binding(PRINT_KEY, "app.print_receipt", PRINT_WORDS, priority=True),
        Binding(EMAIL_KEY, "app.email_receipt", EMAIL_WORDS, priority=True),
    ]

    @staticmethod
    def widgets(methods: list[tuple[str, str]], brands: list[tuple[str, str]]) -> ComposeResult:
        yield Static("", id="status")
        yield Static("", id="notice")
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

    def show_notices(self, notices: list[str]) -> None:
        """The venue's notices ("Card payments are down, cash only"), while they last."""
        notice = self.query_one("#notice", Static)
        notice.display = bool(notices)
        notice.update("\n".join(notices))


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
        yield Footer()

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

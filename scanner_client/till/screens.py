"""The till's screens: its own selling screen (the app's default screen) and the list of sales
the service does not have yet; refunds and reissues are in refunds.py."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, OptionList, Select, Static

from admission.i18n import N_, _
from admission.i18n.formatting import clock
from scanner_client.core.keys import speak_bindings
from scanner_client.core.money import format_money
from scanner_client.till.forms import method_words, state_words
from scanner_client.till.payment_keys import method_bindings
from scanner_client.till.receipt_screen import EMAIL_KEY, EMAIL_WORDS, PRINT_KEY, PRINT_WORDS
from scanner_client.till.terminal_screen import TERMINAL_KEY, TERMINAL_WORDS
from scanner_client.till.till import Till


class TillScreen(Screen[None]):
    """Find and add tickets on the left; the cart, the payment and the offline rules on the right.

    It is the app's default screen, and the app composes it from `TillScreen.widgets()` (Textual
    fills the default screen with the app's compose), so its widgets exist as soon as the app mounts.
    Its keys are bound here so that they sell on this screen only, never behind a refund or the
    unsynced list.
    """

    BINDINGS = [
        Binding("f4", "app.add_highlighted", N_("Add to cart"), priority=True),
        Binding("f5", "app.sell", N_("Sell"), priority=True),
        Binding("f6", "app.clear_cart", N_("Clear cart"), priority=True),
        Binding("f7", "app.add_fallback", N_("Add fallback"), priority=True),
        Binding("ctrl+d", "app.remove_line", N_("Remove line"), priority=True),
        *method_bindings(),
        Binding(PRINT_KEY, "app.print_receipt", PRINT_WORDS, priority=True),
        Binding(EMAIL_KEY, "app.email_receipt", EMAIL_WORDS, priority=True),
        Binding(TERMINAL_KEY, "app.terminal_switch", TERMINAL_WORDS, priority=True),
        Binding("ctrl+o", "app.add_part", N_("Part payment"), priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        speak_bindings(self)

    @staticmethod
    def widgets(methods: list[tuple[str, str]], brands: list[tuple[str, str]]) -> ComposeResult:
        yield Static("", id="status")
        yield Static("", id="notice")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder=_("Template name or PLU, Enter adds it to the cart"), id="search")
                yield OptionList(id="matches")
                with Horizontal(id="qty-row"):
                    yield Input("1", placeholder=_("Qty"), id="qty")
                    yield Select[int]([], prompt=_("Event (event tickets)"), id="event")
                yield Static("", id="hint")
            with Vertical(id="right"):
                yield DataTable(id="cart", cursor_type="row")
                yield Static("", id="total")
                with Horizontal(id="pay-row"):
                    yield Select[str](methods, prompt=_("Payment"), allow_blank=False, id="method")
                    yield Select[str](brands, prompt=_("Card brand"), id="brand")
                yield Input(placeholder=_("Amount tendered (blank: exactly the total)"), id="tendered")
                yield Input(placeholder=_("Receipt e-mail (optional)"), id="email")
                yield Static("", id="rules")
                with Horizontal(id="buttons"):
                    yield Button(_("Sell (F5)"), id="sell", variant="success")
                    yield Button(_("Clear (F6)"), id="clear")
        yield Static(_("Ready."), id="message")
        yield Footer()

    def show_notices(self, notices: list[str]) -> None:
        """The venue's notices ("Card payments are down, cash only"), while they last."""
        notice = self.query_one("#notice", Static)
        notice.display = bool(notices)
        notice.update("\n".join(notices))


class UnsyncedSalesScreen(ModalScreen[None]):
    """The sales this till holds that the server does not have yet (or refused)."""

    BINDINGS = [Binding("escape", "dismiss", N_("Close"))]

    def __init__(self, till: Till) -> None:
        super().__init__()
        speak_bindings(self)
        self.till = till

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(_("Unsynced sales: posted automatically, once each, when the server answers."))
            yield DataTable(id="unsynced", cursor_type="row")
            yield Button(_("Close"), id="close")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#unsynced", DataTable)
        table.add_columns(_("Sold"), _("Reference"), _("Total"), _("Payment"), _("State"), _("Problem"))
        tz = self.till.tz
        for sale in self.till.store.sales(("queued", "unknown", "attempting", "refused")):
            table.add_row(
                clock(sale.created_at, tz),
                sale.nonce,
                format_money(sale.total_cents, sale.currency),
                method_words(sale.payment_method) + (f" ({sale.card_brand})" if sale.card_brand else ""),
                state_words(sale.state),
                sale.problem or "",
            )

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

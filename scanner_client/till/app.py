"""`scanner-client box-office`: the box-office screen.

Find a template by name or PLU (typing filters, Enter adds the highlighted one with the quantity
set), choose the event for event tickets (seats left shown), take the payment with the offline
rules in view, sell (F5). Tickets and the receipt are written as files and their folder shown.
Offline, the status bar turns red, event tickets are refused with their fallback entry ticket
offered (one key adds it), and every sale waits in the queue (F3) until the server is back.
Refunds and reissues (F2) need the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from admission.contract import MAX_LINE_QUANTITY, EventData, TemplateData
from admission.domain.model import TemplateKind
from admission.domain.payments import PaymentIn, PaymentMethod, brand_label, money
from scanner_client.till.after_sales import refund_sale, reissue_ticket
from scanner_client.till.sale import CartLine, EventChoice, OfflineEventRefused, SaleProblem, SaleResult
from scanner_client.till.till import Till

W = TypeVar("W", bound=Widget)

STATE_WORDS = {
    "queued": "waits to be posted",
    "unknown": "no answer: checked when back",
    "attempting": "being sent",
    "refused": "REFUSED by the server",
}


def template_label(template: TemplateData) -> str:
    plu = template.plu or "—"
    kind = "  [event]" if template.kind is TemplateKind.EVENT else ""
    return f"{plu:>6}  {template.name}  {money(template.price_cents, template.currency)}{kind}"


def parse_quantity(text: str) -> int:
    try:
        quantity = int(text.strip())
    except ValueError:
        quantity = 0
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise SaleProblem(f"Quantity must be a whole number from 1 to {MAX_LINE_QUANTITY}, not {text!r}")
    return quantity


def parse_amount(text: str) -> int | None:
    """Cents from "50", "50.5" or "50,50"; None for blank (= exactly the total)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        cents = round(float(cleaned) * 100)
    except ValueError as exc:
        raise SaleProblem(f"Amount tendered must be a number like 50.00, not {text!r}") from exc
    if cents < 0:
        raise SaleProblem("Amount tendered cannot be negative")
    return cents


class BoxOfficeApp(App[None]):
    TITLE = "admission box office"

    BINDINGS = [
        Binding("f5", "sell", "Sell", priority=True),
        Binding("f6", "clear_cart", "Clear cart", priority=True),
        Binding("f7", "add_fallback", "Add fallback", priority=True),
        Binding("f2", "refunds", "Refund/reissue", priority=True),
        Binding("f3", "unsynced", "Unsynced sales", priority=True),
        Binding("ctrl+d", "remove_line", "Remove line", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    CSS = """
    #status { height: 1; padding: 0 1; }
    #status.online { background: $success-darken-2; }
    #status.offline { background: $error; text-style: bold; }
    #main { height: 1fr; }
    #left, #right { width: 1fr; padding: 0 1; }
    #matches { height: 1fr; min-height: 5; }
    #qty-row, #pay-row { height: auto; }
    #qty { width: 12; }
    #event { width: 1fr; }
    #hint { height: auto; color: $warning; }
    #cart { height: 1fr; min-height: 5; }
    #total { height: 1; text-style: bold; }
    #method, #brand { width: 1fr; }
    #rules { height: auto; color: $text-muted; }
    #buttons { height: auto; }
    #message { height: auto; min-height: 2; padding: 0 1; background: $panel; }
    #message.error { background: $error; color: white; }
    #message.ok { background: $success-darken-2; color: white; }
    """

    def __init__(self, till: Till) -> None:
        super().__init__()
        self.till = till
        self.cart: list[CartLine] = []
        self.matches: list[TemplateData] = []
        self.events: list[EventChoice] = []
        self.fallbacks: list[TemplateData] = []
        self.last_result: SaleResult | None = None
        self.last_problem: str | None = None
        self.sales_done = 0
        self.problems_shown = 0
        self._config_seen = till.store.get_config("payment_config")

    # ------------------------------------------------------------------ layout ----------

    def compose(self) -> ComposeResult:
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
                    yield Select[str](
                        self._method_options(), prompt="Payment", allow_blank=False, id="method"
                    )
                    yield Select[str](self._brand_options(), prompt="Card brand", id="brand")
                yield Input(placeholder="Amount tendered (blank: exactly the total)", id="tendered")
                yield Input(placeholder="Receipt e-mail (optional)", id="email")
                yield Static("", id="rules")
                with Horizontal(id="buttons"):
                    yield Button("Sell (F5)", id="sell", variant="success")
                    yield Button("Clear (F6)", id="clear")
        yield Static("Ready.", id="message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.main("#cart", DataTable)
        table.add_columns("Ticket", "Event", "Qty", "Price", "Total")
        self._show_brand()
        self.refresh_matches("")
        self.refresh_status()
        self.refresh_cart()
        self.till.on_change(self.refresh_status)
        self.set_interval(1.0, self.refresh_status)
        self.main("#search", Input).focus()
        self.run_worker(self.till.run(), name="sync", group="sync", exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Selling keys act on the till screen only, never behind a refund or the unsynced list.
        if action in {"sell", "clear_cart", "add_fallback", "remove_line"}:
            return len(self.screen_stack) == 1
        return True

    def main(self, selector: str, kind: type[W]) -> W:
        """A widget of the till's own screen, also while a modal screen is on top of it."""
        return self.screen_stack[0].query_one(selector, kind)

    # ------------------------------------------------------------------ status ----------

    def refresh_status(self) -> None:
        if not self.is_running or not self.screen_stack:  # shutting down: nothing to show
            return
        till = self.till
        status = self.main("#status", Static)
        status.set_classes("online" if till.online else "offline")
        last = till.store.last_sync_at
        parts = [
            "ONLINE" if till.online else "OFFLINE: selling on this till's own key",
            till.device,
            f"unsynced sales {till.store.pending_count()}",
            f"last sync {last.astimezone(till.tz):%H:%M:%S}" if last else "never synced",
        ]
        if till.problem:
            parts.append(till.problem)
        status.update("  ·  ".join(parts))
        self.main("#rules", Static).update("\n".join(s.text for s in till.payment_statuses()))
        self._follow_payment_config()

    def _follow_payment_config(self) -> None:
        """A manager changed the venue's payment set-up and a sync brought it: offer the new one."""
        current = self.till.store.get_config("payment_config")
        if current == self._config_seen:
            return
        self._config_seen = current
        self.main("#method", Select).set_options(self._method_options())
        self.main("#brand", Select).set_options(self._brand_options())
        self._show_brand()

    def _method_options(self) -> list[tuple[str, str]]:
        enabled = [(m.label, m.method.value) for m in self.till.payment_config.methods if m.enabled]
        return enabled or [("Cash", PaymentMethod.CASH.value)]

    def _brand_options(self) -> list[tuple[str, str]]:
        return [(brand_label(b), b) for b in self.till.payment_config.card_brands]

    @on(Select.Changed, "#method")
    def _show_brand(self) -> None:
        self.main("#brand", Select).display = self.main("#method", Select).value == "card"

    # ------------------------------------------------------------------ finding ---------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.refresh_matches(event.value)

    def refresh_matches(self, query: str) -> None:
        self.matches = self.till.find(query)
        options = self.main("#matches", OptionList)
        options.set_options([Option(template_label(t), id=str(t.id)) for t in self.matches])
        if self.matches:
            options.highlighted = 0
        self._load_events(self.matches[0] if self.matches else None)

    @on(OptionList.OptionHighlighted, "#matches")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._load_events(self._template(event.option_id))

    @on(OptionList.OptionSelected, "#matches")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        template = self._template(event.option_id)
        if template is not None:
            self.add_to_cart(template)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        template = self.highlighted_template()
        if template is None:
            query = self.main("#search", Input).value.strip()
            self.show_problem(f"No template with PLU or name {query!r}")
            return
        self.add_to_cart(template)

    def _template(self, option_id: str | None) -> TemplateData | None:
        return self.till.templates().get(int(option_id)) if option_id else None

    def highlighted_template(self) -> TemplateData | None:
        options = self.main("#matches", OptionList)
        if options.highlighted is None or not self.matches:
            return None
        return self._template(options.get_option_at_index(options.highlighted).id)

    @work(exclusive=True, group="events", exit_on_error=False)
    async def _load_events(self, template: TemplateData | None) -> None:
        select = self.main("#event", Select)
        if template is None or template.kind is not TemplateKind.EVENT:
            self.events = []
            select.set_options([])
            return
        self.events = await self.till.events_for(template)
        select.set_options([(choice.label(self.till.tz), choice.event.id) for choice in self.events])
        sellable = [c for c in self.events if c.remaining is None or c.remaining > 0]
        if sellable:
            select.value = sellable[0].event.id

    # ------------------------------------------------------------------ the cart --------

    def add_to_cart(self, template: TemplateData) -> None:
        try:
            quantity = parse_quantity(self.main("#qty", Input).value)
            line = CartLine(template=template, quantity=quantity, event=self._chosen_event(template))
        except SaleProblem as exc:
            self.show_problem(str(exc))
            return
        if template.kind is TemplateKind.EVENT and not self.till.online:
            self._offer_fallback(template)
            return
        self.cart.append(line)
        self.refresh_cart()
        search = self.main("#search", Input)
        search.value = ""
        self.main("#qty", Input).value = "1"
        search.focus()
        self.show_message(f"Added {quantity} x {line.describe()}")

    def _chosen_event(self, template: TemplateData) -> EventData | None:
        if template.kind is not TemplateKind.EVENT or not self.till.online:
            return None
        value = self.main("#event", Select).value
        choice = next((c for c in self.events if c.event.id == value), None)
        if choice is None:
            raise SaleProblem(f"{template.name} is an event ticket: choose the event first")
        if choice.remaining is not None and choice.remaining <= 0:
            raise SaleProblem(f"{choice.event.name} is sold out")
        return choice.event

    def _offer_fallback(self, template: TemplateData) -> None:
        fallback = self.till.fallback_for(template)
        self.fallbacks = [fallback] if fallback else []
        offer = (
            f"Sell {fallback.name} (PLU {fallback.plu}) instead: press F7."
            if fallback
            else "No fallback ticket is set up."
        )
        message = f"Offline: event tickets cannot be sold (the server must check the seats left). {offer}"
        self.main("#hint", Static).update(message)
        self.show_problem(message)

    def action_add_fallback(self) -> None:
        if not self.fallbacks:
            self.show_problem("No fallback ticket is on offer.")
            return
        fallback = self.fallbacks.pop(0)
        self.main("#hint", Static).update("")
        self.add_to_cart(fallback)

    def action_remove_line(self) -> None:
        table = self.main("#cart", DataTable)
        if self.cart:
            row = min(table.cursor_row, len(self.cart) - 1) if table.cursor_row >= 0 else len(self.cart) - 1
            removed = self.cart.pop(row)
            self.refresh_cart()
            self.show_message(f"Removed {removed.describe()}")

    def action_clear_cart(self) -> None:
        self.cart.clear()
        self.fallbacks.clear()
        self.main("#hint", Static).update("")
        self.refresh_cart()
        self.show_message("Cart cleared.")

    def refresh_cart(self) -> None:
        table = self.main("#cart", DataTable)
        table.clear()
        for line in self.cart:
            template = line.template
            table.add_row(
                template.name,
                line.event.name if line.event else "",
                str(line.quantity),
                money(template.price_cents),
                money(line.total_cents),
            )
        total = sum(line.total_cents for line in self.cart)
        currency = self.cart[0].template.currency if self.cart else ""
        self.main("#total", Static).update(f"Total {money(total, currency)}")

    # ------------------------------------------------------------------ selling ---------

    def action_sell(self) -> None:
        self.sell()

    @on(Button.Pressed, "#sell")
    def _sell_pressed(self) -> None:
        self.sell()

    @on(Button.Pressed, "#clear")
    def _clear_pressed(self) -> None:
        self.action_clear_cart()

    def payment(self) -> PaymentIn:
        total = sum(line.total_cents for line in self.cart)
        method = PaymentMethod(str(self.main("#method", Select).value))
        tendered = parse_amount(self.main("#tendered", Input).value)
        brand = self.main("#brand", Select).value if method is PaymentMethod.CARD else None
        return PaymentIn(
            method=method,
            amount_cents=total if tendered is None else tendered,
            card_brand=None if brand is None or brand == Select.NULL else str(brand),
        )

    @work(exclusive=True, group="sale", exit_on_error=False)
    async def sell(self) -> None:
        try:
            payment = self.payment()
            email = self.main("#email", Input).value.strip() or None
            result = await self.till.sell(list(self.cart), payment, email)
        except OfflineEventRefused as exc:
            self.fallbacks = list(exc.fallbacks)
            self.show_problem(f"{exc} Press F7 to add it.")
            return
        except SaleProblem as exc:
            self.show_problem(str(exc))
            return
        self.show_sale(result)

    def show_sale(self, result: SaleResult) -> None:
        self.last_result = result
        self.sales_done += 1
        sale = result.local
        where = "offline, queued for the server" if result.offline else f"online, sale S{result.server_id}"
        change = f", change {money(result.change_cents)}" if result.change_cents else ""
        folder = result.ticket_files[0].parent if result.ticket_files else Path()
        receipt = next((p for p in result.receipt_files if p.suffix == ".eml"), None)
        paid = money(sale.total_cents, sale.currency)
        self.show_message(
            f"SOLD ({where}): {len(result.tickets)} ticket(s), {paid}{change}.\n"
            f"Tickets: {folder}   Receipt: {receipt}",
            ok=True,
        )
        self.cart.clear()
        self.refresh_cart()
        for field in ("#tendered", "#email"):
            self.main(field, Input).value = ""
        self.refresh_status()
        self.main("#search", Input).focus()

    # ------------------------------------------------------------------ messages --------

    def show_message(self, text: str, ok: bool = False) -> None:
        message = self.main("#message", Static)
        message.set_classes("ok" if ok else "")
        message.update(text)

    def show_problem(self, text: str) -> None:
        self.last_problem = text
        self.problems_shown += 1
        message = self.main("#message", Static)
        message.set_classes("error")
        message.update(text)
        self.bell()

    # ------------------------------------------------------------------ other screens ---

    def action_refunds(self) -> None:
        if isinstance(self.screen, RefundScreen):
            self.pop_screen()
            return
        self.push_screen(RefundScreen(self.till))

    def action_unsynced(self) -> None:
        if isinstance(self.screen, UnsyncedSalesScreen):
            self.pop_screen()
            return
        self.push_screen(UnsyncedSalesScreen(self.till))


class RefundScreen(ModalScreen[None]):
    """Refund a whole sale, or reissue one lost ticket or card (both need the server)."""

    BINDINGS = [Binding("escape", "dismiss", "Close")]
    DEFAULT_CSS = """
    RefundScreen { align: center middle; }
    #box { width: 90; height: auto; padding: 1 2; background: $panel; border: thick $primary; }
    #refund-result { height: auto; margin-top: 1; }
    """

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
        paid = money(sale.total_cents, sale.currency)
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
    DEFAULT_CSS = """
    UnsyncedSalesScreen { align: center middle; }
    #box { width: 110; height: 80%; padding: 1 2; background: $panel; border: thick $primary; }
    #unsynced { height: 1fr; }
    """

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
                money(sale.total_cents, sale.currency),
                sale.payment_method + (f" ({sale.card_brand})" if sale.card_brand else ""),
                STATE_WORDS.get(sale.state, sale.state),
                sale.problem or "",
            )

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

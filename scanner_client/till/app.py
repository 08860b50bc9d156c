"""`scanner-client box-office`: the box-office screen.

Every action has a key shown in the footer. Find a template by name or PLU (typing filters; Enter
in the search or quantity field, or F4, adds the highlighted one with the quantity set), choose
the event for event tickets (seats left shown), take the payment with one key per method (F8-F11)
and the offline rules in view, sell (F5, or Enter in the amount or e-mail field). Tickets and the
receipt are written as files and their folder shown; the next sale starts clean. Offline, the
status bar turns red, event tickets are refused with their fallback entry ticket offered (one key
adds it), and every sale waits in the queue (F3) until the server is back. Refunds and reissues
(F2) need the server; a refund is shown and confirmed before it runs. The venue's notices show
under the status bar.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from admission.contract import EventData, StoredValuePart, TemplateData
from admission.contract.payments import InvoiceIn
from admission.domain.model import TemplateKind
from admission.domain.payments import PaymentIn, PaymentMethod, brand_label
from admission.i18n import N_, _, ngettext
from admission.i18n.formatting import clock, long_date
from scanner_client.core.keys import QUIT, speak_bindings
from scanner_client.core.money import format_money
from scanner_client.till.card_desk import CardDesk, CardProblem, card_ref
from scanner_client.till.card_screen import CardScreen
from scanner_client.till.forms import parse_amount, parse_quantity, template_label
from scanner_client.till.invoice_screen import InvoiceScreen
from scanner_client.till.payment_keys import brand_options, method_options, next_brand
from scanner_client.till.printer import tender_words
from scanner_client.till.receipt_screen import EmailReceiptScreen
from scanner_client.till.receipts import ReceiptFiles
from scanner_client.till.receipts.delivery import ReceiptProblem
from scanner_client.till.refunds import RefundScreen
from scanner_client.till.sale import CartLine, EventChoice, OfflineEventRefused, SaleProblem, SaleResult
from scanner_client.till.screens import TillScreen, UnsyncedSalesScreen
from scanner_client.till.terminal_screen import TerminalDownScreen
from scanner_client.till.till import Till
from scanner_client.till.voucher_screen import VOUCHERS_KEY, VOUCHERS_WORDS, VoucherScreen

W = TypeVar("W", bound=Widget)


class BoxOfficeApp(App[None]):
    """The till: its selling screen, the cart and payment it holds, refunds and the unsynced list
    on top. The selling keys are the selling screen's own (TillScreen)."""

    TITLE = N_("admission box office")
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("f2", "refunds", N_("Refund/reissue"), priority=True),
        Binding("f3", "unsynced", N_("Unsynced sales"), priority=True),
        Binding("ctrl+g", "cards", N_("Cards"), priority=True),
        Binding(VOUCHERS_KEY, "vouchers", VOUCHERS_WORDS, priority=True),
        QUIT,
    ]

    def __init__(self, till: Till) -> None:
        super().__init__()
        self.title = _(self.TITLE)
        speak_bindings(self)
        self.till = till
        self.cart: list[CartLine] = []
        self.matches: list[TemplateData] = []
        self.events: list[EventChoice] = []
        self.fallbacks: list[TemplateData] = []
        self.last_result: SaleResult | None = None
        self.parts: list[PaymentIn] = []  # a split payment's parts taken so far (Ctrl+O)
        self.last_problem: str | None = None
        self.sales_done = 0
        self.problems_shown = 0
        self.receipts_handed = 0  # printed or e-mailed (tests wait on it)
        self._config_seen = till.store.get_config("payment_config")
        self.till_screen = TillScreen()
        self.card_desk = CardDesk(till)
        self.card_parts: list[StoredValuePart] = []  # what gift or stored-value cards pay of this sale
        self.invoice: InvoiceIn | None = None  # who pays an invoice tender later (asked when chosen)

    def get_default_screen(self) -> Screen[None]:
        return self.till_screen

    def compose(self) -> ComposeResult:
        config = self.till.payment_config
        return self.till_screen.widgets(method_options(config), brand_options(config))

    def on_mount(self) -> None:
        table = self.main("#cart", DataTable)
        table.add_columns(_("Ticket"), _("Event"), _("Qty"), _("Price"), _("Total"))
        self._show_brand()
        self.refresh_matches("")
        self.refresh_status()
        self.refresh_cart()
        self.till.on_change(self.refresh_status)
        self.set_interval(1.0, self.refresh_status)
        self.main("#search", Input).focus()
        self.run_worker(self.till.run(), name="sync", group="sync", exit_on_error=False)

    def main(self, selector: str, kind: type[W]) -> W:
        """A widget of the till's own screen, also while a modal screen is on top of it."""
        return self.till_screen.query_one(selector, kind)

    def refresh_status(self) -> None:
        if not self.is_running or not self.till_screen.is_attached:  # shutting down: nothing to show
            return
        till = self.till
        status = self.main("#status", Static)
        if till.revoked:
            status.set_classes("offline")
            status.update(_("REVOKED") + "  ·  " + till.device)
            if self.last_problem != till.revoked_words():
                self.show_problem(till.revoked_words())
            return
        clock_warning = till.health.clock_warning()
        classes = ["online" if till.online else "offline"]
        status.set_classes([*classes, "clock-skewed"] if clock_warning else classes)
        last = till.store.last_sync_at
        parts = [
            _("OFFLINE: selling on this till's own key")
            if not till.online
            else _("AT THE VENUE HUB: selling on this till's own key")
            if till.through_hub
            else _("ONLINE"),
            till.device,
            _("unsynced sales {count}").format(count=till.store.pending_count()),
            _("last sync {time}").format(time=clock(last, till.tz)) if last else _("never synced"),
        ]
        if (server := till.server_words()) is not None:
            parts.append(server)
        if till.problem:
            parts.append(till.problem)
        if offline := till.offline_selling_words():
            parts.append(offline)
        if clock_warning:  # early in the line: a narrow screen cuts its end off
            parts.insert(1, clock_warning)
        rules = [s.text for s in till.payment_statuses()]
        rules.extend(till.lease_words())
        if till.terminal_incident is not None:
            parts.insert(1, _("CARD TERMINAL DOWN"))
            rules.append(_("Tell guests: {line}").format(line=till.guest_line()))
        status.update("  ·  ".join(parts))
        self.main("#rules", Static).update("\n".join(rules))
        self.till_screen.show_notices(till.store.current_notices(till.clock()))
        self._follow_payment_config()

    def _follow_payment_config(self) -> None:
        """A manager changed the venue's payment set-up and a sync brought it: offer the new one."""
        current = self.till.store.get_config("payment_config")
        if current == self._config_seen:
            return
        self._config_seen = current
        config = self.till.payment_config
        self.main("#method", Select).set_options(method_options(config))
        self.main("#brand", Select).set_options(brand_options(config))
        self._show_brand()

    def action_pay_with(self, method: str) -> None:
        """One key per payment method; the card key pressed again moves on to the next brand."""
        select = self.main("#method", Select)
        config = self.till.payment_config
        if method not in [value for _, value in method_options(config)]:
            self.show_problem(
                _("{method} is not accepted at this venue.").format(
                    method=config.label(PaymentMethod(method))
                )
            )
            return
        brand = self.main("#brand", Select)
        if method == PaymentMethod.CARD.value and select.value == method:
            chosen = next_brand(brand.value, list(config.card_brands))
            if chosen is not None:
                brand.value = chosen
        select.value = method
        self._show_brand()
        words = config.label(PaymentMethod(method))
        if method == PaymentMethod.CARD.value:
            chosen_brand = brand.value if isinstance(brand.value, str) else None
            words += (
                f" ({brand_label(chosen_brand)})" if chosen_brand else _(": press F9 again for the brand")
            )
        self.show_message(_("Payment: {method}").format(method=words))
        if method == PaymentMethod.INVOICE.value:
            self.ask_invoice()

    def ask_invoice(self, then_sell: bool = False) -> None:
        """The invoice's customer, reference and due date (the venue's today onwards); with
        `then_sell`, the sale goes as soon as they are given."""

        def taken(invoice: InvoiceIn | None) -> None:
            if invoice is None:
                self.show_problem(_("No invoice details: choose another method, or Ctrl+N to give them."))
                return
            self.invoice = invoice
            self.show_message(self.invoice_words(invoice))
            if then_sell:
                self.sell()

        today = self.till.clock().astimezone(self.till.tz).date()
        self.push_screen(InvoiceScreen(today, self.invoice), callback=taken)

    @staticmethod
    def invoice_words(invoice: InvoiceIn) -> str:
        return _("Invoice to {customer}, reference {reference}, due {due}: sell with F5.").format(
            customer=invoice.customer, reference=invoice.reference, due=long_date(invoice.due_date)
        )

    @on(Select.Changed, "#method")
    def _show_brand(self) -> None:
        if not self.is_running or not self.till_screen.is_attached:  # a change that came at shutdown
            return
        self.main("#brand", Select).display = self.main("#method", Select).value == "card"

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

    @on(Input.Submitted, "#qty")
    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        query = self.main("#search", Input).value
        try:
            card = card_ref(query)
        except CardProblem as exc:
            self.show_problem(str(exc))
            return
        if card is not None:  # a card scanned at the till: its window, with its balance
            self.main("#search", Input).value = ""
            self.open_cards(card)
            return
        template = self.highlighted_template()
        if template is None:
            query = self.main("#search", Input).value.strip()
            self.show_problem(_("No template with PLU or name {query!r}").format(query=query))
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
        sellable = [
            c for c in self.events if (c.live or c.leased) and (c.remaining is None or c.remaining > 0)
        ]
        if sellable:
            select.value = sellable[0].event.id

    def add_to_cart(self, template: TemplateData) -> None:
        try:
            quantity = parse_quantity(self.main("#qty", Input).value)
            line = CartLine(template=template, quantity=quantity, event=self._chosen_event(template))
        except SaleProblem as exc:
            self.show_problem(str(exc))
            return
        if template.kind is TemplateKind.EVENT and line.event is None:  # offline, and no lease for it
            self._offer_fallback(template)
            return
        self.cart.append(line)
        self.refresh_cart()
        search = self.main("#search", Input)
        search.value = ""
        self.main("#qty", Input).value = "1"
        search.focus()
        self.show_message(_("Added {quantity} x {ticket}").format(quantity=quantity, ticket=line.describe()))

    def _chosen_event(self, template: TemplateData) -> EventData | None:
        if template.kind is not TemplateKind.EVENT:
            return None
        value = self.main("#event", Select).value
        choice = next((c for c in self.events if c.event.id == value), None)
        if not self.till.online and (choice is None or not choice.leased):
            return None  # offline without a lease of its seats: the fallback is offered
        if choice is None:
            raise SaleProblem(
                _("{ticket} is an event ticket: choose the event first").format(ticket=template.name)
            )
        if choice.remaining is not None and choice.remaining <= 0:
            raise SaleProblem(_("{event} is sold out").format(event=choice.event.name))
        return choice.event

    def _offer_fallback(self, template: TemplateData) -> None:
        fallback = self.till.fallback_for(template)
        self.fallbacks = [fallback] if fallback else []
        offer = (
            _("Sell {ticket} (PLU {plu}) instead: press F7.").format(ticket=fallback.name, plu=fallback.plu)
            if fallback
            else _("No fallback ticket is set up.")
        )
        refused = _("Offline: event tickets cannot be sold (the server must check the seats left).")
        message = f"{refused} {offer}"
        self.main("#hint", Static).update(message)
        self.show_problem(message)

    def action_add_highlighted(self) -> None:
        self._search_submitted()

    @on(Input.Submitted, "#tendered")
    @on(Input.Submitted, "#email")
    def _pay_submitted(self) -> None:
        self.sell()

    def action_add_fallback(self) -> None:
        if not self.fallbacks:
            self.show_problem(_("No fallback ticket is on offer."))
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
            self.show_message(_("Removed {ticket}").format(ticket=removed.describe()))

    def action_clear_cart(self) -> None:
        self.next_customer()
        self.show_message(_("Cart cleared."))

    def next_customer(self) -> None:
        """Each sale starts clean: empty cart, quantity 1, the first payment method, no brand."""
        self.cart.clear()
        self.card_parts.clear()
        self.fallbacks.clear()
        self.parts.clear()
        self.invoice = None
        self.main("#hint", Static).update("")
        self.refresh_cart()
        self.main("#qty", Input).value = "1"
        for field in ("#tendered", "#email", "#search"):
            self.main(field, Input).value = ""
        methods = method_options(self.till.payment_config)
        self.main("#method", Select).value = methods[0][1]
        self.main("#brand", Select).clear()
        self._show_brand()
        self.main("#search", Input).focus()

    def refresh_cart(self) -> None:
        table = self.main("#cart", DataTable)
        table.clear()
        for line in self.cart:
            template = line.template
            table.add_row(
                template.name,
                line.event.name if line.event else "",
                str(line.quantity),
                format_money(template.price_cents),
                format_money(line.total_cents),
            )
        total = sum(line.total_cents for line in self.cart)
        currency = self.cart[0].template.currency if self.cart else ""
        words = _("Total {amount}").format(amount=format_money(total, currency))
        from_cards = sum(part.amount_cents for part in self.card_parts)
        if from_cards:
            words += "  ·  " + _("card pays {card}, the rest {rest}").format(
                card=format_money(from_cards, currency), rest=format_money(total - from_cards, currency)
            )
        self.main("#total", Static).update(words)

    def action_sell(self) -> None:
        self.sell()

    @on(Button.Pressed, "#sell")
    def _sell_pressed(self) -> None:
        self.sell()

    @on(Button.Pressed, "#clear")
    def _clear_pressed(self) -> None:
        self.action_clear_cart()

    def action_add_part(self) -> None:
        """Split payment: the chosen method pays the amount typed; the next method pays the rest."""
        try:
            if parse_amount(self.main("#tendered", Input).value) is None:
                raise SaleProblem(_("Type the amount this part pays, then Ctrl+O"))
            part = self.payment()
        except SaleProblem as exc:
            self.show_problem(str(exc))
            return
        self.parts.append(part)
        self.main("#tendered", Input).value = ""
        total = sum(line.total_cents for line in self.cart) - sum(p.amount_cents for p in self.card_parts)
        left = total - sum(p.amount_cents for p in self.parts)
        words = " + ".join(tender_words(self.till.payment_config, p, 2) for p in self.parts)
        self.show_message(
            _("Parts so far: {parts}. Left to pay: {left}. Choose the next method.").format(
                parts=words, left=format_money(max(left, 0))
            )
        )

    def payment(self) -> PaymentIn:
        total = sum(line.total_cents for line in self.cart) - sum(p.amount_cents for p in self.card_parts)
        total -= sum(p.amount_cents for p in self.parts)  # the last part pays what is left
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
            tenders = [*self.parts, self.payment()]
            invoiced = any(t.method is PaymentMethod.INVOICE for t in tenders)
            if invoiced and self.invoice is None:  # chosen in the list, not by its key: ask now
                self.ask_invoice(then_sell=True)
                return
            email = self.main("#email", Input).value.strip() or None
            result = await self.till.sell(
                list(self.cart),
                tenders[0],
                email,
                further_tenders=tenders[1:],
                invoice=self.invoice if invoiced else None,
                stored_value=list(self.card_parts),
            )
        except OfflineEventRefused as exc:
            self.fallbacks = list(exc.fallbacks)
            add_it = _("Press F7 to add it.")
            self.show_problem(f"{exc} {add_it}")
            return
        except SaleProblem as exc:
            self.show_problem(str(exc))
            return
        said = self.show_sale(result)
        if email and result.receipt is not None and self.till.receipts.smtp is not None:
            # A worker of its own: the next sale must not cancel the sending of this one's receipt.
            self._email_worker(result.receipt, email, said)

    def _last_receipt(self) -> ReceiptFiles | None:
        receipt = self.till.last_receipt  # the latest sale's, or the latest refund's
        if receipt is None:
            self.show_problem(_("No receipt yet: sell (or refund) first, then print or e-mail its receipt."))
        return receipt

    def action_print_receipt(self) -> None:
        receipt = self._last_receipt()
        if receipt is not None:
            self._print_worker(receipt)

    @work(group="receipt", exit_on_error=False)  # never cancelled half-way by the next one
    async def _print_worker(self, receipt: ReceiptFiles) -> None:
        self.show_message(_("Printing receipt {reference}…").format(reference=receipt.receipt.reference))
        try:
            done = await self.till.receipts.print(receipt)
        except ReceiptProblem as exc:
            self.show_problem(str(exc))
            return
        self.receipts_handed += 1
        self.show_message(done.message, ok=True)

    def action_email_receipt(self) -> None:
        receipt = self._last_receipt()
        if receipt is None:
            return

        def send(address: str | None) -> None:
            if address:
                self._email_worker(receipt, address)

        screen = EmailReceiptScreen(receipt.receipt.reference, receipt.receipt.buyer_email or "")
        self.push_screen(screen, callback=send)

    @work(group="receipt", exit_on_error=False)  # never cancelled half-way by the next one
    async def _email_worker(self, receipt: ReceiptFiles, address: str, before: str = "") -> None:
        await self._email(receipt, address, before)

    async def _email(self, receipt: ReceiptFiles, address: str, before: str = "") -> None:
        """Send the receipt; without a mail server, or when sending fails, the addressed .eml is
        saved instead, and the screen says so."""
        self.show_message(
            (before + "\n" if before else "") + _("Sending receipt to {to}…").format(to=address)
        )
        try:
            done = await self.till.receipts.email(receipt, address)
        except ReceiptProblem as exc:
            self.show_problem(str(exc))
            return
        self.receipts_handed += 1
        text = (before + "\n" if before else "") + done.message
        if done.ok:
            self.show_message(text, ok=True)
        else:
            self.show_problem(text)

    def show_sale(self, result: SaleResult) -> str:
        self.last_result = result
        self.sales_done += 1
        sale = result.local
        where = (
            _("offline, queued for the server")
            if result.offline
            else _("through the venue hub, which forwards it")
            if result.through_hub
            else _("online, sale S{sale}").format(sale=result.server_id)
        )
        change = (
            _(", change {amount}").format(amount=format_money(result.change_cents))
            if result.change_cents
            else ""
        )
        folder = result.ticket_files[0].parent if result.ticket_files else Path()
        receipt = next((p for p in result.receipt_files if p.suffix == ".eml"), None)
        paid = format_money(sale.total_cents, sale.currency)
        sold = ngettext(
            "SOLD ({where}): {count} ticket, {paid}{change}.",
            "SOLD ({where}): {count} tickets, {paid}{change}.",
            len(result.tickets),
        ).format(where=where, count=len(result.tickets), paid=paid, change=change)
        files = _("Tickets: {folder}   Receipt: {receipt}").format(folder=folder, receipt=receipt)
        said = f"{sold}\n{files}\n" + _("Receipt saved: F12 prints it, Ctrl+E e-mails it.")
        self.show_message(said, ok=True)
        self.next_customer()
        self.refresh_status()
        return said

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

    def action_terminal_switch(self) -> None:
        """Card terminal down (asks why) or, when it is down already, back up."""
        if self.till.terminal_incident is not None:
            self.till.terminal_up()
            self.show_message(_("Card terminal back: bank cards are offered again."), ok=True)
            self.refresh_status()
            return

        def record(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            self.till.terminal_down(*answer)
            self.show_message(
                _("Card terminal down, recorded. Tell guests: {line}").format(line=self.till.guest_line())
            )
            self.refresh_status()

        self.push_screen(TerminalDownScreen(), callback=record)

    def action_refunds(self) -> None:
        if isinstance(self.screen, RefundScreen):
            self.pop_screen()
            return
        self.push_screen(RefundScreen(self.till))

    def action_cards(self) -> None:
        if isinstance(self.screen, CardScreen):
            self.screen.dismiss(None)
            return
        self.open_cards("")

    def action_vouchers(self) -> None:
        """Hand-written vouchers, registered one by one (online only)."""
        if isinstance(self.screen, VoucherScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(VoucherScreen(self.card_desk))

    def open_cards(self, ref: str) -> None:
        total = sum(line.total_cents for line in self.cart)
        due = total - sum(part.amount_cents for part in self.card_parts)
        currency = self.cart[0].template.currency if self.cart else ""

        def paid_from_card(part: StoredValuePart | None) -> None:
            if part is None:
                return
            self.card_parts.append(part)
            self.refresh_cart()
            self.show_message(
                _("The card pays {amount} with the sale: take the rest, then sell (F5).").format(
                    amount=format_money(part.amount_cents, currency)
                )
            )

        self.push_screen(CardScreen(self.card_desk, due, currency, ref), callback=paid_from_card)

    def action_unsynced(self) -> None:
        if isinstance(self.screen, UnsyncedSalesScreen):
            self.pop_screen()
            return
        self.push_screen(UnsyncedSalesScreen(self.till))

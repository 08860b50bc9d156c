"""The invoice tender (pay later, for groups): when the seller picks "Invoice" the till asks who
pays, under what reference and by when, and the sale goes with that invoice. The due date is typed
as the till's language writes dates (or 2026-12-17) and starts at the venue's usual two weeks."""

from __future__ import annotations

from datetime import date, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from admission.contract.payments import InvoiceIn
from admission.i18n import N_, _
from admission.i18n.formatting import calendar_date
from scanner_client.core.keys import speak_bindings
from scanner_client.till.forms import due_date_hint, parse_invoice
from scanner_client.till.sale import SaleProblem

DUE_AFTER = timedelta(days=14)  # what the due date field starts at; the seller may change it


class InvoiceScreen(ModalScreen[InvoiceIn | None]):
    """Customer, reference and due date; Enter moves on and, in the last field, takes the invoice.
    Dismissed with the invoice, or None (Escape)."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), priority=True)]

    def __init__(self, today: date, earlier: InvoiceIn | None = None) -> None:
        super().__init__()
        speak_bindings(self)
        self.today = today
        self.earlier = earlier

    def compose(self) -> ComposeResult:
        earlier = self.earlier
        due = earlier.due_date if earlier else self.today + DUE_AFTER
        with Vertical(id="box"):
            yield Static(_("Invoice (pay later): who pays, under what reference, by when?"))
            yield Static(_("Customer (group, company or person)"))
            yield Input(earlier.customer if earlier else "", id="invoice-customer")
            yield Static(_("Reference (on the invoice and the receipt)"))
            yield Input(earlier.reference if earlier else "", id="invoice-reference")
            yield Static(due_date_hint(self.today))
            yield Input(calendar_date(due), id="invoice-due")
            yield Static(_("Enter takes the invoice; Escape cancels."), id="invoice-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#invoice-customer", Input).focus()

    @on(Input.Submitted, "#invoice-customer")
    def _to_reference(self) -> None:
        self.query_one("#invoice-reference", Input).focus()

    @on(Input.Submitted, "#invoice-reference")
    def _to_due(self) -> None:
        self.query_one("#invoice-due", Input).focus()

    @on(Input.Submitted, "#invoice-due")
    def _take(self) -> None:
        try:
            invoice = parse_invoice(
                self.query_one("#invoice-customer", Input).value,
                self.query_one("#invoice-reference", Input).value,
                self.query_one("#invoice-due", Input).value,
                self.today,
            )
        except SaleProblem as exc:
            hint = self.query_one("#invoice-hint", Static)
            hint.set_classes("error")
            hint.update(str(exc))
            self.app.bell()
            return
        self.dismiss(invoice)

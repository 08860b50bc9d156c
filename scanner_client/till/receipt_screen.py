"""After a sale, the seller hands the receipt over: F12 prints it on the till's receipt printer,
Ctrl+E e-mails it (this window asks for the address); it is saved as a PDF either way."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from admission.i18n import N_, _

PRINT_KEY, EMAIL_KEY = "f12", "ctrl+e"
PRINT_WORDS, EMAIL_WORDS = N_("Print receipt"), N_("E-mail receipt")


class EmailReceiptScreen(ModalScreen[str | None]):
    """The guest's e-mail address for the receipt: Enter sends, Escape does not."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), priority=True)]

    def __init__(self, reference: str, address: str = "") -> None:
        super().__init__()
        self.reference = reference
        self.address = address

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(_("E-mail receipt {reference} to:").format(reference=self.reference))
            yield Input(self.address, placeholder=_("guest@example.org"), id="receipt-email")
            yield Static(_("Enter sends it; Escape cancels."), id="receipt-email-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#receipt-email", Input).focus()

    @on(Input.Submitted, "#receipt-email")
    def _send(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

"""A supervisor extends the venue's offline limit, once: the PIN and a reason, which goes into
the outage log with the extension (and so to the managers' outage report).

Checking the PIN takes a noticeable moment (scrypt), so it runs in a worker thread; the dialog
answers with the reason, never the PIN.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from admission.i18n import _
from scanner_client.gate.settings import verify_pin


class ExtendOfflineScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", priority=True)]

    def __init__(self, pin_hash: str, situation: str) -> None:
        super().__init__()
        self.pin_hash = pin_hash
        self.situation = situation

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                _("[b]Extend the offline limit (once)[/b]")
                + "\n"
                + self.situation
                + "\n"
                + _("Enter moves on; Escape cancels.")
            )
            yield Input(placeholder=_("Supervisor PIN"), password=True, id="pin")
            yield Input(placeholder=_("Reason (required)"), id="reason", max_length=300)
            yield Static("", id="extend-error")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pin":
            self.query_one("#reason", Input).focus()
        else:
            self.check(self.query_one("#pin", Input).value, self.query_one("#reason", Input).value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="extend", exit_on_error=False)
    def check(self, pin: str, reason: str) -> None:
        if not verify_pin(pin, self.pin_hash):
            self.app.call_from_thread(self._refuse, _("Wrong PIN."), "#pin")
        elif not reason:
            why = _("Give a reason: it is logged with the extension.")
            self.app.call_from_thread(self._refuse, why, "#reason")
        else:
            self.app.call_from_thread(self.dismiss, reason)

    def _refuse(self, message: str, field: str) -> None:
        self.query_one("#extend-error", Static).update(message)
        if field == "#pin":
            self.query_one("#pin", Input).value = ""
        self.query_one(field, Input).focus()

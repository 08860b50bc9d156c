"""Changing the supervisor PIN at the gate: the current PIN, then the new one twice.

Checking and hashing a PIN takes a noticeable moment (scrypt), so both run in a worker thread;
the dialog answers with the new PIN's hash, never the PIN itself.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from admission.i18n import N_, _
from scanner_client.core.keys import speak_bindings
from scanner_client.gate.settings import hash_pin, pin_problem, verify_pin


class ChangePinScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), priority=True)]

    def __init__(self, pin_hash: str) -> None:
        super().__init__()
        speak_bindings(self)
        self.pin_hash = pin_hash

    def compose(self) -> ComposeResult:
        with Vertical():
            heading = _("Change the supervisor PIN")
            yield Label("[b]{}[/b]\n{}".format(heading, _("Enter moves on; Escape cancels.")))
            yield Input(placeholder=_("Current PIN"), password=True, id="current")
            yield Input(placeholder=_("New PIN"), password=True, id="new")
            yield Input(placeholder=_("New PIN again"), password=True, id="again")
            yield Static("", id="pin-error")

    def on_mount(self) -> None:
        self.query_one("#current", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        following = {"current": "#new", "new": "#again"}.get(event.input.id or "")
        if following:
            self.query_one(following, Input).focus()
        else:
            self.check(*(self.query_one(f"#{name}", Input).value for name in ("current", "new", "again")))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="pin", exit_on_error=False)
    def check(self, current: str, new: str, again: str) -> None:
        if not verify_pin(current, self.pin_hash):
            self.app.call_from_thread(self._refuse, _("Wrong current PIN."), "#current")
        elif problem := pin_problem(new):
            self.app.call_from_thread(
                self._refuse, _("Not changed: {problem}.").format(problem=problem), "#new"
            )
        elif again != new:
            self.app.call_from_thread(self._refuse, _("The new PIN differs the second time."), "#new")
        else:
            self.app.call_from_thread(self.dismiss, hash_pin(new))

    def _refuse(self, message: str, start_at: str) -> None:
        self.query_one("#pin-error", Static).update(message)
        fields = ["#current", "#new", "#again"]
        for selector in fields[fields.index(start_at) :]:
            self.query_one(selector, Input).value = ""
        self.query_one(start_at, Input).focus()

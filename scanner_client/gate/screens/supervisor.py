"""Supervisor override: admit a rejected ticket, or turn someone away after an ADMIT.

The PIN is checked against the hash stored at enrollment; the reason is required, because the
override is recorded and sent to the server with it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from admission.i18n import N_, _
from scanner_client.core.keys import speak_bindings
from scanner_client.gate.outcome import ScanOutcome
from scanner_client.gate.settings import verify_pin


class OverrideAction(enum.StrEnum):
    ADMIT = "admit"
    TURN_AWAY = "turn_away"


@dataclass(frozen=True)
class OverrideRequest:
    action: OverrideAction
    reason: str


class SupervisorScreen(ModalScreen[OverrideRequest | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), priority=True)]

    def __init__(self, last: ScanOutcome, pin_hash: str) -> None:
        super().__init__()
        speak_bindings(self)
        self.last = last
        self.pin_hash = pin_hash

    def compose(self) -> ComposeResult:
        what = _("ADMITTED") if self.last.admitted else _("REJECTED")
        last = _("Last scan: {verdict}: {message}").format(verdict=what, message=self.last.message)
        with Vertical():
            yield Label("[b]{}[/b]\n{}".format(_("Supervisor override"), last))
            yield Input(placeholder=_("Supervisor PIN"), password=True, id="pin")
            yield Input(placeholder=_("Reason (required)"), id="reason", max_length=300)
            yield Static("", id="supervisor-error")
            with Horizontal():
                yield Button(_("Admit anyway"), id="admit", variant="success", disabled=self.last.admitted)
                yield Button(_("Turn away"), id="turn_away", variant="error", disabled=not self.last.admitted)
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pin":
            self.query_one("#reason", Input).focus()
        else:
            self._confirm(OverrideAction.TURN_AWAY if self.last.admitted else OverrideAction.ADMIT)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif event.button.id in ("admit", "turn_away"):
            self._confirm(OverrideAction(event.button.id))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _confirm(self, action: OverrideAction) -> None:
        error = self.query_one("#supervisor-error", Static)
        pin = self.query_one("#pin", Input)
        reason = self.query_one("#reason", Input).value.strip()
        if not verify_pin(pin.value, self.pin_hash):
            error.update(_("Wrong PIN."))
            pin.value = ""
            pin.focus()
            return
        if not reason:
            error.update(_("Give a reason: it is recorded with the override."))
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(OverrideRequest(action=action, reason=reason))

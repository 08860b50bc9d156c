"""The card terminal's switch on the till's screen: Ctrl+T asks why the terminal is down (and an
optional note) and turns the switch on; pressed again, it turns it off."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from admission.i18n import N_, _

TERMINAL_KEY, TERMINAL_WORDS = "ctrl+t", N_("Card terminal down/up")


class TerminalDownScreen(ModalScreen[tuple[str, str] | None]):
    """The cause (required) and a note; Enter in the note records it, Escape does not."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), priority=True)]

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(_("The card terminal is down. Why?"))
            yield Input(placeholder=_("e.g. no connection, no power, terminal error"), id="terminal-cause")
            yield Static(_("Note (optional): what you did, who you called"))
            yield Input(id="terminal-note")
            yield Static(_("Enter records it; Escape cancels."), id="terminal-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#terminal-cause", Input).focus()

    @on(Input.Submitted, "#terminal-cause")
    def _to_note(self) -> None:
        self.query_one("#terminal-note", Input).focus()

    @on(Input.Submitted, "#terminal-note")
    def _record(self) -> None:
        cause = self.query_one("#terminal-cause", Input).value.strip()
        if not cause:
            self.query_one("#terminal-hint", Static).update(_("Say why first."))
            self.query_one("#terminal-cause", Input).focus()
            return
        self.dismiss((cause, self.query_one("#terminal-note", Input).value.strip()))

"""Keys every client app binds the same way, so staff moving between a gate and a till find them."""

from __future__ import annotations

import dataclasses

from textual.binding import Binding
from textual.dom import DOMNode

from admission.i18n import N_, _

# Textual binds Ctrl+Q already, hidden; this one is shown in the footer.
QUIT = Binding("ctrl+q", "quit", N_("Quit"), priority=True)


def speak_bindings(node: DOMNode) -> None:
    """The footer's words in the device's language. BINDINGS are made when a module is imported,
    before the device's language is known, so they hold the English (marked with N_) and each app
    and screen translates its own copy of them when it is made."""
    bindings = node._bindings.key_to_bindings
    for key, keyed in bindings.items():
        bindings[key] = [
            dataclasses.replace(b, description=_(b.description)) if b.description else b for b in keyed
        ]

"""Keys every client app binds the same way, so staff moving between a gate and a till find them."""

from __future__ import annotations

from textual.binding import Binding

# Textual binds Ctrl+Q already, hidden; this one is shown in the footer.
QUIT = Binding("ctrl+q", "quit", "Quit", priority=True)

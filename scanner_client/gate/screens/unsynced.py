"""The unsynced passages and what the server flagged (conflicts, refusals, owed annulments)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from scanner_client.gate.passages import LocalPassage
from scanner_client.gate.store import GateStore

SHOWN = 500  # a screen, not a report: the newest rows are what staff need


def _short(code: str) -> str:
    return code if len(code) <= 16 else code[:13] + "…"


def _problem(p: LocalPassage) -> str:
    if p.server_status == "conflict":
        return f"conflict: server says {p.server_reason or '?'}"
    if p.server_status == "refused":
        return f"refused: {p.server_reason or '?'}"
    if p.annul_state == "pending":
        return "annulment waiting to be sent"
    if p.annul_state == "failed":
        return "annulment refused by the server"
    return ""


class UnsyncedScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", priority=True),
        Binding("f3", "app.pop_screen", "Back", priority=True),
    ]

    DEFAULT_CSS = """
    UnsyncedScreen { layout: vertical; }
    UnsyncedScreen .heading { height: 1; padding: 0 1; text-style: bold; background: $panel; }
    UnsyncedScreen DataTable { height: 1fr; }
    """

    def __init__(self, store: GateStore, tz: ZoneInfo) -> None:
        super().__init__()
        self.store = store
        self.tz = tz

    def compose(self) -> ComposeResult:
        yield Static("", id="queued-heading", classes="heading")
        yield DataTable(id="queued", cursor_type="row", zebra_stripes=True)
        yield Static("", id="flagged-heading", classes="heading")
        yield DataTable(id="flagged", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(2.0, self.reload)

    def _time(self, p: LocalPassage) -> str:
        return p.scanned_at.astimezone(self.tz).strftime("%d %b %H:%M:%S")

    def reload(self) -> None:
        queued_total = self.store.queued_count()
        queued = self.store.queued(SHOWN)
        flagged = self.store.flagged(SHOWN)
        self.query_one("#queued-heading", Static).update(
            f"Unsynced passages: {queued_total}" + (f" (first {SHOWN} shown)" if queued_total > SHOWN else "")
        )
        self.query_one("#flagged-heading", Static).update(f"Conflicts and problems: {len(flagged)}")
        table = self.query_one("#queued", DataTable)
        table.clear(columns=True)
        table.add_columns("time", "nonce", "code", "dir", "verdict", "reason", "source")
        for p in queued:
            table.add_row(
                self._time(p),
                p.nonce,
                _short(p.code),
                p.direction.value,
                p.verdict.value if p.verdict else "?",
                p.reason.value if p.reason else "?",
                p.source,
            )
        problems = self.query_one("#flagged", DataTable)
        problems.clear(columns=True)
        problems.add_columns("time", "nonce", "code", "gate said", "problem")
        for p in flagged:
            said = f"{p.verdict.value if p.verdict else '?'} {p.reason.value if p.reason else ''}"
            problems.add_row(self._time(p), p.nonce, _short(p.code), said, _problem(p))

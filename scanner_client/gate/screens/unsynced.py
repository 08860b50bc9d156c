"""The unsynced passages and what the server flagged (conflicts, refusals, owed annulments),
refreshed every two seconds by a worker thread while the screen is open."""

from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from scanner_client.gate.figures import FiguresReader, UnsyncedPassages
from scanner_client.gate.passages import LocalPassage

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
        Binding("escape", "dismiss", "Back", priority=True),
        Binding("f3", "dismiss", "Back", priority=True),
    ]

    def __init__(self, reader: FiguresReader, tz: ZoneInfo) -> None:
        super().__init__()
        self.reader = reader
        self.tz = tz

    def compose(self) -> ComposeResult:
        yield Static("", id="queued-heading", classes="heading")
        yield DataTable(id="queued", cursor_type="row", zebra_stripes=True)
        yield Static("", id="flagged-heading", classes="heading")
        yield DataTable(id="flagged", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.reader.unsynced(SHOWN))  # opened by hand: the first list is shown at once
        self.set_interval(2.0, self.reload)

    def reload(self) -> None:
        self.run_worker(
            partial(self.reader.unsynced, SHOWN),
            thread=True,
            group="unsynced",
            exclusive=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        result = event.worker.result
        if event.state is WorkerState.SUCCESS and isinstance(result, UnsyncedPassages) and self.is_attached:
            self.show(result)

    def _time(self, p: LocalPassage) -> str:
        return p.scanned_at.astimezone(self.tz).strftime("%d %b %H:%M:%S")

    def show(self, unsynced: UnsyncedPassages) -> None:
        total = unsynced.queued_total
        self.query_one("#queued-heading", Static).update(
            f"Unsynced passages: {total}" + (f" (first {SHOWN} shown)" if total > SHOWN else "")
        )
        self.query_one("#flagged-heading", Static).update(f"Conflicts and problems: {len(unsynced.flagged)}")
        table = self.query_one("#queued", DataTable)
        table.clear(columns=True)
        table.add_columns("time", "nonce", "code", "dir", "verdict", "reason", "source")
        for p in unsynced.queued:
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
        for p in unsynced.flagged:
            said = f"{p.verdict.value if p.verdict else '?'} {p.reason.value if p.reason else ''}"
            problems.add_row(self._time(p), p.nonce, _short(p.code), said, _problem(p))

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

from admission.domain.wording import reason_words
from admission.i18n import N_, _
from admission.i18n.formatting import date_time
from scanner_client.core.keys import speak_bindings
from scanner_client.gate.figures import FiguresReader, UnsyncedPassages
from scanner_client.gate.passages import LocalPassage
from scanner_client.gate.words import direction_words, mode_words, verdict_words

SHOWN = 500  # a screen, not a report: the newest rows are what staff need


def _short(code: str) -> str:
    return code if len(code) <= 16 else code[:13] + "…"


def _problem(p: LocalPassage) -> str:
    if p.server_status == "conflict":
        return _("conflict: server says {reason}").format(reason=p.server_reason or "?")
    if p.server_status == "refused":
        return _("refused: {reason}").format(reason=p.server_reason or "?")
    if p.annul_state == "pending":
        return _("annulment waiting to be sent")
    if p.annul_state == "failed":
        return _("annulment refused by the server")
    return ""


class UnsyncedScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", N_("Back"), priority=True),
        Binding("f3", "dismiss", N_("Back"), priority=True),
    ]

    def __init__(self, reader: FiguresReader, tz: ZoneInfo) -> None:
        super().__init__()
        speak_bindings(self)
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
        return date_time(p.scanned_at, self.tz)

    def show(self, unsynced: UnsyncedPassages) -> None:
        total = unsynced.queued_total
        self.query_one("#queued-heading", Static).update(
            _("Unsynced passages: {count}").format(count=total)
            + (" " + _("(first {shown} shown)").format(shown=SHOWN) if total > SHOWN else "")
        )
        self.query_one("#flagged-heading", Static).update(
            _("Conflicts and problems: {count}").format(count=len(unsynced.flagged))
        )
        table = self.query_one("#queued", DataTable)
        table.clear(columns=True)
        table.add_columns(_("time"), _("nonce"), _("code"), _("dir"), _("verdict"), _("reason"), _("source"))
        for p in unsynced.queued:
            table.add_row(
                self._time(p),
                p.nonce,
                _short(p.code),
                direction_words(p.direction),
                verdict_words(p.verdict),
                reason_words(p.reason) if p.reason else "?",
                mode_words(p.source),
            )
        problems = self.query_one("#flagged", DataTable)
        problems.clear(columns=True)
        problems.add_columns(_("time"), _("nonce"), _("code"), _("gate said"), _("problem"))
        for p in unsynced.flagged:
            said = f"{verdict_words(p.verdict)} {reason_words(p.reason) if p.reason else ''}"
            problems.add_row(self._time(p), p.nonce, _short(p.code), said, _problem(p))

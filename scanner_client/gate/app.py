"""`scanner-client gate`: the full-screen gate app.

The scanner is a keyboard: it types the code and (usually) Enter into the always-focused input.
Codes go into a queue consumed by ONE long-running worker, so a fast second scan waits for the
first instead of cancelling it mid-flight. The engine decides online or offline by itself; the
app shows the verdict, the counters and the connection state.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from datetime import time as day_time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from admission.domain.codes import CodeError, classify_scan
from admission.domain.model import Direction, Reason
from scanner_client.gate.bigtext import big
from scanner_client.gate.engine import GateEngine, ScanOutcome
from scanner_client.gate.screens.supervisor import OverrideAction, OverrideRequest, SupervisorScreen
from scanner_client.gate.screens.unsynced import UnsyncedScreen
from scanner_client.gate.watch import watch_folder

W = TypeVar("W", bound=Widget)

REASON_WORDS: dict[Reason, str] = {
    Reason.OK: "Valid ticket",
    Reason.INVALID: "Not a valid ticket",
    Reason.VOID: "Ticket is void",
    Reason.ALREADY_USED: "Already used",
    Reason.NOT_YET_VALID: "Not valid yet",
    Reason.EXPIRED: "Expired",
    Reason.WRONG_EVENT: "Ticket for another event",
    Reason.EVENT_NOT_TODAY: "Event is not today",
    Reason.WRONG_GATE: "Wrong gate or zone",
    Reason.ENTRIES_EXHAUSTED: "No entries left",
    Reason.REENTRY_NOT_ALLOWED: "Re-entry not allowed",
    Reason.TURNED_AWAY: "Turned away",
}

# A keyboard-wedge scanner types a whole code within a few tens of milliseconds; a person types
# much slower. Only scanner-speed input is ended by the pause, so a person typing a ticket number
# by hand is never cut off mid-number.
SCANNER_KEY_INTERVAL = 0.035


class GateApp(App[None]):
    TITLE = "admission gate"

    BINDINGS = [
        Binding("f2", "toggle_direction", "Direction in/out", priority=True),
        Binding("f3", "show_unsynced", "Unsynced/conflicts", priority=True),
        Binding("f4", "supervisor", "Supervisor", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    CSS = """
    Screen { layout: vertical; }
    #status { height: 1; padding: 0 1; color: $text; }
    #status.online { background: $success-darken-2; }
    #status.offline { background: $error; text-style: bold; }
    #verdict { height: 1fr; align: center middle; content-align: center middle; }
    #verdict.idle { background: $panel; }
    #verdict.admit { background: #1b7d2f; color: white; }
    #verdict.reject { background: #b3161b; color: white; }
    #word { width: 100%; content-align: center middle; text-style: bold; height: auto; }
    #headline { width: 100%; text-align: center; text-style: bold; height: auto; margin-top: 1; }
    #detail { width: 100%; text-align: center; height: auto; }
    #counters { height: 1; padding: 0 1; background: $panel; }
    #notice { height: auto; padding: 0 1; background: $warning; color: black; display: none; }
    #scan { dock: bottom; margin-bottom: 1; }
    """

    def __init__(self, engine: GateEngine, watch: Path | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.watch_dir = watch
        self.last_outcome: ScanOutcome | None = None
        self.outcomes_shown = 0
        self._codes: asyncio.Queue[str] = asyncio.Queue()
        self._first_key_at = 0.0
        self._last_key_at = 0.0

    # ------------------------------------------------------------------ layout ----------

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        yield Static("", id="notice")
        with Vertical(id="verdict", classes="idle"):
            yield Static(big(""), id="word")
            yield Static("Ready: scan a ticket", id="headline")
            yield Static("", id="detail")
        yield Static("", id="counters")
        yield Input(placeholder="Scan or type a ticket code, then Enter", id="scan")
        yield Footer()

    @property
    def tz(self) -> ZoneInfo:
        return self.engine.judge.tz

    def on_mount(self) -> None:
        self.main("#scan", Input).focus()
        self.engine.on_change(self.refresh_status)
        self.refresh_status()
        self.refresh_counters()
        self.set_interval(1.0, self.refresh_status)
        self.consume_scans()
        self.run_worker(self.engine.run(), name="sync", group="sync", exit_on_error=False)
        if self.watch_dir is not None:
            self.run_worker(
                watch_folder(self.watch_dir, self._found_in_image), name="watch", exit_on_error=False
            )

    async def on_unmount(self) -> None:
        if self.engine.remote is not None:
            await self.engine.remote.aclose()

    async def _found_in_image(self, image: Path, texts: list[str], error: str | None) -> None:
        if error or not texts:
            self.notify(error or f"No barcode found in {image.name}", severity="warning")
        for text in texts:  # the same queue as typed codes: one consumer, strict order
            self._codes.put_nowait(text)

    # ------------------------------------------------------------------ input -----------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "scan" or not event.value:
            return
        now = time.monotonic()
        if len(event.value) == 1:
            self._first_key_at = now
        self._last_key_at = now
        pause = self.engine.settings.end_pause_ms / 1000
        if pause > 0:
            self.set_timer(pause, self._end_after_pause)

    def _end_after_pause(self) -> None:
        field = self.main("#scan", Input)
        text = field.value
        pause = self.engine.settings.end_pause_ms / 1000
        if not text or time.monotonic() - self._last_key_at < pause * 0.9:
            return  # more keys came since this timer was set
        typed_fast = (self._last_key_at - self._first_key_at) / max(len(text) - 1, 1) < SCANNER_KEY_INTERVAL
        if (typed_fast and len(text) >= 6) or _looks_complete(text):
            self._submit(field)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "scan":
            self._submit(event.input)

    def _submit(self, field: Input) -> None:
        text = field.value
        field.value = ""
        if text.strip():
            self._codes.put_nowait(text)

    @work(name="scans", group="scans", exit_on_error=False)
    async def consume_scans(self) -> None:
        """The one consumer of scanned codes: scans are decided strictly one after another."""
        while True:
            code = await self._codes.get()
            try:
                outcome = await self.engine.scan(code)
            except Exception as exc:  # the engine decides locally on network errors; this is a bug
                self.log.error(f"scan failed: {exc!r}")
                self.notify(f"Scan could not be processed: {exc}", severity="error")
                continue
            self.show(outcome)

    # ------------------------------------------------------------------ display ---------

    def show(self, outcome: ScanOutcome) -> None:
        self.last_outcome = outcome
        self.outcomes_shown += 1
        panel = self.main("#verdict", Vertical)
        panel.set_classes("admit" if outcome.admitted else "reject")
        self.main("#word", Static).update(big("ADMIT" if outcome.admitted else "REJECT"))
        if outcome.admitted and not outcome.override:
            headline = outcome.message  # "Welcome", "Welcome: 3 entries left", "Re-entry", "Exit"
            details = []
        else:
            headline = REASON_WORDS.get(outcome.reason, outcome.reason.value)
            if outcome.override and outcome.admitted:
                headline = f"Supervisor override ({headline})"
            details = [outcome.message]
        self.main("#headline", Static).update(headline)
        if outcome.template_name:
            details.append(outcome.template_name)
        if outcome.entries_left is not None:
            details.append(f"entries left: {outcome.entries_left}")
        when = outcome.scanned_at.astimezone(self.tz).strftime("%H:%M:%S")
        details.append(f"{when} · {outcome.direction.value} · {outcome.mode}")
        self.main("#detail", Static).update("\n".join(details))
        if not outcome.admitted:
            self.bell()
        self.refresh_counters()
        self.refresh_status()

    def refresh_counters(self) -> None:
        now = datetime.now(self.tz)
        midnight = datetime.combine(now.date(), day_time.min, tzinfo=self.tz)
        c = self.engine.store.counters(self.engine.settings.gate, midnight)
        self.main("#counters", Static).update(
            f"Today at {self.engine.settings.gate}:  admitted {c.admitted}   rejected {c.rejected}   "
            f"in {c.entered}   out {c.exited}"
        )

    def main(self, selector: str, kind: type[W]) -> W:
        """A widget of the gate's own screen, also while a modal screen is on top of it."""
        return self.screen_stack[0].query_one(selector, kind)

    def refresh_status(self) -> None:
        if not self.is_running or not self.screen_stack:  # shutting down: nothing to show
            return
        engine = self.engine
        status = self.main("#status", Static)
        status.set_classes("online" if engine.online else "offline")
        last = engine.store.last_sync_at
        last_text = last.astimezone(self.tz).strftime("%H:%M:%S") if last else "never"
        parts = [
            "ONLINE" if engine.online else "OFFLINE",
            f"gate {engine.settings.gate}",
            f"direction {engine.direction.value.upper()}",
            f"last sync {last_text}",
            f"unsynced {engine.store.queued_count()}",
        ]
        if engine.problem:
            parts.append(engine.problem)
        status.update("  ·  ".join(parts))
        notices = [n.message for n in engine.store.notices() if n.active]
        notice = self.main("#notice", Static)
        notice.display = bool(notices)
        notice.update("\n".join(notices))

    # ------------------------------------------------------------------ actions ---------

    def action_toggle_direction(self) -> None:
        engine = self.engine
        engine.direction = Direction.OUT if engine.direction is Direction.IN else Direction.IN
        self.refresh_status()
        self.notify(f"Direction: {engine.direction.value.upper()}")

    def action_show_unsynced(self) -> None:
        if isinstance(self.screen, UnsyncedScreen):
            self.pop_screen()
            return
        self.push_screen(UnsyncedScreen(self.engine.store, self.tz))

    def action_supervisor(self) -> None:
        if not self.engine.settings.pin_hash:
            self.notify("No supervisor PIN was set at enrollment.", severity="warning")
            return
        last = self.last_outcome
        if last is None or last.override:
            self.notify("Scan the ticket first; the override applies to the last scan.", severity="warning")
            return
        self.push_screen(SupervisorScreen(last, self.engine.settings.pin_hash), self._apply_override)

    async def _apply_override(self, request: OverrideRequest | None) -> None:
        last = self.last_outcome
        if request is None or last is None:
            return
        if request.action is OverrideAction.ADMIT:
            outcome = await self.engine.override_admit(last, request.reason)
        else:
            outcome = await self.engine.turn_away(last, request.reason)
        self.show(outcome)
        self.main("#scan", Input).focus()


def _looks_complete(text: str) -> bool:
    try:
        classify_scan(text)
    except CodeError:
        return False
    return True

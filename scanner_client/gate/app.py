"""`scanner-client gate`: the full-screen gate app.

The scanner is a keyboard: it types the code and (usually) Enter into the always-focused input.
Codes go into a queue consumed by ONE long-running worker, so a fast second scan waits for the
first instead of cancelling it mid-flight. The engine decides online or offline by itself; the
app shows the verdict at once, and the counters and the status bar as soon as a worker thread
has read them from the store (figures.py): the UI loop never waits for the store's reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime
from datetime import time as day_time
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from admission.domain.model import Direction
from admission.i18n import N_, _, ngettext
from admission.i18n.formatting import clock
from scanner_client.core.keys import QUIT, speak_bindings
from scanner_client.core.offline_limit import OfflineAllowance, hours_words
from scanner_client.gate.bursts import MIN_BURST, KeyTimes, concatenated_codes, is_code, split_scan
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.figures import FiguresReader, GateFigures
from scanner_client.gate.offline_limit import LimitAlreadyExtended, offline_limit_words
from scanner_client.gate.outcome import ScanOutcome
from scanner_client.gate.screens.extend import ExtendOfflineScreen
from scanner_client.gate.screens.gate import BLOCKED_HEADLINES, GateScreen, glimpse
from scanner_client.gate.screens.pin import ChangePinScreen
from scanner_client.gate.screens.supervisor import OverrideAction, OverrideRequest, SupervisorScreen
from scanner_client.gate.screens.unsynced import UnsyncedScreen
from scanner_client.gate.watch import watch_folder
from scanner_client.gate.wedge import DialogScanCatcher
from scanner_client.gate.words import direction_words

W = TypeVar("W", bound=Widget)


def no_pin_set() -> str:
    return _("No supervisor PIN is set: run `scanner-client set-pin` on this PC.")


class GateApp(App[None]):
    """The gate: one scan at a time from the scanner or a watched folder, the verdict in big
    letters, supervisor overrides and the unsynced list on top."""

    TITLE = N_("admission gate")
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False  # every window on a gate is its own, so none can swallow a scan
    BINDINGS = [
        Binding("f2", "toggle_direction", N_("Direction in/out"), priority=True),
        Binding("f3", "show_unsynced", N_("Unsynced/conflicts"), priority=True),
        Binding("f4", "supervisor", N_("Supervisor"), priority=True),
        Binding("f6", "change_pin", N_("Change PIN"), priority=True),
        Binding("f7", "extend_offline", N_("Extend offline"), priority=True),
        QUIT,
    ]

    def __init__(self, engine: GateEngine, watch: Path | None = None) -> None:
        super().__init__()
        self.title = _(self.TITLE)
        speak_bindings(self)
        self.engine = engine
        self.watch_dir = watch
        self.gate_screen = GateScreen()
        self.reader = FiguresReader(engine.store.path)
        self.figures = GateFigures()
        self.last_outcome: ScanOutcome | None = None
        self.checking = False  # a scan is being decided: its verdict is not on screen yet
        self.outcomes_decided = 0
        self.outcomes_shown = 0  # verdicts on screen with the figures that include them
        self._codes: asyncio.Queue[str] = asyncio.Queue()
        self._typed = KeyTimes()  # when each character in the scan field was typed
        self.catcher = DialogScanCatcher(self._caught_in_dialog, self._replay)
        self.held_scans: list[str] = []  # scanned while a dialog was open
        self._hold_timer: Timer | None = None
        self._limit_shown = False  # the panel says the offline limit stops the gate

    @property
    def tz(self) -> ZoneInfo:
        return self.engine.judge.tz

    def get_default_screen(self) -> Screen[None]:
        return self.gate_screen

    def compose(self) -> ComposeResult:
        return self.gate_screen.widgets()

    def on_mount(self) -> None:
        self.main("#scan", Input).focus()
        self.engine.on_change(self.refresh_status)
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)
        self.consume_scans()
        self.run_worker(self.engine.run(), name="sync", group="sync", exit_on_error=False)
        if self.watch_dir is not None:
            self.run_worker(
                watch_folder(self.watch_dir, self._found_in_image), name="watch", exit_on_error=False
            )

    async def on_unmount(self) -> None:
        self.reader.close()
        if self.engine.remote is not None:
            await self.engine.remote.aclose()

    def main(self, selector: str, kind: type[W]) -> W:
        """A widget of the gate's own screen, also while another screen is on top of it."""
        return self.gate_screen.query_one(selector, kind)

    async def _found_in_image(self, image: Path, texts: list[str], error: str | None) -> None:
        if error or not texts:
            self.notify(error or _("No barcode found in {name}").format(name=image.name), severity="warning")
        for text in texts:  # the same queue as typed codes: one consumer, strict order
            self._enqueue(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "scan":
            return
        self._typed.changed(event.value, time.monotonic())
        if not event.value:
            return
        pause = self.engine.settings.end_pause_ms / 1000
        if pause > 0:
            self.set_timer(pause, self._end_after_pause)

    def _end_after_pause(self) -> None:
        field = self.main("#scan", Input)
        text = field.value
        pause = self.engine.settings.end_pause_ms / 1000
        if not text or time.monotonic() - self._typed.last < pause * 0.9:
            return  # more keys came since this timer was set
        # Only scanner-speed input is ended by the pause, so a person typing a ticket number by
        # hand is never cut off mid-number.
        fast = self._typed.typed_fast() and len(text) >= MIN_BURST
        if fast or is_code(text) or concatenated_codes(text):
            self._submit(field)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "scan":
            self._submit(event.input)

    def _submit(self, field: Input) -> None:
        """Scan what the field holds: each code in it, when scans came with no gap between them."""
        text = field.value
        times = self._typed.of(text)
        field.value = ""
        self._typed.changed("", time.monotonic())
        if text.strip():
            for code in split_scan(text, times):
                self._enqueue(code)

    @work(name="scans", group="scans", exit_on_error=False)
    async def consume_scans(self) -> None:
        """The one consumer of scanned codes: scans are decided strictly one after another."""
        while True:
            code = await self._codes.get()
            self.checking = True
            self.gate_screen.show_checking(code)
            try:
                outcome = await self.engine.scan(code)
            except Exception as exc:  # the engine decides locally on network errors; this is a bug
                self.log.error(f"scan failed: {exc!r}")
                self.gate_screen.show_idle(_("Scan could not be processed: scan again"))
                self.notify(_("Scan could not be processed: {error}").format(error=exc), severity="error")
                continue
            finally:
                self.checking = False
            self.show(outcome)

    def show(self, outcome: ScanOutcome) -> None:
        self.last_outcome = outcome
        self.outcomes_decided += 1
        self.gate_screen.show_outcome(outcome, self.tz)
        if not outcome.admitted:
            self.bell()
        # Only once the panel has been drawn has anyone seen the verdict (engine.mark_shown).
        self.call_after_refresh(self.engine.mark_shown, outcome.nonce)
        self.refresh_status()

    def refresh_status(self) -> None:
        """The status bar from what the engine knows now, then fresh figures from a worker thread."""
        if not self.is_running or not self.gate_screen.is_attached:  # shutting down: nothing to show
            return
        self._show_status()
        today = datetime.combine(datetime.now(self.tz).date(), day_time.min, tzinfo=self.tz)
        read = partial(self._read_figures, self.engine.settings.gate, today, self.outcomes_decided)
        self.run_worker(read, thread=True, group="figures", exclusive=True, exit_on_error=False)

    def _read_figures(self, gate: str, since: datetime, decided: int) -> tuple[int, GateFigures]:
        return decided, self.reader.figures(gate, since)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if (
            event.worker.group != "figures"
            or event.state is not WorkerState.SUCCESS
            or event.worker.result is None
        ):
            return
        if not self.is_running or not self.gate_screen.is_attached:
            return
        decided, self.figures = event.worker.result
        self.gate_screen.show_counters(self.engine.settings.gate, self.figures.counters)
        self.gate_screen.show_notices(self.figures.notices)
        self._show_status()
        self.outcomes_shown = max(self.outcomes_shown, decided)

    def _show_status(self) -> None:
        engine, last = self.engine, self.figures.last_sync_at
        if engine.revoked:
            if not self.checking:  # a scan being decided shows its own refusal first
                self.gate_screen.show_blocked(_(BLOCKED_HEADLINES["device_revoked"]), engine.revoked_words())
            self.gate_screen.show_status(False, [_("REVOKED"), f"gate {engine.settings.gate}"])
            return
        parts = [
            _("ONLINE") if engine.online else _("OFFLINE"),
            _("gate {gate}").format(gate=engine.settings.gate),
            _("direction {direction}").format(direction=direction_words(engine.direction).upper()),
            _("last sync {time}").format(time=clock(last, self.tz) if last else _("never")),
            _("unsynced {count}").format(count=self.figures.queued),
        ]
        if not engine.online:
            allowance = engine.offline_clock.allowance()
            offline, allowed = hours_words(allowance.offline_seconds), hours_words(allowance.allowed_seconds)
            parts.append(_("offline {offline} of {limit}").format(offline=offline, limit=allowed))
            self._show_offline_limit(allowance)
        elif self._limit_shown:
            self._limit_shown = False
            self.gate_screen.show_idle("Ready: scan a ticket")
        if (server := engine.server_words()) is not None:
            parts.append(server)
        if engine.problem:
            parts.append(engine.problem)
        clock_warning = engine.health.clock_warning()
        if clock_warning:  # early in the line: a narrow screen cuts its end off
            parts.insert(1, clock_warning)
        self.gate_screen.show_status(engine.online, parts, clock_skewed=clock_warning is not None)

    def _show_offline_limit(self, allowance: OfflineAllowance) -> None:
        """Past the venue's offline limit the panel says so at once, not only at the next scan."""
        if allowance.reached and not self._limit_shown and not self.checking:
            headline = _(BLOCKED_HEADLINES["offline_limit"])
            self.gate_screen.show_blocked(headline, offline_limit_words(allowance))
        elif not allowance.reached and self._limit_shown:
            self.gate_screen.show_idle("Ready: scan a ticket")
        self._limit_shown = allowance.reached

    def action_extend_offline(self) -> None:
        if self.dialog_open:
            return
        pin_hash = self._pin_hash()
        if not pin_hash:
            self.notify(
                "No supervisor PIN is set: run `scanner-client set-pin` on this PC.", severity="warning"
            )
            return
        allowance = self.engine.offline_clock.allowance()
        self.push_screen(ExtendOfflineScreen(pin_hash, offline_limit_words(allowance)), self._extend_offline)

    def _extend_offline(self, reason: str | None) -> None:
        if reason is not None:
            try:
                allowance = self.engine.extend_offline_limit(reason)
            except LimitAlreadyExtended as exc:
                self.notify(str(exc), severity="warning")
            else:
                self._limit_shown = False
                self.gate_screen.show_idle(
                    _("Offline limit extended: admitting offline for up to {limit} in all").format(
                        limit=hours_words(allowance.allowed_seconds)
                    )
                )
                self.refresh_status()
        self.main("#scan", Input).focus()
        self._release_held()

    def action_toggle_direction(self) -> None:
        engine = self.engine
        engine.direction = Direction.OUT if engine.direction is Direction.IN else Direction.IN
        self.refresh_status()
        self.notify(_("Direction: {direction}").format(direction=direction_words(engine.direction).upper()))

    def action_show_unsynced(self) -> None:
        if isinstance(self.screen, UnsyncedScreen):
            self.screen.dismiss()
            return
        self.push_screen(UnsyncedScreen(self.reader, self.tz), lambda _: self._release_held())

    def _pin_hash(self) -> str | None:
        """The PIN as stored now: `scanner-client set-pin` may have changed it while the gate runs."""
        self.engine.settings.pin_hash = self.engine.store.get_config("pin_hash")
        return self.engine.settings.pin_hash

    def action_change_pin(self) -> None:
        if self.dialog_open:
            return
        pin_hash = self._pin_hash()
        if not pin_hash:
            self.notify(no_pin_set(), severity="warning")
            return
        self.push_screen(ChangePinScreen(pin_hash), self._pin_changed)

    def _pin_changed(self, pin_hash: str | None) -> None:
        if pin_hash is not None:
            self.engine.store.set_config(pin_hash=pin_hash)
            self.engine.settings.pin_hash = pin_hash
            self.notify(_("Supervisor PIN changed."))
        self.main("#scan", Input).focus()
        self._release_held()

    def action_supervisor(self) -> None:
        pin_hash = self._pin_hash()
        if not pin_hash:
            self.notify(no_pin_set(), severity="warning")
            return
        last = self.last_outcome
        if self.checking:
            self.notify(_("Wait for the verdict of the scan being checked."), severity="warning")
            return
        if last is None or last.override:
            self.notify(
                _("Scan the ticket first; the override applies to the last scan."), severity="warning"
            )
            return
        self.push_screen(SupervisorScreen(last, pin_hash), partial(self._apply_override, last))

    async def _apply_override(self, last: ScanOutcome, request: OverrideRequest | None) -> None:
        """The supervisor's decision on the scan the dialog was opened for; then the scans that
        came while the dialog was open."""
        if request is not None:
            if request.action is OverrideAction.ADMIT:
                outcome = await self.engine.override_admit(last, request.reason)
            else:
                outcome = await self.engine.turn_away(last, request.reason)
            self.show(outcome)
            self.main("#scan", Input).focus()
        self._release_held()

    # Scans while a dialog is open (gate/wedge.py): held, then scanned in order once it closes.

    @property
    def dialog_open(self) -> bool:
        return self.screen is not self.gate_screen

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self.dialog_open:
            taken = await self.catcher.key(event)
            if self._hold_timer is not None:
                self._hold_timer.stop()
            self._hold_timer = (
                self.set_timer(self.catcher.hold, self.catcher.flush) if self.catcher.holding else None
            )
            if taken:
                return
        await super().on_event(event)

    async def _replay(self, key: events.Key) -> None:
        """A key held while a dialog was open that turned out to be typed by a person."""
        await super().on_event(key)

    def _caught_in_dialog(self, text: str, key_times: Sequence[float]) -> None:
        codes = split_scan(text, key_times)
        for code in codes:
            self._enqueue(code)
        if self.dialog_open:
            held = ngettext(
                "Scan held: {code} is checked when this window closes.",
                "Scans held: {code} and {more} more are checked when this window closes.",
                len(codes),
            )
            self.notify(held.format(code=glimpse(codes[0]), more=len(codes) - 1), title=_("Scanned"))

    def _enqueue(self, code: str) -> None:
        """Scan `code` after those before it; while a dialog is open, once it has closed."""
        if self.dialog_open:
            self.held_scans.append(code)
        else:
            self._codes.put_nowait(code)

    def _release_held(self) -> None:
        if self.dialog_open:  # another dialog is still open below the one that closed
            return
        held, self.held_scans = self.held_scans, []
        for code in held:
            self._codes.put_nowait(code)

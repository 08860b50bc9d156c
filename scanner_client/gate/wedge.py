"""Scans that arrive while a dialog is open (the unsynced list, the supervisor's PIN, a new PIN).

The scanner is a keyboard: without care, a ticket scanned while the supervisor dialog is open
would be typed into the PIN field and lost. While a dialog is open, the gate holds each printable
key for a moment (HOLD). Keys that come at scanner speed and read as a ticket code (or as a long
misread) are a scan: it is taken out of the dialog, and the gate scans it, in order, once the
dialog closes. Anything else (a person typing a PIN or a reason) goes on to the dialog as typed,
a twentieth of a second late.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from textual import events

from admission.domain.codes import TICKET_NUMBER_LENGTH
from scanner_client.gate.bursts import SCANNER_KEY_INTERVAL, is_code, split_scan

HOLD = 0.05  # seconds a key waits for the next one while a dialog is open

Replay = Callable[[events.Key], Awaitable[None]]
OnScan = Callable[[str, Sequence[float]], None]


def is_scanned(text: str, key_times: Sequence[float]) -> bool:
    """Keys typed at scanner speed that hold a ticket code, or that are too long and too fast to
    be a person's (a misread: staff see it rejected, rather than find it in a PIN field)."""
    if len(text) < 2 or len(key_times) != len(text):
        return False
    pace = (key_times[-1] - key_times[0]) / (len(text) - 1)
    if pace >= SCANNER_KEY_INTERVAL:
        return False
    if any(is_code(piece) for piece in split_scan(text, key_times)):
        return True
    return len(text) >= TICKET_NUMBER_LENGTH and not any(ch.isspace() for ch in text)


class DialogScanCatcher:
    """Tells a scanner's burst from a person's typing while a dialog is open.

    The app hands it every key event while a dialog is open (`key`), and calls `flush` when
    nothing more came for `hold` seconds (`holding` says whether keys wait)."""

    def __init__(self, on_scan: OnScan, replay: Replay, clock: Callable[[], float] = time.monotonic) -> None:
        self.on_scan = on_scan
        self.replay = replay
        self.clock = clock
        self.hold = HOLD
        self._keys: list[events.Key] = []
        self._times: list[float] = []
        self._swallow_enter_until = float("-inf")

    @property
    def holding(self) -> bool:
        return bool(self._keys)

    async def key(self, event: events.Key) -> bool:
        """True when the key was taken here (held, or part of a scan); False: handle it as usual."""
        now = self.clock()
        if event.is_printable and event.character:
            if self._keys and now - self._times[-1] > self.hold:  # the flush came late: not one burst
                await self.flush()
            self._keys.append(event)
            self._times.append(now)
            return True
        if event.key == "enter":
            if self._keys:
                await self.flush(enter=event)
                return True
            return now <= self._swallow_enter_until  # the Enter that ended a scan just taken
        if self._keys:  # Tab, Backspace, Escape...: what was typed before them goes first
            await self.flush()
        return False

    async def flush(self, enter: events.Key | None = None) -> None:
        keys, times = self._keys, self._times
        self._keys, self._times = [], []
        text = "".join(key.character or "" for key in keys)
        if keys and is_scanned(text, times):
            self.on_scan(text, times)
            if enter is None:  # the scanner's Enter may follow: it must not submit the dialog
                self._swallow_enter_until = self.clock() + self.hold
            return
        for key in keys:
            await self.replay(key)
        if enter is not None:
            await self.replay(enter)

"""What a keyboard-wedge scanner typed, cut into the scans it holds.

A scanner types a whole code within a few tens of milliseconds and usually ends it with Enter. Two
scans can still reach the gate as one string: a scanner that sends no Enter (or lost one) types the
next code straight after the first, or the second scan comes before the first one's Enter. Such a
string is cut by the codes' own format first (a ticket number is 13 digits with a valid check
digit, a signed code 152 symbols whose payload reads as a ticket), then by timing: a pause between
two scanner-speed bursts is where one scan ended and the next began. What cannot be cut into codes
stays one string and is scanned as it is, so staff see it rejected as a misread, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from admission.domain.codes import (
    SIGNED_CODE_LENGTH,
    TICKET_NUMBER_LENGTH,
    CodeError,
    classify_scan,
    is_valid_ticket_number,
    normalise_scan,
    read_signed_code,
)

# A keyboard-wedge scanner types a whole code within a few tens of milliseconds; a person types
# much slower. Keys closer together than this come from a scanner.
SCANNER_KEY_INTERVAL = 0.035
# A run of scanner-speed keys shorter than this is not taken for a scan of its own.
MIN_BURST = 6
# An AIM symbology prefix ("]Q1", "]C0") starts each code a scanner types; "]" is in no code.
_AIM_PREFIX = re.compile(r"\][A-Za-z][0-9A-Za-z]")


def is_code(raw: str) -> bool:
    """Whether `raw` is exactly one ticket code or number (as the gate would read it)."""
    try:
        classify_scan(raw)
    except CodeError:
        return False
    return True


def split_scan(raw: str, key_times: Sequence[float] | None = None) -> list[str]:
    """The scans in `raw`, in order. `key_times` (when known) holds the moment each character was
    typed. A single code, and a string that is no code at all, come back as they are."""
    if not raw.strip() or is_code(raw):
        return [raw]
    codes = concatenated_codes(raw)
    if codes:
        return codes
    if key_times is None or len(key_times) != len(raw):
        return [raw]
    scans: list[str] = []
    for piece in timing_pieces(raw, key_times):
        if not piece.strip():
            continue
        scans.extend([piece] if is_code(piece) else concatenated_codes(piece) or [piece])
    return scans or [raw]


def concatenated_codes(raw: str) -> list[str]:
    """Two or more complete codes typed with nothing between them; [] if `raw` is not that."""
    text = normalise_scan(_AIM_PREFIX.sub("", raw))
    if len(text) < 2 * TICKET_NUMBER_LENGTH:
        return []
    cut = _cut(text)
    return list(cut) if cut is not None and len(cut) > 1 else []


def _cut(text: str) -> tuple[str, ...] | None:
    """`text` as a sequence of whole codes, or None (tries a signed code first at each place)."""

    @cache
    def rest(start: int) -> tuple[str, ...] | None:
        if start == len(text):
            return ()
        for length in (SIGNED_CODE_LENGTH, TICKET_NUMBER_LENGTH):
            piece = text[start : start + length]
            if len(piece) == length and _whole_code(piece):
                after = rest(start + length)
                if after is not None:
                    return (piece, *after)
        return None

    return rest(0)


def _whole_code(piece: str) -> bool:
    if len(piece) == TICKET_NUMBER_LENGTH:
        return is_valid_ticket_number(piece)
    try:
        read_signed_code(piece)  # its version and serial must read; the signature is the gate's job
    except CodeError:
        return False
    return True


def timing_pieces(raw: str, key_times: Sequence[float]) -> list[str]:
    """`raw` cut before and after every burst of scanner-speed keys. A person's typing (slow keys,
    at most a few fast ones in a row) is never cut."""
    runs: list[str] = []
    start = 0
    for i in range(1, len(raw) + 1):
        if i == len(raw) or key_times[i] - key_times[i - 1] >= SCANNER_KEY_INTERVAL:
            runs.append(raw[start:i])
            start = i
    pieces: list[str] = []
    previous = 0
    for run in runs:
        if pieces and len(run) < MIN_BURST and previous < MIN_BURST:
            pieces[-1] += run  # typed by a person: one piece with what they typed before
        else:
            pieces.append(run)
        previous = len(run)
    return pieces


class KeyTimes:
    """When each character of an input field's text was typed. A scanner types at the end of the
    field; any other edit leaves no timing to go by (the whole text counts as typed at once)."""

    def __init__(self) -> None:
        self.text = ""
        self.times: list[float] = []

    def changed(self, value: str, now: float) -> None:
        if value.startswith(self.text):
            self.times += [now] * (len(value) - len(self.text))
        elif self.text.startswith(value):
            del self.times[len(value) :]
        else:
            self.times = [now] * len(value)
        self.text = value

    def of(self, text: str) -> list[float] | None:
        """The typing times of `text`, if it is what this field holds."""
        return list(self.times) if text == self.text else None

    def typed_fast(self) -> bool:
        """Typed at a scanner's pace (on average)."""
        if len(self.times) < 2:
            return False
        return (self.times[-1] - self.times[0]) / (len(self.times) - 1) < SCANNER_KEY_INTERVAL

    @property
    def last(self) -> float:
        return self.times[-1] if self.times else float("-inf")

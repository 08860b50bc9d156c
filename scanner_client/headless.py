"""Headless gate for turnstiles and automation: one code per line on stdin, one JSON verdict
per line on stdout, with the same store, queue and sync as the TUI.

Each output line is written (and flushed) only after the passage is committed, so a controller
that opens the turnstile on `"verdict": "admit"` never acts on a scan the store could lose.
Blank input lines are ignored; every other line gets exactly one answer, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO, TextIO

import msgspec

from admission.domain.model import Direction
from scanner_client.remote import ServerRefused, ServerUnavailable
from scanner_client.sync import GateEngine

MAX_LINE = 64 * 1024  # anything longer is scanner noise; its tail is skipped, not buffered


def read_line(stream: BinaryIO) -> bytes | None:
    """One input line (without its end), None at end of input. Overlong lines are cut."""
    line = stream.readline(MAX_LINE)
    if not line:
        return None
    if len(line) == MAX_LINE and not line.endswith(b"\n"):
        while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
            pass
    return line.rstrip(b"\r\n")


async def run_headless(
    engine: GateEngine,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    *,
    direction: Direction | None = None,
    drain_seconds: float = 5.0,
) -> int:
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    background = asyncio.create_task(engine.run())
    loop = asyncio.get_running_loop()
    # A dedicated thread: the default executor would make interpreter exit wait for a blocked read.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stdin")
    try:
        while True:
            raw = await loop.run_in_executor(reader, read_line, stdin)
            if raw is None:
                break
            # Binary noise must not stop the gate: undecodable bytes become U+FFFD and the
            # verdict says `invalid`.
            text = raw.decode("utf-8", errors="replace")
            if not text.strip():
                continue
            outcome = await engine.scan(text, direction)
            stdout.write(msgspec.json.encode(outcome.as_json()).decode() + "\n")
            stdout.flush()
        await _drain(engine, drain_seconds)
    finally:
        background.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await background
        reader.shutdown(wait=False, cancel_futures=True)
    return 0


async def _drain(engine: GateEngine, seconds: float) -> None:
    """At the end of input, give queued passages a bounded chance to reach the server."""
    if engine.remote is None or seconds <= 0:
        return
    try:
        async with asyncio.timeout(seconds):
            if not engine.online:
                await engine.remote_probe()
            await engine.push_queue()
    except (TimeoutError, ServerUnavailable, ServerRefused):
        pass  # they stay queued, durably; the next run or `scanner-client sync` sends them

"""Headless gate for turnstiles and automation: one code per line on stdin, one JSON verdict
per line on stdout, with the same store, queue and sync as the TUI.

Each output line is written (and flushed) only after the passage is committed, so a controller
that opens the turnstile on `"verdict": "admit"` never acts on a scan the store could lose; and a
verdict decided here is marked shown only after its line is out, so a gate killed in between
uploads it as not admitted rather than as an admission nobody saw.
Blank input lines are ignored; every other line gets exactly one answer, in order. With a
watched folder, each barcode found in a dropped image is answered too (with an "image" field).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, TextIO

import msgspec

from admission.domain.model import Direction
from scanner_client.core.remote import ServerRefused, ServerUnavailable
from scanner_client.gate.engine import GateEngine
from scanner_client.gate.outcome import ScanOutcome
from scanner_client.gate.watch import watch_folder

log = logging.getLogger(__name__)

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
    watch: Path | None = None,
) -> int:
    stdin = stdin or sys.stdin.buffer
    out = stdout or sys.stdout
    background = asyncio.create_task(engine.run())

    def emit(outcome: ScanOutcome, **extra: object) -> None:
        if outcome.mode == "online" and engine.server is not None:
            extra["server"] = engine.server  # which server of the list decided
        out.write(msgspec.json.encode({**outcome.as_json(), **extra}).decode() + "\n")
        out.flush()
        engine.mark_shown(outcome.nonce)

    async def found(image: Path, texts: list[str], error: str | None) -> None:
        if error or not texts:  # stdout carries verdicts only; this goes to the log
            log.warning("%s", error or f"no barcode found in {image.name}")
        for text in texts:
            emit(await engine.scan(text, direction), image=image.name)

    watcher = asyncio.create_task(watch_folder(watch, found)) if watch else None
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
            emit(await engine.scan(text, direction))
        if watcher is not None:  # input closed, but images keep coming: run until stopped
            await watcher
        await _drain(engine, drain_seconds)
    finally:
        for task in (background, watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        reader.shutdown(wait=False, cancel_futures=True)
    return 0


async def _drain(engine: GateEngine, seconds: float) -> None:
    """At the end of input, give queued passages a bounded chance to reach the server."""
    if engine.remote is None or seconds <= 0:
        return
    try:
        async with asyncio.timeout(seconds):
            if not engine.online:
                await engine.probe()
            await engine.push_queue()
    except (TimeoutError, ServerUnavailable, ServerRefused):
        pass  # they stay queued, durably; the next run or `scanner-client sync` sends them

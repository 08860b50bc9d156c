"""The figures the gate's screens show from its store (last sync, queue, notices, today's
counters, the unsynced list), read on a read-only connection of their own in a worker thread:
a long passage log must never stall the scanner's input on the UI loop."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from admission.domain.codes import now_utc
from scanner_client.gate.passages import GateCounters, LocalPassage
from scanner_client.gate.store import GateStore


@dataclass(frozen=True, slots=True)
class GateFigures:
    last_sync_at: datetime | None = None
    queued: int = 0
    notices: list[str] = field(default_factory=list)
    counters: GateCounters = field(default_factory=GateCounters)


@dataclass(frozen=True, slots=True)
class UnsyncedPassages:
    queued_total: int
    queued: list[LocalPassage]
    flagged: list[LocalPassage]


class FiguresReader:
    """Safe to call from worker threads, one read at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: GateStore | None = None
        self._lock = threading.Lock()

    def figures(self, gate: str, since: datetime) -> GateFigures:
        with self._lock:
            store = self._open()
            with store.reading():
                return GateFigures(
                    last_sync_at=store.last_sync_at,
                    queued=store.queued_count(),
                    notices=store.current_notices(now_utc()),
                    counters=store.counters(gate, since),
                )

    def unsynced(self, limit: int) -> UnsyncedPassages:
        with self._lock:
            store = self._open()
            with store.reading():
                return UnsyncedPassages(store.queued_count(), store.queued(limit), store.flagged(limit))

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _open(self) -> GateStore:
        if self._store is None:
            self._store = GateStore(self.path, read_only=True)
        return self._store

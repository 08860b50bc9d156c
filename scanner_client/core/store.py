"""The local store: one SQLite file per device, whether it is a gate or a till.

It holds the device's configuration, the catalogue snapshot from the change feed and the outage
log; the gate's passage log (gate/store.py) and the till's sales log (till/store.py) are the
same file's other tables, created by the same migrations, so every device has one file and one
upgrade path.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from scanner_client.core.outages import OutageLog
from scanner_client.core.revocation import RevocationStore
from scanner_client.core.snapshot import SnapshotStore


class LocalStore(SnapshotStore, OutageLog, RevocationStore):
    """Configuration, snapshot and outages of one device. Use it from one thread."""

    def wipe(self, at: datetime, kept: list[Path]) -> None:
        super().wipe(at, kept)
        # What was decoded from the snapshot must not outlive it.
        self.generation += 1
        self._decoded_templates = self._decoded_events = None
        self._hasher_spec = self._hasher = None

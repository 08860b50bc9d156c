"""The local store: one SQLite file per device, whether it is a gate or a till.

It holds the device's configuration, the catalogue snapshot from the change feed and the outage
log; the gate's passage log (gate/store.py) and the till's sales log (till/store.py) are the
same file's other tables, created by the same migrations, so every device has one file and one
upgrade path.
"""

from __future__ import annotations

from scanner_client.core.outages import OutageLog
from scanner_client.core.snapshot import SnapshotStore


class LocalStore(SnapshotStore, OutageLog):
    """Configuration, snapshot and outages of one device. Use it from one thread."""

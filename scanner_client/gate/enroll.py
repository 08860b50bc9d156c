"""Enrollment: check the device token, pull the first snapshot, store the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from admission.domain.codes import now_utc
from admission.domain.model import Direction
from scanner_client.core.remote import DeviceInfo, Remote
from scanner_client.core.snapshot import SnapshotStore
from scanner_client.gate.settings import NotEnrolled, Settings, hash_pin
from scanner_client.gate.store import GateStore

PAGE_SIZE = 10_000  # the service's largest page: fewer round trips for a big first snapshot

Progress = Callable[[int], None]


class EnrollmentError(RuntimeError):
    pass


@dataclass(frozen=True)
class Enrollment:
    device: DeviceInfo
    changes: int
    tickets: int


async def pull_snapshot(store: SnapshotStore, remote: Remote, progress: Progress | None = None) -> int:
    """Fetch the feed from the store's cursor until it has no more (since=0: the full snapshot)."""
    applied = 0
    first = store.cursor == 0
    if first:
        with store.bulk_load_tickets():
            applied = await _pull(store, remote, progress)
    else:
        applied = await _pull(store, remote, progress)
    return applied


async def _pull(store: SnapshotStore, remote: Remote, progress: Progress | None) -> int:
    applied = 0
    while True:
        page = await remote.changes(store.cursor, limit=PAGE_SIZE)
        store.apply_changes(page.changes, page.cursor, synced_at=now_utc())
        applied += len(page.changes)
        if progress:
            progress(applied)
        if not page.more:
            return applied


async def enroll(
    store: GateStore,
    remote: Remote,
    *,
    server_url: str,
    token: str,
    gate: str,
    direction: Direction,
    supervisor_pin: str | None,
    progress: Progress | None = None,
) -> Enrollment:
    device = await remote.me()
    if device.role not in ("gate", "admin"):
        raise EnrollmentError(
            f"device {device.name!r} has the role {device.role!r}; a gate needs a gate token"
        )
    if device.gate is not None and device.gate != gate:
        raise EnrollmentError(f"device {device.name!r} is registered for gate {device.gate!r}, not {gate!r}")
    previous = store.get_config("device")
    if previous is not None and previous != device.name and store.queued_count():
        raise EnrollmentError(
            f"this store still holds {store.queued_count()} unsynced passages of device {previous!r}: "
            "sync them first or use another --data-dir"
        )
    changes = await pull_snapshot(store, remote, progress)
    if store.gate(gate) is None:
        known = ", ".join(store.gate_names()) or "none"
        raise EnrollmentError(f"gate {gate!r} is not known to the server (gates: {known})")
    try:  # re-enrolling keeps tuned settings (pause, timeouts) and the PIN unless a new one is given
        settings = Settings.load(store)
    except NotEnrolled:
        settings = Settings(server_url=server_url, token=token, device=device.name, gate=gate)
    settings.server_url, settings.token, settings.device = server_url, token, device.name
    settings.gate, settings.direction = gate, direction
    if supervisor_pin:
        settings.pin_hash = hash_pin(supervisor_pin)
    settings.save(store)
    return Enrollment(device=device, changes=changes, tickets=store.ticket_count())

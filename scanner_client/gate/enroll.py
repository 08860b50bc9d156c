"""Enrollment: check the device token, pull the first snapshot, store the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from admission.domain.codes import now_utc
from admission.domain.model import Direction
from admission.i18n import _
from scanner_client.core.feed import Progress, pull_snapshot
from scanner_client.core.offline_limit import record_contact
from scanner_client.core.remote import DeviceInfo, Remote
from scanner_client.gate.settings import NotEnrolled, Settings, hash_pin
from scanner_client.gate.store import GateStore


class EnrollmentError(RuntimeError):
    pass


@dataclass(frozen=True)
class Enrollment:
    device: DeviceInfo
    changes: int
    tickets: int


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
            _("device {device!r} has the role {role!r}; a gate needs a gate token").format(
                device=device.name, role=device.role
            )
        )
    if device.gate is not None and device.gate != gate:
        raise EnrollmentError(
            _("device {device!r} is registered for gate {registered!r}, not {gate!r}").format(
                device=device.name, registered=device.gate, gate=gate
            )
        )
    previous = store.get_config("device")
    if previous is not None and previous != device.name and store.queued_count():
        raise EnrollmentError(
            _(
                "this store still holds {count} unsynced passages of device {device!r}: "
                "sync them first or use another --data-dir"
            ).format(count=store.queued_count(), device=previous)
        )
    changes = await pull_snapshot(store, remote, progress)
    if store.gate(gate) is None:
        known = ", ".join(store.gate_names()) or _("none")
        raise EnrollmentError(
            _("gate {gate!r} is not known to the server (gates: {known})").format(gate=gate, known=known)
        )
    try:  # re-enrolling keeps tuned settings (pause, timeouts) and the PIN unless a new one is given
        settings = Settings.load(store)
    except NotEnrolled:
        settings = Settings(server_url=server_url, token=token, device=device.name, gate=gate)
    settings.server_url, settings.token, settings.device = server_url, token, device.name
    settings.gate, settings.direction = gate, direction
    if supervisor_pin:
        settings.pin_hash = hash_pin(supervisor_pin)
    settings.save(store)
    store.clear_revocation()  # a revoked device's wiped store starts again as the new device's
    record_contact(store, now_utc())  # the offline limit counts from here
    return Enrollment(device=device, changes=changes, tickets=store.ticket_count())

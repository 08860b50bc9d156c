"""Fleet health: what each gate and till reports of itself, and what managers see of the fleet.

A device reports while online, every minute or so, piggy-backed on its sync loop: its version,
its upload queue, its last read of the change feed, its connection state and the offset of its
clock from the service's (measured by the device itself, against `GET /fleet/clock`, with half
the round trip). Only its own report: the token names the device.

Two flags, with limits from the service's configuration (admission.config):
- `clock_skew`: the clock is off by more than the limit. Offline verdicts (validity windows,
  re-entry on the same day) and passage times use the device's clock, so a manager must know;
  the device learns it from the answer to its report and shows it on its own screen.
- `silent`: an enrolled, not revoked gate or till has not reported for longer than its limit
  (or never, since it was created that long ago): it may be off, unplugged or stuck offline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import DeviceHealthAck, DeviceHealthIn, FleetDevice, FleetFlag, FleetOut
from admission.db.models import Device, DeviceHealth, Gate
from admission.domain.errors import ForbiddenError, InvalidRequestError
from admission.domain.wording import clock_offset_words
from admission.i18n import _
from admission.services.catalog import venue as venues
from admission.services.devices import Principal

# Devices that run a sync loop and report; managers' logins (viewer, admin) never do.
REPORTING_ROLES = frozenset({"gate", "box_office"})


class FleetLimits(msgspec.Struct, frozen=True, kw_only=True):
    clock_skew_limit_seconds: float
    silent_after_seconds: float


def clock_skewed(offset_seconds: float | None, limit_seconds: float) -> bool:
    return offset_seconds is not None and abs(offset_seconds) > limit_seconds


def flags_of(
    role: str,
    revoked: bool,
    created_at: datetime,
    health: DeviceHealth | None,
    limits: FleetLimits,
    now: datetime,
) -> list[FleetFlag]:
    flags: list[FleetFlag] = []
    if revoked:
        return flags  # a revoked device is expected to fall silent; nothing to chase
    offset = None if health is None or health.clock_offset_ms is None else health.clock_offset_ms / 1000
    if clock_skewed(offset, limits.clock_skew_limit_seconds):
        flags.append("clock_skew")
    heard = health.received_at if health is not None else None
    if role in REPORTING_ROLES or health is not None:
        silent_since = heard or created_at
        if now - silent_since > timedelta(seconds=limits.silent_after_seconds):
            flags.append("silent")
    return flags


def warnings_of(flags: list[FleetFlag], row: FleetDevice, now: datetime) -> list[str]:
    """The flags in words, in the caller's language."""
    words: list[str] = []
    if "clock_skew" in flags and row.clock_offset_seconds is not None:
        words.append(_("Clock off by {offset}").format(offset=clock_offset_words(row.clock_offset_seconds)))
    if "silent" in flags:
        if row.last_seen_at is None:
            words.append(_("Never reported"))
        else:
            minutes = int((now - row.last_seen_at).total_seconds() // 60)
            words.append(_("Silent for {minutes} min").format(minutes=minutes))
    return words


async def record_report(
    session: AsyncSession, principal: Principal, report: DeviceHealthIn, limits: FleetLimits
) -> DeviceHealthAck:
    """Store the calling device's report (replacing its previous one) and answer with its flags."""
    if report.device != principal.device_name:
        raise ForbiddenError(
            f"this token belongs to device {principal.device_name!r}, not {report.device!r}: "
            "a device reports its own health only"
        )
    if report.last_sync_at is not None and report.last_sync_at.tzinfo is None:
        raise InvalidRequestError("last_sync_at must carry a UTC offset")
    now = datetime.now(UTC)
    health = await session.get(DeviceHealth, principal.device_id)
    if health is None:
        health = DeviceHealth(device_id=principal.device_id)
        session.add(health)
    health.received_at = now
    health.version = report.version
    health.queue = report.queue
    health.last_sync_at = report.last_sync_at
    health.online = report.online
    offset = report.clock_offset_seconds
    health.clock_offset_ms = None if offset is None else round(offset * 1000)
    await session.flush()
    flags: list[FleetFlag] = ["clock_skew"] if clock_skewed(offset, limits.clock_skew_limit_seconds) else []
    return DeviceHealthAck(
        received_at=now, clock_skew_limit_seconds=limits.clock_skew_limit_seconds, flags=flags
    )


async def fleet(session: AsyncSession, limits: FleetLimits, now: datetime | None = None) -> FleetOut:
    """Every gate and till, and any other device that reported, with its last report and flags."""
    now = now or datetime.now(UTC)
    venue = await venues.get_venue(session)
    rows = await session.execute(
        select(Device, Gate.name, DeviceHealth)
        .outerjoin(Gate, Gate.id == Device.gate_id)
        .outerjoin(DeviceHealth, DeviceHealth.device_id == Device.id)
        .order_by(Device.role, Device.name)
    )
    devices: list[FleetDevice] = []
    for device, gate_name, health in rows:
        if device.role not in REPORTING_ROLES and health is None:
            continue
        revoked = device.revoked_at is not None
        flags = flags_of(device.role, revoked, device.created_at, health, limits, now)
        row = FleetDevice(
            id=device.id,
            name=device.name,
            role=device.role,
            gate=gate_name,
            revoked=revoked,
            flags=flags,
        )
        if health is not None:
            row.version = health.version
            row.online = health.online and "silent" not in flags and not revoked
            row.last_seen_at = health.received_at
            row.last_sync_at = health.last_sync_at
            row.queue = health.queue
            row.clock_offset_seconds = (
                None if health.clock_offset_ms is None else health.clock_offset_ms / 1000
            )
        row.warnings = warnings_of(flags, row, now)
        devices.append(row)
    return FleetOut(
        generated_at=now,
        timezone=venue.timezone,
        clock_skew_limit_seconds=limits.clock_skew_limit_seconds,
        silent_after_seconds=limits.silent_after_seconds,
        devices=devices,
    )

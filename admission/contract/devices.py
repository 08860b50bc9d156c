"""Devices, their roles and the tokens issued to them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

# A hub is a venue's own `admission serve --upstream`: it reads the feed and forwards the
# passages its gates registered, in each gate's name (docs/hub.md).
Role = Literal["admin", "box_office", "gate", "viewer", "hub"]


ROLES: tuple[Role, ...] = ("admin", "box_office", "gate", "viewer", "hub")


class DeviceIn(msgspec.Struct, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
    role: Role
    gate: str | None = None
    # box-office devices sign tickets they sell offline; gates learn this key from the feed
    signing_public_key: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")] | None = None


class DeviceOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    role: str
    gate: str | None
    created_at: datetime
    revoked: bool
    key_id: int | None = None
    # holds a token of an older release (`adm_` for every role): rotate it (docs/security.md)
    legacy_token: bool = False


class IssuedToken(msgspec.Struct, kw_only=True):
    device: DeviceOut
    token: str  # shown once


# ---------------------------------------------------------------- fleet health

ClientVersion = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.+-]+$")]
# A clock years off (a PC whose clock battery died starts in 1970 or 2000) is reported as it is:
# it is what the device measured. Bounded (about 126 years) so both databases store it.
ClockOffset = Annotated[float, msgspec.Meta(ge=-4_000_000_000, le=4_000_000_000)]
FleetFlag = Literal["clock_skew", "silent"]


class ServiceClock(msgspec.Struct, kw_only=True):
    """The service's time, for a device measuring its clock's offset (half the round trip)."""

    now: datetime


class DeviceHealthIn(msgspec.Struct, kw_only=True):
    """What a gate or till reports of itself, while online, every minute or so."""

    device: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # the token's own device
    version: ClientVersion
    queue: Annotated[int, msgspec.Meta(ge=0, le=2_000_000_000)]  # passages or sales not yet uploaded
    last_sync_at: datetime | None = None  # the device's last successful read of the change feed
    online: bool = True  # the device's own connection state when it sent the report
    # device clock minus service clock, in seconds (positive: the device is ahead); None when the
    # device could not measure it
    clock_offset_seconds: ClockOffset | None = None


class DeviceHealthAck(msgspec.Struct, kw_only=True):
    """The service's answer to a report: what it flags about the device, so the device can show it."""

    received_at: datetime
    clock_skew_limit_seconds: float
    flags: list[FleetFlag]


class FleetDevice(msgspec.Struct, kw_only=True):
    """One row of the fleet table: a device and what it last reported of itself."""

    id: int
    name: str
    role: str
    gate: str | None
    revoked: bool
    version: str | None = None
    online: bool = False  # reported online, and not silent since
    last_seen_at: datetime | None = None  # the service's time of the device's last report
    last_sync_at: datetime | None = None
    queue: int | None = None
    clock_offset_seconds: float | None = None
    flags: list[FleetFlag] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)  # the flags in words, for people


class FleetOut(msgspec.Struct, kw_only=True):
    """The fleet: every gate and till (and each device that ever reported), with the limits used."""

    generated_at: datetime
    timezone: str  # the venue's, for showing times
    clock_skew_limit_seconds: float
    silent_after_seconds: float
    devices: list[FleetDevice]

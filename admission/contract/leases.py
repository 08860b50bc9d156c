"""Capacity leases: a block of an event's seats lent to a till or a venue hub, so that it can
sell event tickets offline without overselling."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from admission.contract.common import Id, Name

LeaseState = Literal["active", "returned", "revoked"]
Seats = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class LeaseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A manager lends `seats` of an event to a device (by its name) until `expires_at` (at the
    latest the event's end, which is also the default)."""

    event_id: Id
    device: Name
    seats: Seats
    expires_at: datetime | None = None


class LeaseOut(msgspec.Struct, kw_only=True):
    id: int
    event_id: int
    event: str
    event_starts_at: datetime
    device_id: int
    device: str
    seats: int
    sold: int  # seats sold on it (posted and registered)
    left: int  # seats still free on it: nothing once it ended
    returned: int  # seats given back when it ended
    state: LeaseState
    granted_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None


class LeaseConflictOut(msgspec.Struct, kw_only=True):
    """An offline sale's event seats that no lease covered: sold anyway, counted on the event."""

    sale_id: int
    device: str
    event_id: int
    event: str
    sold_at: datetime
    recorded_at: datetime
    seats: int
    beyond: int
    overbooked: int  # seats the event was sold beyond its capacity once these were counted
    lease_id: int | None
    reason: str

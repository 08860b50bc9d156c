"""Venue, templates, events and gates as an admin writes them (and events as the API shows them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from admission.contract.common import Cents, Color, Count, Id, Name, ZoneName
from admission.contract.feed import EventData
from admission.domain.model import (
    TemplateKind,
    ValidityMode,
)

# Minutes of an entry rule: up to a week.
Minutes = Annotated[int, msgspec.Meta(ge=0, le=7 * 24 * 60)]


class VenueIn(msgspec.Struct, kw_only=True):
    name: Name
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    annul_window_seconds: Annotated[int, msgspec.Meta(ge=0, le=3600)] = 30
    # Hours a gate may admit offline after its last contact with the service (30 days at most).
    offline_limit_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 24


# A VAT rate in percent, at most two decimals (checked by the service): 25, 25.5, 7.
VatRate = Annotated[float, msgspec.Meta(ge=0, le=100)]
AddressLine = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]


class VenueReceiptIn(msgspec.Struct, kw_only=True):
    """What receipts print about the venue: its address, VAT or organisation number, and the
    standard VAT rate its prices include (templates may name a reduced one)."""

    address: Annotated[list[AddressLine], msgspec.Meta(max_length=6)] = []
    vat_number: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+$")] | None
    ) = None
    vat_rate: VatRate | None = None


class TemplateIn(msgspec.Struct, kw_only=True):
    name: Name
    kind: TemplateKind = TemplateKind.ENTRY
    plu: Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z-]+$")] | None = None
    price_cents: Cents = 0
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "EUR"
    validity_mode: ValidityMode = ValidityMode.FIXED
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    validity_days: Annotated[int, msgspec.Meta(ge=1, le=3660)] | None = None
    allowed_zones: list[ZoneName] = []
    allowed_gates: list[ZoneName] = []
    max_entries: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = 1  # None: unlimited
    reentry_allowed: bool = False
    # Entry rules, each counted per zone; None: no such rule (docs/entry-rules.md).
    min_minutes_between_entries: Minutes | None = None
    max_entries_per_day: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    max_entry_days: Annotated[int, msgspec.Meta(ge=1, le=3660)] | None = None
    entry_minutes_before_start: Minutes | None = None  # None: the event's doors_open_minutes
    entry_minutes_after_end: Minutes | None = None  # None: entry until the event ends
    exit_required: bool = False
    fallback_template_id: Id | None = None
    active: bool = True
    title: Annotated[str, msgspec.Meta(max_length=200)] = ""
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    color: Color = "#1f6feb"
    vat_rate: VatRate | None = None  # percent; None: the venue's standard rate
    allow_pending_entry: bool = False  # tickets issued unpaid admit too (docs/entry-rules.md)
    # A custom rule expression (docs/entry-rules.md, "Custom rules"), checked when saved; None: none.
    custom_rule: dict[str, Any] | None = None


class EventIn(msgspec.Struct, kw_only=True):
    name: Name
    starts_at: datetime
    ends_at: datetime
    doors_open_minutes: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)] = 60
    capacity: Count | None = None
    template_ids: Annotated[list[Id], msgspec.Meta(max_length=1000)] = []


class GateIn(msgspec.Struct, kw_only=True):
    name: ZoneName
    zone: ZoneName
    from_zone: ZoneName | None = None
    event_id: Id | None = None


class EventOut(EventData, kw_only=True):
    """An event as the API shows it: what gates learn of it, and how far it is sold."""

    sold: int  # tickets sold (online, and offline on leases or beyond them)
    remaining: int | None  # free to sell: neither sold nor leased out
    leased: int = 0  # seats lent to devices on capacity leases and not yet sold on them

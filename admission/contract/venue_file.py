"""The venue file: a venue's whole set-up in one TOML file (docs/venue-file.md), and what
applying it changes.

Every table refuses fields it does not know, so a misspelt field is an error that names it,
never a setting silently left at its default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from admission.contract.catalog import AddressLine, VatRate
from admission.contract.common import Color, Count, GateName, Name, ZoneName
from admission.contract.devices import Role
from admission.domain.model import TemplateKind, ValidityMode
from admission.domain.payments import BrandName, PaymentMethod

Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Language = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
Plu = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z-]+$")]
DeviceName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
Entries = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Unlimited = Literal["unlimited"]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=7 * 24 * 60)]
# A price as written: 25, 25.5, 25.50 or "25.50" (the service keeps cents).
Price = int | float | str


class _Table(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class VenueSection(_Table):
    name: Name
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    currency: Currency = "EUR"  # the venue's own, and every template's unless it names another
    language: Language = "en"
    annul_window_seconds: Annotated[int, msgspec.Meta(ge=0, le=3600)] = 30
    offline_limit_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 24
    zones: list[ZoneName] = []  # when given, every zone a gate or template names must be here
    # Printed on receipts: the address, the VAT or organisation number, the standard VAT rate.
    address: Annotated[list[AddressLine], msgspec.Meta(max_length=6)] = []
    vat_number: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+$")] | None
    ) = None
    vat_rate: VatRate | None = None


class TemplateEntry(_Table):
    name: Name
    kind: TemplateKind = TemplateKind.ENTRY
    plu: Plu | None = None
    price: Price = 0
    currency: Currency | None = None  # None: the venue's
    validity: ValidityMode = ValidityMode.FIXED
    valid_from: datetime | None = None  # without a UTC offset: in the venue's time zone
    valid_until: datetime | None = None
    validity_days: Annotated[int, msgspec.Meta(ge=1, le=3660)] | None = None
    zones: list[ZoneName] = []  # empty: every zone
    gates: list[GateName] = []  # empty: every gate
    max_entries: Entries | Unlimited = 1
    reentry: bool = False
    # Entry rules, counted per zone (docs/entry-rules.md); none: no such rule.
    min_minutes_between_entries: Minutes | None = None
    max_entries_per_day: Entries | None = None
    max_entry_days: Annotated[int, msgspec.Meta(ge=1, le=3660)] | None = None
    entry_minutes_before_start: Minutes | None = None  # none: the event's doors_open_minutes
    entry_minutes_after_end: Minutes | None = None  # none: entry until the event ends
    exit_required: bool = False  # anti-passback: inside a zone, an exit before the next entry
    fallback: Name | None = None  # the entry template a till sells while event sales are offline
    active: bool = True
    title: Annotated[str, msgspec.Meta(max_length=200)] = ""
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    color: Color = "#1f6feb"
    vat_rate: VatRate | None = None  # percent; None: the venue's standard rate
    allow_pending_entry: bool = False  # tickets issued unpaid admit too (docs/entry-rules.md)
    # A custom rule as JSON text (docs/entry-rules.md, "Custom rules"); none: no such rule.
    custom_rule: Annotated[str, msgspec.Meta(min_length=2, max_length=8000)] | None = None


class EventEntry(_Table):
    name: Name
    starts_at: datetime  # without a UTC offset: in the venue's time zone
    ends_at: datetime
    doors_open_minutes: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)] = 60
    capacity: Count | Unlimited = "unlimited"
    templates: list[Name] = []


class GateEntry(_Table):
    name: GateName
    zone: ZoneName
    from_zone: ZoneName | None = None
    event: Name | None = None  # a gate for one event only


class MethodEntry(_Table):
    method: PaymentMethod
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] | None = None  # None: the usual
    enabled: bool = True


class PaymentsSection(_Table):
    methods: list[MethodEntry] | None = None  # None: every method, with its usual label
    card_brands: list[BrandName] | None = None
    card_offline_brands: list[BrandName] | None = None
    card_offline_limit: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None


class DeviceEntry(_Table):
    name: DeviceName
    role: Role
    gate: GateName | None = None


class VenueFile(_Table):
    venue: VenueSection
    templates: list[TemplateEntry] = []
    events: list[EventEntry] = []
    gates: list[GateEntry] = []
    payments: PaymentsSection | None = None  # None: the payment set-up stays as it is
    devices: list[DeviceEntry] = []


Action = Literal["create", "update", "unchanged"]


class PlannedChange(msgspec.Struct, kw_only=True, frozen=True):
    """One object of the file and what applying it does: create it, change the named fields
    (each "field: old → new"), or nothing."""

    kind: Literal["venue", "payments", "template", "event", "gate", "device"]
    name: str
    action: Action
    details: tuple[str, ...] = ()


class VenuePlan(msgspec.Struct, kw_only=True, frozen=True):
    changes: tuple[PlannedChange, ...]

    @property
    def changes_anything(self) -> bool:
        return any(c.action != "unchanged" for c in self.changes)


class AppliedVenue(msgspec.Struct, kw_only=True):
    plan: VenuePlan
    tokens: dict[str, str]  # device name -> its token, for the devices just created (shown once)

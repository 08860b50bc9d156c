"""The change feed: what a gate or till learns of the venue, page by page.

Serials travel as strings: they are 63-bit and JavaScript numbers are not."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Protocol

import msgspec

from admission.domain.custom_rules import canonical_json
from admission.domain.model import (
    Direction,
    EventWindow,
    GateInfo,
    TemplateKind,
    TemplateRules,
    TicketFacts,
    ValidityMode,
)

TicketStatus = Literal["valid", "void"]
# "pending": issued unpaid (pay later, invoice, an online order not yet settled): refused at the
# gates, unless its template admits pending tickets, until it is marked paid.
PaymentState = Literal["paid", "pending"]


ChangeKind = Literal[
    "venue", "template", "event", "gate", "key", "ticket", "passage", "notice", "card", "device"
]
# Changes only a venue hub reads (its page, contract/hub.py): a device made, given a token or
# revoked. The gates' and tills' feed leaves them out; their cursor still moves past them.
HUB_ONLY_KINDS: frozenset[str] = frozenset({"device"})


class Change(msgspec.Struct, kw_only=True):
    seq: int
    kind: ChangeKind
    key: str
    data: msgspec.Raw


class ChangesPage(msgspec.Struct, kw_only=True):
    cursor: int
    more: bool
    changes: list[Change]


class VenueData(msgspec.Struct, kw_only=True):
    name: str
    timezone: str
    # How gates hash typed ticket numbers (admission.domain.number_hash): scheme, cost, venue key.
    number_hashing: str | None = None
    # Hours a gate may admit offline after its last contact with the service.
    offline_limit_hours: int = 24
    # What a till prints at the head and foot of its receipts (VenueReceiptIn).
    address: list[str] = []
    vat_number: str | None = None
    vat_rate: float | None = None  # the standard rate in percent, e.g. 25 or 25.5; None: no VAT shown
    # The venue's language (a tag such as "sv" or "de-AT"): devices speak it unless set otherwise.
    language: str | None = None


class TemplateData(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: TemplateKind
    plu: str | None
    price_cents: int
    currency: str
    validity_mode: ValidityMode
    valid_from: datetime | None
    valid_until: datetime | None
    validity_days: int | None
    allowed_zones: list[str]
    allowed_gates: list[str]
    max_entries: int | None
    reentry_allowed: bool
    fallback_template_id: int | None
    active: bool
    title: str
    description: str
    color: str
    # Entry rules (added later: defaults, so a feed written before them still reads).
    min_minutes_between_entries: int | None = None
    max_entries_per_day: int | None = None
    max_entry_days: int | None = None
    entry_minutes_before_start: int | None = None
    entry_minutes_after_end: int | None = None
    exit_required: bool = False
    vat_rate: float | None = None  # percent; None: the venue's standard rate
    allow_pending_entry: bool = False  # tickets not yet paid admit too (added later: a default)
    # The template's custom rule as written (admission.domain.custom_rules); None: none.
    custom_rule: dict[str, Any] | None = None

    def rules(self) -> TemplateRules:
        return TemplateRules(
            template_id=self.id,
            name=self.name,
            kind=self.kind,
            validity_mode=self.validity_mode,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            validity_days=self.validity_days,
            allowed_zones=tuple(self.allowed_zones),
            allowed_gates=tuple(self.allowed_gates),
            max_entries=self.max_entries,
            reentry_allowed=self.reentry_allowed,
            min_minutes_between_entries=self.min_minutes_between_entries,
            max_entries_per_day=self.max_entries_per_day,
            max_entry_days=self.max_entry_days,
            entry_minutes_before_start=self.entry_minutes_before_start,
            entry_minutes_after_end=self.entry_minutes_after_end,
            exit_required=self.exit_required,
            allow_pending_entry=self.allow_pending_entry,
            custom_rule=None if self.custom_rule is None else canonical_json(self.custom_rule),
        )


class EventData(msgspec.Struct, kw_only=True):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    doors_open_minutes: int
    capacity: int | None
    template_ids: list[int]

    def window(self) -> EventWindow:
        return EventWindow(
            event_id=self.id,
            name=self.name,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            doors_open_minutes=self.doors_open_minutes,
        )


class GateData(msgspec.Struct, kw_only=True):
    id: int
    name: str
    zone: str
    from_zone: str | None
    event_id: int | None

    def info(self) -> GateInfo:
        return GateInfo(name=self.name, zone=self.zone, from_zone=self.from_zone, event_id=self.event_id)


class KeyData(msgspec.Struct, kw_only=True):
    key_id: int
    public_key: str  # raw Ed25519 public key, hex
    device: str | None  # None: the service's own issuer key
    revoked: bool
    # A till's key: codes issued from `revoked_at` on are refused, earlier ones stay valid; its
    # certificate (`not_before`..`not_after`) bounds when its codes may have been issued. Absent
    # from releases that did not keep them (a revoked key then vouches for nothing).
    revoked_at: datetime | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None


class TicketData(msgspec.Struct, kw_only=True):
    serial: str
    # Always null on the feed: gates keep `number_hash` only (kept for clients of release 0.1,
    # which require the field).
    number: str | None
    template_id: int
    event_id: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    status: TicketStatus
    void_reason: str | None
    entries_carried: int
    first_used_at: datetime | None
    number_hash: str | None = None
    payment_state: PaymentState = "paid"  # added later: a feed written before it had paid tickets only
    attributes: dict[str, str] = {}  # what custom rules read of the ticket (e.g. age_group)

    def facts(self, template: TemplateData, event: EventData | None) -> TicketFacts:
        return ticket_facts(self, int(self.serial), template.rules(), event.window() if event else None)


class TicketState(Protocol):
    """What the verdict rules read of a ticket, in the feed's form or the service's rows."""

    @property
    def number(self) -> str | None: ...
    @property
    def valid_from(self) -> datetime | None: ...
    @property
    def valid_until(self) -> datetime | None: ...
    @property
    def status(self) -> str: ...
    @property
    def void_reason(self) -> str | None: ...
    @property
    def entries_carried(self) -> int: ...
    @property
    def first_used_at(self) -> datetime | None: ...
    @property
    def payment_state(self) -> str: ...
    @property
    def attributes(self) -> Mapping[str, Any] | None: ...


def ticket_facts(
    ticket: TicketState, serial: int, rules: TemplateRules, event: EventWindow | None
) -> TicketFacts:
    """The facts the verdict rules take, for the service and the gates alike."""
    return TicketFacts(
        serial=serial,
        number=ticket.number,
        template=rules,
        event=event,
        valid_from=ticket.valid_from,
        valid_until=ticket.valid_until,
        void=ticket.status == "void",
        void_reason=ticket.void_reason,
        entries_carried=ticket.entries_carried,
        first_used_at=ticket.first_used_at,
        paid=ticket.payment_state != "pending",
        attributes={str(k): str(v) for k, v in (ticket.attributes or {}).items()},
    )


class PassageData(msgspec.Struct, kw_only=True):
    """An admitted passage; `annulled` passages no longer count."""

    nonce: str
    ticket_serial: str
    gate: str
    zone: str
    from_zone: str | None
    direction: Direction
    scanned_at: datetime
    annulled: bool = False


class NoticeData(msgspec.Struct, kw_only=True):
    id: int
    message: str
    ends_at: datetime | None
    active: bool = True

"""The facts the verdict rules read. Plain immutable structs: the service builds them from its
database, the scanner client from its local snapshot, and both feed them to the same rules."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Verdict(enum.StrEnum):
    ADMIT = "admit"
    REJECT = "reject"


class Reason(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"
    VOID = "void"
    ALREADY_USED = "already_used"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    WRONG_EVENT = "wrong_event"
    EVENT_NOT_TODAY = "event_not_today"
    WRONG_GATE = "wrong_gate"
    ENTRIES_EXHAUSTED = "entries_exhausted"
    REENTRY_NOT_ALLOWED = "reentry_not_allowed"
    TURNED_AWAY = "turned_away"  # a supervisor sent someone away without using the ticket
    OUTSIDE_ENTRY_WINDOW = "outside_entry_window"  # the template's window around the event
    TOO_SOON = "too_soon"  # the minimum time between two entries has not passed
    DAILY_LIMIT = "daily_limit"  # the entries of this venue day are used
    ENTRY_DAYS_USED = "entry_days_used"  # every distinct entry day is used, on other days
    EXIT_REQUIRED = "exit_required"  # inside already: an exit must be scanned first (anti-passback)
    UNPAID = "unpaid"  # issued unpaid (pay later, invoice): refused until it is marked paid
    CUSTOM_RULE = "custom_rule"  # the template's own rule expression (admission.domain.custom_rules)


class TemplateKind(enum.StrEnum):
    ENTRY = "entry"
    EVENT = "event"


class ValidityMode(enum.StrEnum):
    FIXED = "fixed"  # the template's own dates (or none: valid any time)
    DAYS_FROM_SALE = "days_from_sale"
    DAYS_FROM_FIRST_USE = "days_from_first_use"


class TemplateRules(msgspec.Struct, frozen=True, kw_only=True):
    template_id: int
    name: str
    kind: TemplateKind = TemplateKind.ENTRY
    validity_mode: ValidityMode = ValidityMode.FIXED
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    validity_days: int | None = None
    allowed_zones: tuple[str, ...] = ()  # empty: every zone
    allowed_gates: tuple[str, ...] = ()  # empty: every gate
    max_entries: int | None = 1  # None: unlimited
    reentry_allowed: bool = False
    # The entry rules below are counted per zone, like max_entries; None: no such rule.
    min_minutes_between_entries: int | None = None
    max_entries_per_day: int | None = None  # venue days, midnight to midnight
    max_entry_days: int | None = None  # distinct venue days with an entry
    entry_minutes_before_start: int | None = None  # None: the event's doors_open_minutes
    entry_minutes_after_end: int | None = None  # None: entry until the event ends
    exit_required: bool = False  # anti-passback: inside a zone, no entry to it until an exit
    allow_pending_entry: bool = False  # tickets not yet paid admit too (an invoiced group)
    # The template's custom rule as canonical JSON (admission.domain.custom_rules); None: none.
    custom_rule: str | None = None


class EventWindow(msgspec.Struct, frozen=True, kw_only=True):
    event_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    doors_open_minutes: int = 60


class TicketFacts(msgspec.Struct, frozen=True, kw_only=True):
    serial: int
    template: TemplateRules
    event: EventWindow | None = None
    number: str | None = None
    valid_from: datetime | None = None  # the window stamped on the ticket when sold
    valid_until: datetime | None = None
    void: bool = False
    void_reason: str | None = None
    entries_carried: int = 0  # entries used on the ticket this one replaced (reissue)
    first_used_at: datetime | None = None  # first use carried over from a replaced ticket
    paid: bool = True  # False: issued unpaid (pay later, invoice), its payment pending
    attributes: dict[str, str] = {}  # set at issue (e.g. age_group), read by custom rules


class GateInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    zone: str
    from_zone: str | None = None  # entering `zone` through this gate leaves `from_zone`
    event_id: int | None = None  # a gate dedicated to one event rejects other events' tickets


class AdmittedPassage(msgspec.Struct, frozen=True, kw_only=True):
    """An admitted passage of the ticket, as recorded anywhere (this gate or another)."""

    gate_name: str
    zone: str
    from_zone: str | None
    direction: Direction
    scanned_at: datetime


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    verdict: Verdict
    reason: Reason
    message: str
    entries_left: int | None = None  # None: unlimited, or not applicable
    reentry: bool = False

    @property
    def admitted(self) -> bool:
        return self.verdict is Verdict.ADMIT

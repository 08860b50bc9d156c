"""SQLAlchemy models. Scans are immutable facts; ticket state and reports derive from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Auto-increment keys: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores no time zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for bulk statements that need no ORM objects."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Venue(Base):
    __tablename__ = "venue"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    annul_window_seconds: Mapped[int] = mapped_column(default=30)
    # A gate that has not reached the service for longer stops admitting offline (docs/security.md).
    offline_limit_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Counts catalogue changes (templates, events, gates, the venue): workers keep a copy of the
    # catalogue for scanning and reread it when this moves (feed.emit_many bumps it).
    catalog_version: Mapped[int] = mapped_column(default=0, server_default="0")


class IssuerKey(Base):
    __tablename__ = "issuer_keys"
    key_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    public_key: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # A till's key is certified for a while (renewed online): codes it issued outside the window
    # are refused. None on the service's own keys.
    not_before: Mapped[datetime | None]
    not_after: Mapped[datetime | None]


event_templates = Table(
    "event_templates",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("template_id", ForeignKey("templates.id"), primary_key=True),
)


class Template(Base):
    __tablename__ = "templates"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    plu: Mapped[str | None] = mapped_column(String(20), unique=True)
    price_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    validity_mode: Mapped[str] = mapped_column(String(24), default="fixed")
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    validity_days: Mapped[int | None]
    allowed_zones: Mapped[list[Any]] = mapped_column(default=list)
    allowed_gates: Mapped[list[Any]] = mapped_column(default=list)
    max_entries: Mapped[int | None]  # None: unlimited (no default here: an explicit None is meant)
    reentry_allowed: Mapped[bool] = mapped_column(default=False)
    # Entry rules beyond the count (admission.domain.model.TemplateRules); None: no such rule.
    min_minutes_between_entries: Mapped[int | None]
    max_entries_per_day: Mapped[int | None]
    max_entry_days: Mapped[int | None]
    entry_minutes_before_start: Mapped[int | None]  # None: the event's doors_open_minutes
    entry_minutes_after_end: Mapped[int | None]
    exit_required: Mapped[bool] = mapped_column(default=False)
    # The template's custom rule as written (JSON; admission.domain.custom_rules); None: none.
    custom_rule: Mapped[dict[str, Any] | None]
    fallback_template_id: Mapped[int | None] = mapped_column(ForeignKey("templates.id"))
    active: Mapped[bool] = mapped_column(default=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(9), default="#1f6feb")
    # The VAT rate in basis points (2550: 25.5 %) its price includes; None: the venue's standard.
    vat_rate_basis_points: Mapped[int | None]
    # Tickets issued unpaid (payment_state "pending") admit too: an invoiced group let in on trust.
    allow_pending_entry: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    doors_open_minutes: Mapped[int] = mapped_column(default=60)
    capacity: Mapped[int | None]
    sold: Mapped[int] = mapped_column(default=0)  # reserved atomically on issue/sale
    created_at: Mapped[datetime]


class Gate(Base):
    __tablename__ = "gates"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    zone: Mapped[str] = mapped_column(String(100))
    from_zone: Mapped[str | None] = mapped_column(String(100))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the role's prefix (adm_gate_, ...): no secret part
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class DeviceHealth(Base):
    """What a gate or till last reported of itself (one row per device, replaced by each report)."""

    __tablename__ = "device_health"
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    received_at: Mapped[datetime]  # the service's clock: when the device was last heard of
    version: Mapped[str] = mapped_column(String(40))
    queue: Mapped[int]
    last_sync_at: Mapped[datetime | None]
    online: Mapped[bool]
    # device minus service, as the device measured it (a clock reset to 1970 fits too)
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)


class Ticket(Base):
    __tablename__ = "tickets"
    serial: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[str | None] = mapped_column(String(13), unique=True)
    # The number as gates keep it (admission.domain.number_hash): the feed carries only this.
    number_hash: Mapped[str | None] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[int] = mapped_column(ForeignKey("issuer_keys.key_id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    issued_at: Mapped[datetime]
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), default="valid")
    void_reason: Mapped[str | None] = mapped_column(String(200))
    voided_at: Mapped[datetime | None]
    replaced_by: Mapped[int | None] = mapped_column(BigInteger)
    reissued_from: Mapped[int | None] = mapped_column(BigInteger)
    entries_carried: Mapped[int] = mapped_column(default=0)
    first_used_at: Mapped[datetime | None]
    # Attributes set at issue that custom rules read (e.g. {"age_group": "child"}); None: none.
    attributes: Mapped[dict[str, Any] | None]
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    # "pending": issued unpaid (pay later, invoice); "paid" once marked so, by whom and when.
    payment_state: Mapped[str] = mapped_column(String(10), default="paid")
    paid_at: Mapped[datetime | None]
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))


class Scan(Base):
    """One scan: an immutable fact, admitted or not, however it reached the service."""

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_ticket_serial", "ticket_serial"),
        Index("ix_scans_scanned_at", "scanned_at"),
        Index("ix_scans_gate_scanned_at", "gate", "scanned_at"),
        UniqueConstraint("nonce_scope", "nonce"),
    )
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    # A nonce is unique within its scope: the device's id for what a device sent, 0 for nonces
    # the service makes itself (imports, the nightly exit); see services/scanning/scopes.py.
    nonce_scope: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(2000))
    ticket_serial: Mapped[int | None] = mapped_column(BigInteger)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    gate: Mapped[str] = mapped_column(String(100))
    zone: Mapped[str] = mapped_column(String(100))
    from_zone: Mapped[str | None] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(3))
    verdict: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(10))  # online, offline, import, override
    scanned_at: Mapped[datetime]
    received_at: Mapped[datetime]
    local_verdict: Mapped[str | None] = mapped_column(String(6))
    local_reason: Mapped[str | None] = mapped_column(String(24))
    override_reason: Mapped[str | None] = mapped_column(String(300))
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    conflict_reviewed_at: Mapped[datetime | None]
    conflict_note: Mapped[str | None] = mapped_column(String(300))
    annulled_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(Text)  # the JSON answer given, replayed for a repeated nonce


class HubForwarded(Base):
    """At a venue hub (`admission serve --upstream`): a scan of the hub's own that the central
    service has acknowledged, with what it made of it. A scan without a row here is owed
    upstream; the row is written only after the central service answered, and a re-sent
    passage is a duplicate there (the gate's own nonce), so a crash in between doubles nothing."""

    __tablename__ = "hub_forwarded"
    scan_id: Mapped[int] = mapped_column(
        AutoId, ForeignKey("scans.id"), primary_key=True, autoincrement=False
    )
    forwarded_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))  # registered, duplicate, conflict, refused
    detail: Mapped[str | None] = mapped_column(String(300))  # why the central service refused it
    # A scan annulled at the hub after it was forwarded: what the centre made of the annulment
    # (annulled, duplicate, refused with `annul_detail`; `upstream`: annulled at the centre).
    # Annulled at the hub and without a status here: the annulment is owed.
    annul_status: Mapped[str | None] = mapped_column(String(10))
    annul_detail: Mapped[str | None] = mapped_column(String(300))
    annulled_upstream_at: Mapped[datetime | None]


class HubSale(Base):
    """At a venue hub: a till's sale the hub recorded, owed to the central service until
    `forwarded_at` is set. The till's request is kept as it came (the central service checks a
    re-sent nonce against the request's digest, so the hub must send exactly what the till sent);
    the answer columns are written only after the central service answered, so a hub that stops
    in between sends it again and the till's nonce makes it a replay there."""

    __tablename__ = "hub_sales"
    __table_args__ = (Index("ix_hub_sales_owed", "forwarded_at", "sale_id"),)
    sale_id: Mapped[int] = mapped_column(
        AutoId, ForeignKey("sales.id"), primary_key=True, autoincrement=False
    )
    device: Mapped[str] = mapped_column(String(100))  # the till, by its name at the central service
    request: Mapped[str] = mapped_column(Text)  # the till's SaleIn, JSON
    recorded_at: Mapped[datetime]
    forwarded_at: Mapped[datetime | None]  # None: owed upstream
    status: Mapped[str | None] = mapped_column(String(10))  # registered, duplicate, refused
    detail: Mapped[str | None] = mapped_column(String(300))  # why the central service refused it


class HubUpstream(Base):
    """At a venue hub: how far it has read the central service's feed (one row)."""

    __tablename__ = "hub_upstream"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    cursor: Mapped[int] = mapped_column(BigInteger)
    # When the hub first read the central feed to its end: before that it has no venue to serve.
    caught_up_at: Mapped[datetime | None]


class Change(Base):
    """The change feed: an append-only log with a monotonic sequence (see feed.py)."""

    __tablename__ = "changes"
    seq: Mapped[int] = mapped_column(AutoId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(120))
    data: Mapped[str] = mapped_column(Text)


class Sale(Base):
    __tablename__ = "sales"
    # A nonce is the selling device's own: two tills may use the same one.
    __table_args__ = (UniqueConstraint("device_id", "nonce", name="uq_sales_device_id_nonce"),)
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    sold_at: Mapped[datetime]
    received_at: Mapped[datetime]
    offline: Mapped[bool] = mapped_column(default=False)
    payment_method: Mapped[str] = mapped_column(String(30))
    card_brand: Mapped[str | None] = mapped_column(String(30))
    total_cents: Mapped[int]
    # Paid from gift or stored-value cards (their ledgers hold the entries); the rest by payment_method.
    stored_value_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="completed")
    refunded_at: Mapped[datetime | None]
    buyer_email: Mapped[str | None] = mapped_column(String(200))
    lines: Mapped[list[Any]] = mapped_column(default=list)
    # SHA-256 of the request as recorded: a repeated nonce replays the sale only for the same body.
    request_digest: Mapped[str | None] = mapped_column(String(64))


class SaleNonce(Base):
    """Every nonce a device has spent on a sale: recorded (`sale_id`), or cancelled by its till
    before any request with it arrived (`cancelled_at`: a later request with it is refused).

    The sale and the cancellation both claim the nonce here, under one primary key, so of two
    racing for it exactly one commits and the other, run again, finds it."""

    __tablename__ = "sale_nonces"
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100), primary_key=True)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"))
    cancelled_at: Mapped[datetime | None]


class SaleRefundNonce(Base):
    """A refund's nonce, its device's own: the same refund sent again (its answer was lost) is
    answered with the refunded sale; the nonce with another request is refused. Written in the
    refund's transaction, under the sale's row lock."""

    __tablename__ = "sale_refund_nonces"
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100), primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"))
    # SHA-256 of what was asked (the sale, the reason, include_used): a repeat must ask the same.
    request_digest: Mapped[str] = mapped_column(String(64))


class Outage(Base):
    __tablename__ = "outages"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    client_ref: Mapped[str] = mapped_column(String(100), unique=True)  # device-made, for idempotency
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    passages_offline: Mapped[int] = mapped_column(default=0)
    sales_offline: Mapped[int] = mapped_column(default=0)
    registered_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(300))
    # A supervisor let the gate go on admitting past the venue's offline limit (once), and why.
    limit_extended_at: Mapped[datetime | None]
    limit_extension_reason: Mapped[str | None] = mapped_column(String(300))


class LookupMiss(Base):
    """A ticket look-up by a number or code that named no ticket: what the look-up limits count
    (per device and per address) and what managers see of guessing. `tried` is masked: a miss is
    often a real number with a typo, so no full number is kept."""

    __tablename__ = "lookup_misses"
    __table_args__ = (
        Index("ix_lookup_misses_device_id_at", "device_id", "at"),
        Index("ix_lookup_misses_address_at", "address", "at"),
        Index("ix_lookup_misses_at", "at"),
    )
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    at: Mapped[datetime]
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    address: Mapped[str] = mapped_column(String(64))
    tried: Mapped[str] = mapped_column(String(40))


class Notice(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    message: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))


class TerminalIncident(Base):
    """A till's card terminal was down (seed 001): one row per (device, the till's nonce), so the
    till's outbox may send it any number of times and it is registered once."""

    __tablename__ = "terminal_incidents"
    __table_args__ = (UniqueConstraint("device_id", "nonce", name="uq_terminal_incidents_device_id_nonce"),)
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    cause: Mapped[str] = mapped_column(String(150))
    note: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime]


class SaleTender(Base):
    """One tender of a sale (a split payment has several): what it paid of the total, which lines
    sum exactly to the sale's total, and what was handed over (cash: with the change)."""

    __tablename__ = "sale_tenders"
    __table_args__ = (UniqueConstraint("sale_id", "position", name="uq_sale_tenders_sale_id_position"),)
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"), index=True)
    position: Mapped[int]
    method: Mapped[str] = mapped_column(String(30))
    card_brand: Mapped[str | None] = mapped_column(String(30))
    amount_cents: Mapped[int]
    tendered_cents: Mapped[int]


class Invoice(Base):
    """A sale (or its part) paid later by invoice: a group's customer, the reference, the due date,
    and whether it was paid (by whom, when)."""

    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"), unique=True)
    customer: Mapped[str] = mapped_column(String(150))
    reference: Mapped[str] = mapped_column(String(80))
    due_date: Mapped[date]
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="unpaid")
    paid_at: Mapped[datetime | None]
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    note: Mapped[str | None] = mapped_column(String(500))


class TerminalSettlement(Base):
    """A card terminal's end-of-day settlement total for one till and venue day, as entered or
    imported from the acquirer's report; entered again, the newer total replaces it."""

    __tablename__ = "terminal_settlements"
    __table_args__ = (UniqueConstraint("device_id", "day", name="uq_terminal_settlements_device_id_day"),)
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    day: Mapped[date]
    total_cents: Mapped[int]
    entered_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(500))


class CashUp(Base):
    """A till's drawer counted at the end of a venue day: what was counted against what the
    sales say it should hold (with the float it started with), by whom and when."""

    __tablename__ = "cash_ups"
    __table_args__ = (UniqueConstraint("device_id", "day", name="uq_cash_ups_device_id_day"),)
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    day: Mapped[date]
    float_cents: Mapped[int]
    counted_cents: Mapped[int]
    expected_cents: Mapped[int]
    counted_by: Mapped[str] = mapped_column(String(100))
    counted_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(500))


class CardType(Base):
    """A kind of card the venue sells (admission.domain.cards.CardTypeRules)."""

    __tablename__ = "card_types"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # gift | stored_value
    currency: Mapped[str] = mapped_column(String(3))
    validity_days: Mapped[int | None]
    max_balance_cents: Mapped[int | None]
    unload_limit_cents: Mapped[int] = mapped_column(default=0)
    pin_required: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Card(Base):
    """One gift or stored-value card. Its balance is the sum of its ledger (CardEntry); the row is
    what writers lock (`FOR UPDATE`) before they add to that ledger."""

    __tablename__ = "cards"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    serial: Mapped[int] = mapped_column(BigInteger, unique=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    code: Mapped[str] = mapped_column(String(200))
    card_type_id: Mapped[int] = mapped_column(ForeignKey("card_types.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="active")
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    blocked_at: Mapped[datetime | None]
    block_reason: Mapped[str | None] = mapped_column(String(200))
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))


class CardEntry(Base):
    """One line of a card's ledger: appended, never changed (a manager's review of a conflict
    aside). `amount_cents` is signed: credits positive, debits negative."""

    __tablename__ = "card_entries"
    __table_args__ = (
        UniqueConstraint("nonce_scope", "nonce", name="uq_card_entries_nonce_scope_nonce"),
        Index("ix_card_entries_card_id_id", "card_id", "id"),
        Index("ix_card_entries_recorded_at", "recorded_at"),
    )
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # Who wrote it: the device and the token it used (None for the service's own, e.g. the CLI).
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id"))
    # Unique per scope (the device's id; 0 for the service's own): a retried entry registers once.
    nonce_scope: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(String(120))  # a transfer's second entry: the nonce + ">in"
    occurred_at: Mapped[datetime]  # when the till took it (offline: its clock)
    recorded_at: Mapped[datetime]  # when the service wrote it
    offline: Mapped[bool] = mapped_column(default=False)
    tender: Mapped[str | None] = mapped_column(String(30))  # how a load was paid or an unload paid out
    reference: Mapped[str | None] = mapped_column(String(200))  # the sale's nonce or a voucher number
    reason: Mapped[str | None] = mapped_column(String(300))  # adjustments, blocks, transfers
    related_card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))  # a transfer's other card
    # An offline payment that, registered, took the card below zero: kept, flagged, never clamped.
    conflict: Mapped[bool] = mapped_column(default=False)
    conflict_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    conflict_reviewed_at: Mapped[datetime | None]
    # The request as recorded: a repeated nonce replays the entry only for the same operation.
    request_digest: Mapped[str] = mapped_column(String(64))


class Lease(Base):
    """A block of an event's seats lent to one device (a till, or a venue hub) to sell offline.

    Granting reserves the seats on the event (`events.sold`) at once; sales posted within the lease
    count in `used` and reserve nothing more; ending it (returned by its holder, or revoked by a
    manager) gives the unused seats back once, recorded in `returned`."""

    __tablename__ = "leases"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    seats: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(10), default="active")  # active, returned, revoked
    granted_at: Mapped[datetime]
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    returned: Mapped[int] = mapped_column(default=0)  # the seats given back when it ended


class LeaseSale(Base):
    """The seats of one event in one offline sale, as counted: within the holder's lease, or beyond
    it (no lease, too few seats left on it, sold after it expired or after it ended). Seats beyond
    count on `events.sold` as they are (the guests hold tickets) and are a conflict for a manager."""

    __tablename__ = "lease_sales"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"))
    seats: Mapped[int]
    beyond: Mapped[int]  # seats not covered by a lease
    overbooked: Mapped[int]  # seats sold beyond the event's capacity once these were counted
    reason: Mapped[str | None] = mapped_column(String(300))
    recorded_at: Mapped[datetime]

"""SQLAlchemy models. Scans are immutable facts; ticket state and reports derive from them."""

from __future__ import annotations

from datetime import UTC, datetime
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
    fallback_template_id: Mapped[int | None] = mapped_column(ForeignKey("templates.id"))
    active: Mapped[bool] = mapped_column(default=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(9), default="#1f6feb")
    # The VAT rate in basis points (2550: 25.5 %) its price includes; None: the venue's standard.
    vat_rate_basis_points: Mapped[int | None]
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
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)


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


class HubUpstream(Base):
    """At a venue hub: how far it has read the central service's feed (one row)."""

    __tablename__ = "hub_upstream"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    cursor: Mapped[int] = mapped_column(BigInteger)


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

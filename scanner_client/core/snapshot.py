"""The device's copy of the venue's catalogue and tickets, kept current from the change feed.

Templates, events, gates, notices and issuer keys are kept as the feed's own JSON and decoded
into small cached dicts; tickets and the passages other gates admitted are rows, because a gate
looks them up one at a time. A feed page and the cursor that follows it are applied in one
transaction, so a sync cut off anywhere resumes where it stopped.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from admission.contract import (
    CardData,
    Change,
    EventData,
    GateData,
    KeyData,
    NoticeData,
    PassageData,
    TemplateData,
    TicketData,
    VenueData,
)
from admission.domain.certificates import KeyStanding
from admission.domain.number_hash import NumberHasher, NumberHashSpecError
from scanner_client.core.database import StoreBase, epoch, from_epoch, put_config, to_epoch

log = logging.getLogger(__name__)

# A ticket's number is never kept here, only its slow keyed hash (admission.domain.number_hash):
# a stolen gate must not hand over the numbers of everyone with a ticket.
_TICKET_COLUMNS = (
    "serial, number_hash, template_id, event_id, valid_from, valid_until, void, void_reason, "
    "entries_carried, first_used_at, paid, attributes"
)
_UPSERT_TICKET = (
    f"INSERT INTO tickets({_TICKET_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(serial) DO UPDATE SET number_hash = excluded.number_hash, "
    "template_id = excluded.template_id, event_id = excluded.event_id, "
    "valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
    "void = excluded.void, void_reason = excluded.void_reason, "
    "entries_carried = excluded.entries_carried, first_used_at = excluded.first_used_at, "
    "paid = excluded.paid, attributes = excluded.attributes"
)
_NUMBER_INDEX = (
    "CREATE INDEX IF NOT EXISTS tickets_by_number_hash ON tickets(number_hash) WHERE number_hash IS NOT NULL"
)


@dataclass(frozen=True, slots=True)
class StoredTicket:
    """A ticket as the snapshot knows it (the columns the verdict rules need)."""

    serial: int
    number_hash: str | None
    template_id: int
    event_id: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    void: bool
    void_reason: str | None
    entries_carried: int
    first_used_at: datetime | None
    attributes: dict[str, str]
    paid: bool = True  # False: issued unpaid, refused until the feed says it is paid

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> StoredTicket:
        (
            serial,
            number_hash,
            template_id,
            event_id,
            valid_from,
            valid_until,
            void,
            reason,
            carried,
            first,
            paid,
            attributes,
        ) = row
        return cls(
            serial=int(serial),
            number_hash=number_hash,
            template_id=int(template_id),
            event_id=event_id,
            valid_from=from_epoch(valid_from),
            valid_until=from_epoch(valid_until),
            void=bool(void),
            void_reason=reason,
            entries_carried=int(carried),
            first_used_at=from_epoch(first),
            attributes=msgspec.json.decode(attributes, type=dict[str, str]) if attributes else {},
            paid=bool(paid),
        )


def _ticket_row(ticket: TicketData) -> tuple[object, ...]:
    return (
        int(ticket.serial),
        ticket.number_hash,
        ticket.template_id,
        ticket.event_id,
        to_epoch(ticket.valid_from),
        to_epoch(ticket.valid_until),
        ticket.status == "void",
        ticket.void_reason,
        ticket.entries_carried,
        to_epoch(ticket.first_used_at),
        ticket.payment_state != "pending",
        msgspec.json.encode(ticket.attributes).decode() if ticket.attributes else None,
    )


def _apply_reference(db: sqlite3.Connection, change: Change) -> None:
    raw = bytes(change.data)
    if change.kind == "template":
        template = msgspec.json.decode(raw, type=TemplateData)
        db.execute("INSERT OR REPLACE INTO templates(id, data) VALUES (?, ?)", (template.id, raw))
    elif change.kind == "event":
        event = msgspec.json.decode(raw, type=EventData)
        db.execute("INSERT OR REPLACE INTO events(id, data) VALUES (?, ?)", (event.id, raw))
    elif change.kind == "gate":
        gate = msgspec.json.decode(raw, type=GateData)
        db.execute("INSERT OR REPLACE INTO gates(name, data) VALUES (?, ?)", (gate.name, raw))
    elif change.kind == "key":
        key = msgspec.json.decode(raw, type=KeyData)
        db.execute(
            "INSERT OR REPLACE INTO issuer_keys(key_id, public_key, device, revoked, revoked_at, "
            "not_before, not_after) VALUES (?,?,?,?,?,?,?)",
            (
                key.key_id,
                key.public_key,
                key.device,
                key.revoked,
                to_epoch(key.revoked_at),
                to_epoch(key.not_before),
                to_epoch(key.not_after),
            ),
        )
    elif change.kind == "venue":
        venue = msgspec.json.decode(raw, type=VenueData)
        put_config(db, "venue_name", venue.name)
        put_config(db, "timezone", venue.timezone)
        put_config(db, "venue", raw.decode())  # the whole of it: receipts print address and VAT
        if venue.number_hashing:
            put_config(db, "number_hashing", venue.number_hashing)
        put_config(db, "offline_limit_hours", str(venue.offline_limit_hours))
        if venue.language:
            put_config(db, "venue_language", venue.language)
    elif change.kind == "notice":
        notice = msgspec.json.decode(raw, type=NoticeData)
        db.execute("INSERT OR REPLACE INTO notices(id, data) VALUES (?, ?)", (notice.id, raw))
    elif change.kind == "card":
        card = msgspec.json.decode(raw, type=CardData)
        db.execute("INSERT OR REPLACE INTO cards(serial, data) VALUES (?, ?)", (int(card.serial), raw))
    # Unknown kinds are skipped: the feed may grow kinds an older client does not use.


class SnapshotStore(StoreBase):
    """The catalogue and tickets part of the local store."""

    # Bumped whenever templates, events, gates, keys or the venue change, so readers can
    # rebuild their small in-memory caches only when needed.
    generation = 0
    _decoded_templates: dict[int, TemplateData] | None = None
    _decoded_events: dict[int, EventData] | None = None
    _hasher_spec: str | None = None
    _hasher: NumberHasher | None = None

    @property
    def cursor(self) -> int:
        return int(self.get_config("cursor", "0") or 0)

    def follow_feed_of(self, server: str) -> None:
        """Read the feed of `server` from now on. Each server numbers its own feed, so the store
        keeps a cursor per server: the one in use in `cursor`, the others aside. A server never
        read before starts at 0; its changes are upserts, so reading again what another server
        already told costs time, never a double count."""
        following = self.get_config("feed_server")
        if following == server:
            return
        with self.transaction() as db:
            if following is not None:
                put_config(db, f"cursor {following}", str(self.cursor))
                put_config(db, "cursor", self.get_config(f"cursor {server}", "0") or "0")
            put_config(db, "feed_server", server)

    @property
    def last_sync_at(self) -> datetime | None:
        value = self.get_config("last_sync_at")
        return datetime.fromisoformat(value) if value else None

    def mark_synced(self, at: datetime) -> None:
        self.set_config(last_sync_at=at.isoformat())

    def venue(self) -> VenueData | None:
        """The venue as the feed last said it (None before the first sync)."""
        raw = self.get_config("venue")
        try:
            return msgspec.json.decode(raw, type=VenueData) if raw else None
        except msgspec.DecodeError:
            return None

    def timezone(self) -> ZoneInfo:
        """The venue's time zone from the feed (UTC until the first sync or if it is unknown here)."""
        try:
            return ZoneInfo(self.get_config("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def apply_changes(
        self, changes: Sequence[Change], cursor: int, synced_at: datetime | None = None
    ) -> None:
        """Apply one feed page and move the cursor in the same transaction (resumable)."""
        tickets: dict[str, TicketData] = {}
        passages: dict[str, PassageData] = {}
        other: list[Change] = []
        # Later changes of the same key supersede earlier ones; within a page keep the last.
        for change in changes:
            if change.kind == "ticket":
                ticket = msgspec.json.decode(change.data, type=TicketData)
                tickets[ticket.serial] = ticket
            elif change.kind == "passage":
                passage = msgspec.json.decode(change.data, type=PassageData)
                passages[passage.nonce] = passage
            else:
                other.append(change)
        with self.transaction() as db:
            for change in other:
                _apply_reference(db, change)
            if tickets:
                db.executemany(_UPSERT_TICKET, (_ticket_row(t) for t in tickets.values()))
            if passages:
                self._apply_passages(db, passages.values())
            put_config(db, "cursor", str(cursor))
            if synced_at is not None:
                put_config(db, "last_sync_at", synced_at.isoformat())
        if other:
            self.generation += 1
            self._decoded_templates = None
            self._decoded_events = None

    def _apply_passages(self, db: sqlite3.Connection, passages: Iterable[PassageData]) -> None:
        admitted = [p for p in passages if not p.annulled]
        annulled = [p.nonce for p in passages if p.annulled]
        if admitted:
            db.executemany(
                "INSERT OR REPLACE INTO feed_passages(nonce, ticket_serial, gate, zone, from_zone, "
                "direction, scanned_at) VALUES (?,?,?,?,?,?,?)",
                [
                    (p.nonce, int(p.ticket_serial), p.gate, p.zone, p.from_zone, p.direction.value,
                     epoch(p.scanned_at))
                    for p in admitted
                ],
            )  # fmt: skip
        if annulled:
            db.executemany("DELETE FROM feed_passages WHERE nonce = ?", [(n,) for n in annulled])
            self._annulled_in_feed(db, annulled)

    def _annulled_in_feed(self, db: sqlite3.Connection, nonces: Sequence[str]) -> None:
        """A device whose own records the feed can annul reacts here (the gate: its passages)."""

    @contextmanager
    def bulk_load_tickets(self) -> Iterator[SnapshotStore]:
        """A faster path for a large first snapshot: the number index is built once at the end,
        several times faster than maintaining it row by row."""
        self._db.execute("DROP INDEX IF EXISTS tickets_by_number_hash")
        try:
            yield self
        finally:
            self._db.execute(_NUMBER_INDEX)

    def ticket_by_serial(self, serial: int) -> StoredTicket | None:
        row = self._db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE serial = ?", (serial,)
        ).fetchone()
        return None if row is None else StoredTicket.from_row(row)

    def number_hasher(self) -> NumberHasher | None:
        """How the venue hashes ticket numbers (from the feed; None before the first sync)."""
        spec = self.get_config("number_hashing")
        if spec != self._hasher_spec:
            self._hasher_spec = spec
            try:
                self._hasher = NumberHasher.parse(spec) if spec else None
            except NumberHashSpecError:
                self._hasher = None
        return self._hasher

    def ticket_by_number(self, number: str) -> StoredTicket | None:
        """The ticket with this number: one slow hash (a few milliseconds), then an index read."""
        hasher = self.number_hasher()
        if hasher is None:
            return None
        # A voided ticket can share nothing with a live one, but prefer a live row if ever two match.
        row = self._db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE number_hash = ? ORDER BY void LIMIT 1",
            (hasher(number),),
        ).fetchone()
        return None if row is None else StoredTicket.from_row(row)

    def ticket_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM tickets").fetchone()[0])

    def templates(self) -> dict[int, TemplateData]:
        if self._decoded_templates is None:
            self._decoded_templates = {
                int(id_): msgspec.json.decode(data, type=TemplateData)
                for id_, data in self._db.execute("SELECT id, data FROM templates")
            }
        return self._decoded_templates

    def events(self) -> dict[int, EventData]:
        if self._decoded_events is None:
            self._decoded_events = {
                int(id_): msgspec.json.decode(data, type=EventData)
                for id_, data in self._db.execute("SELECT id, data FROM events")
            }
        return self._decoded_events

    def gate(self, name: str) -> GateData | None:
        row = self._db.execute("SELECT data FROM gates WHERE name = ?", (name,)).fetchone()
        return None if row is None else msgspec.json.decode(row[0], type=GateData)

    def gate_names(self) -> list[str]:
        return [str(r[0]) for r in self._db.execute("SELECT name FROM gates ORDER BY name")]

    def issuer_keys(self) -> list[KeyData]:
        rows = self._db.execute(
            "SELECT key_id, public_key, device, revoked, revoked_at, not_before, not_after FROM issuer_keys"
        )
        return [
            KeyData(
                key_id=int(k),
                public_key=str(p),
                device=d,
                revoked=bool(r),
                revoked_at=from_epoch(revoked_at),
                not_before=from_epoch(not_before),
                not_after=from_epoch(not_after),
            )
            for k, p, d, r, revoked_at, not_before, not_after in rows
        ]

    def key_standings(self) -> dict[int, KeyStanding]:
        """Each issuer key's standing, as the rules judge codes by it; a malformed key is left out."""
        standings = {}
        for key in self.issuer_keys():
            try:
                standings[key.key_id] = KeyStanding.parse(
                    key.key_id,
                    key.public_key,
                    till=key.device is not None,
                    not_before=key.not_before,
                    not_after=key.not_after,
                    revoked=key.revoked,
                    revoked_at=key.revoked_at,
                )
            except ValueError:
                log.warning("issuer key %s in the feed is malformed; ignored", key.key_id)
        return standings

    def current_notices(self, now: datetime) -> list[str]:
        """The notices to show now: not ended early, and not past their end."""
        return [n.message for n in self.notices() if n.active and (n.ends_at is None or now < n.ends_at)]

    def notices(self) -> list[NoticeData]:
        return [
            msgspec.json.decode(r[0], type=NoticeData) for r in self._db.execute("SELECT data FROM notices")
        ]

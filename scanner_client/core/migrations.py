"""The local store's schema as ordered migrations: one path for every device, gate or till.

A store records in `schema_version` the migrations it has had; opening it applies the rest in
order, each in its own transaction. Files written before that table existed (the gate's
scanner.sqlite3 and the till's box-office.sqlite3 of release 0.1) count as version 0: the first
migrations only create what is missing, so they bring either kind of file to the same schema and
keep its rows. A migration is never edited once released; a change of schema is a new one.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import msgspec

from scanner_client.core.token_file import token_path, write_token


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    apply: Callable[[sqlite3.Connection], None]


def _statements(*sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(db: sqlite3.Connection) -> None:
        for statement in sql:
            db.execute(statement)

    return apply


_CONFIGURATION = _statements(
    "CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO counters(name, value) VALUES ('passage', 0), ('outage', 0), ('sale', 0)",
)

_SNAPSHOT = _statements(
    "CREATE TABLE IF NOT EXISTS templates (id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gates (name TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS notices (id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS issuer_keys (
        key_id INTEGER PRIMARY KEY, public_key TEXT NOT NULL, device TEXT, revoked INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS tickets (
        serial INTEGER PRIMARY KEY,
        number TEXT,
        template_id INTEGER NOT NULL,
        event_id INTEGER,
        valid_from REAL,
        valid_until REAL,
        void INTEGER NOT NULL,
        void_reason TEXT,
        entries_carried INTEGER NOT NULL,
        first_used_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS tickets_by_number ON tickets(number) WHERE number IS NOT NULL",
    # admitted passages from every gate, as the change feed reports them
    """CREATE TABLE IF NOT EXISTS feed_passages (
        nonce TEXT PRIMARY KEY,
        ticket_serial INTEGER NOT NULL,
        gate TEXT NOT NULL,
        zone TEXT NOT NULL,
        from_zone TEXT,
        direction TEXT NOT NULL,
        scanned_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS feed_passages_by_ticket ON feed_passages(ticket_serial)",
)

# Every scan made at a gate: the durable log and, where upload = 1, the upload queue.
_PASSAGE_LOG = _statements(
    """CREATE TABLE IF NOT EXISTS passages (
        seq INTEGER PRIMARY KEY,
        nonce TEXT NOT NULL UNIQUE,
        code TEXT NOT NULL,
        gate TEXT NOT NULL,
        zone TEXT NOT NULL,
        from_zone TEXT,
        direction TEXT NOT NULL,
        scanned_at REAL NOT NULL,
        source TEXT NOT NULL,              -- pending | online | offline | override | interrupted
        ticket_serial INTEGER,
        template_name TEXT,
        verdict TEXT,                      -- NULL while the online answer is awaited
        reason TEXT,
        message TEXT,
        entries_left INTEGER,
        override_reason TEXT,
        upload INTEGER NOT NULL DEFAULT 0, -- 1: waits in the queue for the batch upload
        server_status TEXT,                -- online | registered | duplicate | conflict | refused
        server_verdict TEXT,
        server_reason TEXT,
        acked_at REAL,
        annulled INTEGER NOT NULL DEFAULT 0,
        annul_state TEXT,                  -- NULL | pending | done | failed
        outage_id INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS passages_queue ON passages(seq) WHERE upload = 1",
    """CREATE INDEX IF NOT EXISTS passages_by_ticket ON passages(ticket_serial)
        WHERE ticket_serial IS NOT NULL""",
    "CREATE INDEX IF NOT EXISTS passages_by_time ON passages(scanned_at)",
    """CREATE INDEX IF NOT EXISTS passages_flagged ON passages(seq)
        WHERE server_status IN ('conflict', 'refused') OR annul_state IN ('pending', 'failed')""",
)

_OUTAGE_LOG = _statements(
    """CREATE TABLE IF NOT EXISTS outages (
        id INTEGER PRIMARY KEY,
        client_ref TEXT NOT NULL UNIQUE,
        started_at REAL NOT NULL,
        ended_at REAL,
        passages_offline INTEGER NOT NULL DEFAULT 0,
        registered_at REAL,
        posted TEXT                        -- NULL | partial (posted while not yet registered) | final
    )""",
)

# The till's sales: the durable log and, in the states of PENDING_STATES, its queue (till/store.py).
_SALES_LOG = _statements(
    """CREATE TABLE IF NOT EXISTS sales (
        seq INTEGER PRIMARY KEY,
        nonce TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        mode TEXT NOT NULL,                -- online | offline
        state TEXT NOT NULL,
        request BLOB NOT NULL,             -- the SaleIn, exactly as (re)posted
        total_cents INTEGER NOT NULL,
        currency TEXT NOT NULL,
        payment_method TEXT NOT NULL,
        card_brand TEXT,
        tendered_cents INTEGER NOT NULL,
        server_sale_id INTEGER,
        response BLOB,                     -- the SaleOut the service answered
        problem TEXT,
        synced_at REAL
    )""",
    """CREATE INDEX IF NOT EXISTS sales_pending ON sales(seq)
        WHERE state IN ('queued', 'unknown', 'attempting')""",
)


def _install_id(db: sqlite3.Connection) -> None:
    """Part of every sale nonce: a re-enrolled PC restarting at sequence 1 must not collide with
    the sales its device name made before (the service would answer the old one)."""
    db.execute("INSERT OR IGNORE INTO config(key, value) VALUES ('install_id', ?)", (uuid.uuid4().hex[:10],))


_OFFLINE_SALES = _statements(
    "ALTER TABLE outages ADD COLUMN sales_offline INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE sales ADD COLUMN outage_id INTEGER",
)


# A passage decided at the gate is committed before its verdict is shown and marked shown after:
# one left unseen by a crash is uploaded as not admitted (gate/store.py, mark_interrupted).
_UNSEEN_PASSAGES = _statements(
    "ALTER TABLE passages ADD COLUMN unseen INTEGER NOT NULL DEFAULT 0",
)


class _OwedOutage(msgspec.Struct):
    client_ref: str
    started_at: datetime
    ended_at: datetime | None = None
    sales_offline: int = 0


def _till_outages_into_the_log(db: sqlite3.Connection) -> None:
    """Release 0.1's till kept its outages in configuration keys: the open one's start, the ended
    ones not yet posted (as JSON) and how many it had posted. They become rows of the outage log,
    numbered on from there so that no report reuses a reference the service already holds."""
    config = dict(db.execute("SELECT key, value FROM config WHERE key LIKE 'outage%'").fetchall())
    owed = msgspec.json.decode(config.get("outages_owed") or "[]", type=list[_OwedOutage])
    numbered = int(config.get("outages_posted") or 0) + len(owed)
    for number, outage in enumerate(owed, numbered - len(owed) + 1):
        db.execute(
            "INSERT OR IGNORE INTO outages(id, client_ref, started_at, ended_at, sales_offline) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                number,
                outage.client_ref,
                outage.started_at.timestamp(),
                outage.ended_at.timestamp() if outage.ended_at else None,
                outage.sales_offline,
            ),
        )
    db.execute("UPDATE counters SET value = max(value, ?) WHERE name = 'outage'", (numbered,))
    if started := config.get("outage_started_at"):
        device = db.execute("SELECT value FROM config WHERE key = 'device'").fetchone()
        install = db.execute("SELECT value FROM config WHERE key = 'install_id'").fetchone()
        prefix = f"{device[0] if device else 'box-office'}-{install[0] if install else ''}"
        number = numbered + 1
        db.execute(
            "INSERT OR IGNORE INTO outages(id, client_ref, started_at) VALUES (?, ?, ?)",
            (number, f"{prefix}-outage-{number}", datetime.fromisoformat(started).timestamp()),
        )
        db.execute("UPDATE counters SET value = max(value, ?) WHERE name = 'outage'", (number,))
    db.execute("DELETE FROM config WHERE key IN ('outage_started_at', 'outages_owed', 'outages_posted')")


def _store_path(db: sqlite3.Connection) -> Path | None:
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def _token_into_its_own_file(db: sqlite3.Connection) -> None:
    """Release 0.1 kept the device token in the configuration table: it moves to a file beside
    the store (token_file.py), and the store is scrubbed of it (secure_delete is on)."""
    row = db.execute("SELECT value FROM config WHERE key = 'token'").fetchone()
    path = _store_path(db)
    if row is None or path is None:
        return
    write_token(token_path(path), str(row[0]))
    db.execute("DELETE FROM config WHERE key = 'token'")


def _numbers_out_of_the_snapshot(db: sqlite3.Connection) -> None:
    """Ticket numbers give way to their keyed hashes (admission.domain.number_hash). The hashes
    come from the service's feed, so the snapshot is read again from its start (cursor 0); the
    numbers are wiped (secure_delete is on), their index dropped."""
    db.execute("DROP INDEX IF EXISTS tickets_by_number")
    db.execute("UPDATE tickets SET number = NULL WHERE number IS NOT NULL")
    db.execute("ALTER TABLE tickets ADD COLUMN number_hash TEXT")
    db.execute(
        "CREATE INDEX IF NOT EXISTS tickets_by_number_hash ON tickets(number_hash) "
        "WHERE number_hash IS NOT NULL"
    )
    db.execute("UPDATE config SET value = '0' WHERE key = 'cursor'")


# A till's key is judged by its certificate and its revocation time (admission.domain.certificates):
# the feed's key changes carry them, and the service sends a fresh change of every till key when it
# is upgraded, so a synced store learns them without reading the feed again.
_KEY_STANDING = _statements(
    "ALTER TABLE issuer_keys ADD COLUMN revoked_at REAL",
    "ALTER TABLE issuer_keys ADD COLUMN not_before REAL",
    "ALTER TABLE issuer_keys ADD COLUMN not_after REAL",
)


# A supervisor's extension of the venue's offline limit, logged with the outage it belongs to.
_OFFLINE_LIMIT_EXTENSIONS = _statements(
    "ALTER TABLE outages ADD COLUMN limit_extended_at REAL",
    "ALTER TABLE outages ADD COLUMN limit_extension_reason TEXT",
)


def _payment_state_of_tickets(db: sqlite3.Connection) -> None:
    """Tickets issued unpaid are refused until marked paid. A store synced before it knew of
    payment states holds every ticket as paid, also one the service issued unpaid since its own
    upgrade: the snapshot is read again from its start (cursor 0) to learn each ticket's state."""
    db.execute("ALTER TABLE tickets ADD COLUMN paid INTEGER NOT NULL DEFAULT 1")
    db.execute("UPDATE config SET value = '0' WHERE key = 'cursor'")


# The till's card-terminal incidents (seed 001): its switch, and the outbox that registers each
# incident at the service under its nonce; `posted` is the version the service acknowledged.
_TERMINAL_INCIDENTS = _statements(
    """CREATE TABLE IF NOT EXISTS terminal_incidents (
        nonce TEXT PRIMARY KEY,
        started_at REAL NOT NULL,
        ended_at REAL,
        cause TEXT NOT NULL,
        note TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        posted INTEGER NOT NULL DEFAULT 0
    )""",
)


def _ticket_attributes(db: sqlite3.Connection) -> None:
    """Tickets' attributes (an age group), which custom rules read. They come from the service's
    feed, so the snapshot is read again from its start (cursor 0): a ticket issued with them
    before this release ran here must not be judged without them."""
    db.execute("ALTER TABLE tickets ADD COLUMN attributes TEXT")
    db.execute("UPDATE config SET value = '0' WHERE key = 'cursor'")


# The feed's cards (kind "card"): a till takes a card offline only if it holds its last balance.
_CARDS = _statements("CREATE TABLE IF NOT EXISTS cards (serial INTEGER PRIMARY KEY, data BLOB NOT NULL)")


# The till's capacity leases as the service last listed them (the service's LeaseOut, as JSON).
_LEASES = _statements("CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")


MIGRATIONS = (
    Migration("device configuration and counters", _CONFIGURATION),
    Migration("catalogue snapshot from the change feed", _SNAPSHOT),
    Migration("gate passage log and upload queue", _PASSAGE_LOG),
    Migration("outage log", _OUTAGE_LOG),
    Migration("till sales log and upload queue", _SALES_LOG),
    Migration("till installation id for sale nonces", _install_id),
    Migration("offline sales counted per outage", _OFFLINE_SALES),
    Migration("till outages from its configuration into the outage log", _till_outages_into_the_log),
    Migration("gate passages whose verdict is not yet shown", _UNSEEN_PASSAGES),
    Migration("device token into a file of its own", _token_into_its_own_file),
    Migration("ticket numbers replaced by their keyed hashes", _numbers_out_of_the_snapshot),
    Migration("issuer keys with their certificate and revocation time", _KEY_STANDING),
    Migration("offline limit extensions in the outage log", _OFFLINE_LIMIT_EXTENSIONS),
    Migration("tickets with their payment state, read again from the feed", _payment_state_of_tickets),
    Migration("till card-terminal incidents", _TERMINAL_INCIDENTS),
    Migration("ticket attributes for custom rules", _ticket_attributes),
    Migration("gift and stored-value cards from the feed", _CARDS),
    Migration("capacity leases held by the till", _LEASES),
)


class NewerStore(RuntimeError):
    """The file was written by a newer release: opening it here could damage it."""


def schema_version(db: sqlite3.Connection) -> int:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    return int(db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> int:
    """Bring the store to the current schema; returns the number of migrations applied."""
    current = schema_version(db)
    if current > len(MIGRATIONS):
        raise NewerStore(
            f"this store has schema version {current}, newer than this client knows "
            f"({len(MIGRATIONS)}): install the newer client again"
        )
    for version, migration in enumerate(MIGRATIONS[current:], current + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            migration.apply(db)
            db.execute(
                "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, datetime('now'))",
                (version, migration.name),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return len(MIGRATIONS) - current

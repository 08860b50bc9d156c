"""Store files written by release 0.1 (the gate's scanner.sqlite3; the till's box-office.sqlite3
beside its snapshot.sqlite3) open with this release and keep every row: their schemas are made
here by SQL exactly as 0.1 made them, filled the way 0.1 filled them, then opened."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from admission.contract import KeyData, SaleIn, SaleLineIn
from admission.domain.codes import now_utc
from admission.domain.model import Decision, Direction, Reason, Verdict
from admission.domain.payments import PaymentIn, PaymentMethod
from scanner_client.core.migrations import MIGRATIONS, NewerStore, schema_version
from scanner_client.gate.settings import Settings, open_store
from scanner_client.till.store import LEGACY_SNAPSHOT_FILE, TILL_FILE, open_till_store
from tests.scanner_client.client_support import DEVICE, VenueSnapshot, enrolled_settings

RELEASE_0_1_GATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS templates (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS gates (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS notices (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS issuer_keys (
    key_id INTEGER PRIMARY KEY, public_key TEXT NOT NULL, device TEXT, revoked INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
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
);
CREATE INDEX IF NOT EXISTS tickets_by_number ON tickets(number) WHERE number IS NOT NULL;
-- admitted passages from every gate, as the change feed reports them
CREATE TABLE IF NOT EXISTS feed_passages (
    nonce TEXT PRIMARY KEY,
    ticket_serial INTEGER NOT NULL,
    gate TEXT NOT NULL,
    zone TEXT NOT NULL,
    from_zone TEXT,
    direction TEXT NOT NULL,
    scanned_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feed_passages_by_ticket ON feed_passages(ticket_serial);
-- every scan made at this device: the durable log and, where upload = 1, the upload queue
CREATE TABLE IF NOT EXISTS passages (
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
);
CREATE INDEX IF NOT EXISTS passages_queue ON passages(seq) WHERE upload = 1;
CREATE INDEX IF NOT EXISTS passages_by_ticket ON passages(ticket_serial) WHERE ticket_serial IS NOT NULL;
CREATE INDEX IF NOT EXISTS passages_by_time ON passages(scanned_at);
CREATE INDEX IF NOT EXISTS passages_flagged ON passages(seq)
    WHERE server_status IN ('conflict', 'refused') OR annul_state IN ('pending', 'failed');
CREATE TABLE IF NOT EXISTS outages (
    id INTEGER PRIMARY KEY,
    client_ref TEXT NOT NULL UNIQUE,
    started_at REAL NOT NULL,
    ended_at REAL,
    passages_offline INTEGER NOT NULL DEFAULT 0,
    registered_at REAL,
    posted TEXT                        -- NULL | partial (posted while not yet registered) | final
);
"""


RELEASE_0_1_TILL_SCHEMA = """
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sales (
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
);
CREATE INDEX IF NOT EXISTS sales_pending ON sales(seq) WHERE state IN ('queued', 'unknown', 'attempting');
"""


def old_file(path: Path, schema: str) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db


def old_config(db: sqlite3.Connection, **values: str) -> None:
    db.executemany("INSERT OR REPLACE INTO config(key, value) VALUES (?, ?)", values.items())


REJECT = Decision(verdict=Verdict.REJECT, reason=Reason.INVALID, message="Not a valid ticket")


def old_snapshot(db: sqlite3.Connection, venue: VenueSnapshot) -> None:
    """The venue's catalogue as 0.1 stored it from the feed."""
    old_config(db, cursor=str(venue.cursor), timezone="Europe/Berlin", venue_name="Test Venue")
    for change in venue.changes:
        data = bytes(change.data)
        if change.kind == "template":
            db.execute("INSERT INTO templates(id, data) VALUES (?, ?)", (int(change.key), data))
        elif change.kind == "gate":
            db.execute("INSERT INTO gates(name, data) VALUES (?, ?)", (change.key, data))
        elif change.kind == "key":
            key = msgspec.json.decode(data, type=KeyData)
            db.execute("INSERT INTO issuer_keys VALUES (?, ?, ?, ?)", (key.key_id, key.public_key, None, 0))


def old_gate_store(folder: Path, venue: VenueSnapshot) -> sqlite3.Connection:
    """A 0.1 gate store: enrolled, synced, one passage uploaded, two queued from an open outage."""
    db = old_file(folder / "scanner.sqlite3", RELEASE_0_1_GATE_SCHEMA)
    db.execute("INSERT INTO counters(name, value) VALUES ('passage', 3), ('outage', 1)")
    settings = enrolled_settings()
    old_config(
        db,
        server_url=settings.server_url,
        token=settings.token,
        device=DEVICE,
        gate="Main",
        pin_hash=settings.pin_hash or "",
    )
    old_snapshot(db, venue)
    start = (now_utc() - timedelta(minutes=5)).timestamp()
    db.execute(
        "INSERT INTO outages(id, client_ref, started_at, passages_offline) VALUES (1, ?, ?, 2)",
        (f"{DEVICE}-outage-1", start),
    )
    for seq, upload, outage in ((1, 0, None), (2, 1, 1), (3, 1, 1)):
        db.execute(
            "INSERT INTO passages(seq, nonce, code, gate, zone, direction, scanned_at, source, verdict, "
            "reason, message, upload, server_status, outage_id) "
            "VALUES (?, ?, ?, 'Main', 'park', 'in', ?, ?, 'admit', 'ok', 'Welcome', ?, ?, ?)",
            (
                seq,
                f"{DEVICE}-{seq}",
                f"code-{seq}",
                start + seq,
                "offline" if upload else "online",
                upload,
                None if upload else "online",
                outage,
            ),
        )  # fmt: skip (one row per line of values)
    return db


def test_a_gate_store_of_release_0_1_opens_migrated_with_its_data(tmp_path: Path) -> None:
    venue = VenueSnapshot()
    old_gate_store(tmp_path, venue).close()

    store = open_store(tmp_path)
    try:
        assert schema_version(store._db) == len(MIGRATIONS)
        settings = Settings.load(store)
        assert (settings.device, settings.gate, settings.token) == (DEVICE, "Main", "t0ken")
        # the snapshot is read again from the start, for the numbers' hashes (the rest is kept)
        assert store.cursor == 0 and store.gate("Main") is not None
        assert {t.name for t in store.templates().values()} >= {"Day ticket", "Season pass"}
        assert [p.nonce for p in store.queued(10)] == [f"{DEVICE}-2", f"{DEVICE}-3"]
        (outage,) = store.outages()
        assert outage == store.current_outage() and outage.passages_offline == 2 and outage.sales_offline == 0
        # Numbering goes on where it stopped: no nonce and no outage reference is made twice.
        gate = store.gate("Main")
        assert gate is not None
        nonce = store.record_local(
            device=DEVICE,
            code="x",
            gate=gate,
            direction=Direction.IN,
            scanned_at=now_utc(),
            decision=REJECT,
            ticket_serial=None,
            template_name=None,
            outage_id=outage.id,
        )
        assert nonce == f"{DEVICE}-4"
        # 0.1's passages were all shown before this release; a new one waits until it is.
        assert [p.nonce for p in store.queued(10)] == [f"{DEVICE}-2", f"{DEVICE}-3"]
        store.mark_shown(nonce)
        assert [p.nonce for p in store.queued(10)][-1] == nonce
        assert store.mark_interrupted() == 0  # nothing of 0.1's is taken for a passage nobody saw
        store.close_outage(now_utc())
        assert store.open_outage(DEVICE, now_utc()).client_ref == f"{DEVICE}-outage-2"
    finally:
        store.close()
    reopened = open_store(tmp_path)  # a second opening applies nothing again
    assert schema_version(reopened._db) == len(MIGRATIONS) and reopened.queued_count() == 3
    reopened.close()


def old_till_files(folder: Path, venue: VenueSnapshot) -> None:
    """A 0.1 till: config and sales in box-office.sqlite3, the catalogue in snapshot.sqlite3,
    an outage owed to the service and one still open."""
    till = old_file(folder / TILL_FILE, RELEASE_0_1_TILL_SCHEMA)
    till.execute("INSERT INTO counters(name, value) VALUES ('sale', 2)")
    started = now_utc() - timedelta(hours=2)
    ended = started + timedelta(minutes=30)
    owed = [
        {
            "client_ref": "till-1-abc-outage-3",
            "started_at": started.isoformat(),
            "ended_at": ended.isoformat(),
            "passages_offline": 0,
            "sales_offline": 1,
            "registered_at": None,
        }
    ]  # fmt: skip (0.1's JSON, as it stored it)
    old_config(
        till,
        server_url="http://127.0.0.1:9",
        token="box-t0ken",
        device="till-1",
        install_id="abc",
        key_id="7",
        outage_started_at=(started + timedelta(hours=1)).isoformat(),
        outages_owed=msgspec.json.encode(owed).decode(),
        outages_posted="2",
    )
    for seq in (1, 2):
        request = SaleIn(
            nonce=f"till-1-abc-{seq}",
            lines=[SaleLineIn(template_id=VenueSnapshot.SINGLE, quantity=1, unit_price_cents=1000)],
            payment=PaymentIn(method=PaymentMethod.CASH, amount_cents=1000),
            offline=True,
        )
        till.execute(
            "INSERT INTO sales(seq, nonce, created_at, mode, state, request, total_cents, currency, "
            "payment_method, tendered_cents) VALUES (?, ?, ?, 'offline', ?, ?, 1000, 'EUR', 'cash', 1000)",
            (
                seq,
                request.nonce,
                started.timestamp() + seq,
                "synced" if seq == 1 else "queued",
                msgspec.json.encode(request),
            ),
        )  # fmt: skip (one row per line of values)
    till.close()
    snapshot = old_file(folder / LEGACY_SNAPSHOT_FILE, RELEASE_0_1_GATE_SCHEMA)
    snapshot.execute("INSERT INTO counters(name, value) VALUES ('passage', 0), ('outage', 0)")
    old_snapshot(snapshot, venue)
    snapshot.close()


def test_a_till_of_release_0_1_opens_as_one_store_with_its_sales_catalogue_and_outages(
    tmp_path: Path,
) -> None:
    venue = VenueSnapshot()
    old_till_files(tmp_path, venue)

    store = open_till_store(tmp_path)
    try:
        assert not (tmp_path / LEGACY_SNAPSHOT_FILE).exists()  # one file per device from now on
        config = (store.get_config("device"), store.token, store.install_id)
        assert config == ("till-1", "box-t0ken", "abc") and store.get_config("token") is None
        # the snapshot is read again from the start, for the numbers' hashes (the rest is kept)
        assert store.cursor == 0 and store.get_config("timezone") == "Europe/Berlin"
        assert {t.name for t in store.templates().values()} >= {"Day ticket", "Season pass"}
        assert [k.key_id for k in store.issuer_keys()] == [venue.key_id]
        assert store.pending_count() == 1 and [s.nonce for s in store.sales(("queued",))] == ["till-1-abc-2"]
        assert store.new_nonce("till-1") == "till-1-abc-3"
        owed, ongoing = store.outages()
        assert owed.client_ref == "till-1-abc-outage-3" and owed.ended_at is not None
        assert owed.sales_offline == 1
        assert ongoing == store.current_outage() and ongoing.client_ref == "till-1-abc-outage-4"
        assert store.get_config("outages_owed") is None and store.get_config("outage_started_at") is None
        assert store.open_outage("till-1-abc", now_utc()).id == ongoing.id
        store.close_outage(now_utc())
        assert store.open_outage("till-1-abc", now_utc()).client_ref == "till-1-abc-outage-5"
    finally:
        store.close()


def test_a_store_from_a_newer_release_is_not_opened(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "scanner.sqlite3", isolation_level=None)
    db.execute(
        "INSERT INTO schema_version VALUES (?, 'from the future', datetime('now'))", (len(MIGRATIONS) + 1,)
    )
    db.close()
    with pytest.raises(NewerStore):
        open_store(tmp_path)

"""The gate's local store: the synced snapshot, the feed cursor, the passage log and queue,
conflicts, the outage log and the device configuration, in one SQLite file.

The client is a single process with one connection, so the stdlib driver is enough. WAL with
synchronous=FULL makes every committed passage survive a power cut: a passage is committed
before its verdict is shown, and it leaves the upload queue only when the server acknowledged
it (the row stays as history, with the server's answer).

Times are stored as UTC epoch seconds (REAL): compact, and cheap to compare in SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from admission.contract import (
    BatchPassage,
    BatchResult,
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
from admission.domain.model import AdmittedPassage, Decision, Direction, Reason, Verdict

SCHEMA_VERSION = 1
INTERRUPTED_MESSAGE = "The gate stopped before showing a verdict: not admitted"

_SCHEMA = """
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


def to_epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _instant(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True, slots=True)
class StoredTicket:
    """A ticket as the snapshot knows it (the columns the verdict rules need)."""

    serial: int
    number: str | None
    template_id: int
    event_id: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    void: bool
    void_reason: str | None
    entries_carried: int
    first_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class LocalPassage:
    """One scan recorded at this device."""

    seq: int
    nonce: str
    code: str
    gate: str
    zone: str
    from_zone: str | None
    direction: Direction
    scanned_at: datetime
    source: str
    ticket_serial: int | None
    template_name: str | None
    verdict: Verdict | None
    reason: Reason | None
    message: str | None
    entries_left: int | None
    override_reason: str | None
    upload: bool
    server_status: str | None
    server_verdict: str | None
    server_reason: str | None
    annulled: bool
    annul_state: str | None
    outage_id: int | None


@dataclass(frozen=True, slots=True)
class Outage:
    id: int
    client_ref: str
    started_at: datetime
    ended_at: datetime | None
    passages_offline: int
    registered_at: datetime | None
    posted: str | None


@dataclass(frozen=True, slots=True)
class GateCounters:
    admitted: int = 0
    rejected: int = 0
    entered: int = 0
    exited: int = 0


_PASSAGE_COLUMNS = (
    "seq, nonce, code, gate, zone, from_zone, direction, scanned_at, source, ticket_serial, "
    "template_name, verdict, reason, message, entries_left, override_reason, upload, server_status, "
    "server_verdict, server_reason, annulled, annul_state, outage_id"
)


def _passage(row: Sequence[Any]) -> LocalPassage:
    (
        seq,
        nonce,
        code,
        gate,
        zone,
        from_zone,
        direction,
        scanned_at,
        source,
        ticket_serial,
        template_name,
        verdict,
        reason,
        message,
        entries_left,
        override_reason,
        upload,
        server_status,
        server_verdict,
        server_reason,
        annulled,
        annul_state,
        outage_id,
    ) = row
    return LocalPassage(
        seq=int(seq),
        nonce=str(nonce),
        code=str(code),
        gate=str(gate),
        zone=str(zone),
        from_zone=from_zone,
        direction=Direction(direction),
        scanned_at=_instant(scanned_at),
        source=str(source),
        ticket_serial=ticket_serial,
        template_name=template_name,
        verdict=Verdict(verdict) if verdict else None,
        reason=Reason(reason) if reason else None,
        message=message,
        entries_left=entries_left,
        override_reason=override_reason,
        upload=bool(upload),
        server_status=server_status,
        server_verdict=server_verdict,
        server_reason=server_reason,
        annulled=bool(annulled),
        annul_state=annul_state,
        outage_id=outage_id,
    )


def _outage(row: Sequence[Any]) -> Outage:
    id_, client_ref, started_at, ended_at, passages_offline, registered_at, posted = row
    return Outage(
        id=int(id_),
        client_ref=str(client_ref),
        started_at=_instant(started_at),
        ended_at=from_epoch(ended_at),
        passages_offline=int(passages_offline),
        registered_at=from_epoch(registered_at),
        posted=posted,
    )


class StoreError(RuntimeError):
    pass


class Store:
    """All local state of one gate device. Not thread-safe: use it from one thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) below.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA cache_size=-16000")  # 16 MB: lookups are index point reads
        self._db.executescript(_SCHEMA)  # idempotent; executescript manages its own transaction
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO counters(name, value) VALUES ('passage', 0), ('outage', 0)"
            )
        # Bumped whenever templates, events, gates, keys or the venue change, so readers can
        # rebuild their small in-memory caches only when needed.
        self.generation = 0
        self._decoded_templates: dict[int, TemplateData] | None = None
        self._decoded_events: dict[int, EventData] | None = None

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------ configuration -------

    def get_config(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_config(self, **values: str | None) -> None:
        with self.transaction() as db:
            for key, value in values.items():
                if value is None:
                    db.execute("DELETE FROM config WHERE key = ?", (key,))
                else:
                    db.execute(
                        "INSERT INTO config(key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )

    @property
    def cursor(self) -> int:
        return int(self.get_config("cursor", "0") or 0)

    # ------------------------------------------------------------ the change feed -----

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
            if other:
                self._apply_reference_data(db, other)
            if tickets:
                db.executemany(
                    "INSERT INTO tickets(serial, number, template_id, event_id, valid_from, valid_until, "
                    "void, void_reason, entries_carried, first_used_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(serial) DO UPDATE SET number = excluded.number, "
                    "template_id = excluded.template_id, event_id = excluded.event_id, "
                    "valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
                    "void = excluded.void, void_reason = excluded.void_reason, "
                    "entries_carried = excluded.entries_carried, first_used_at = excluded.first_used_at",
                    (
                        (
                            int(t.serial),
                            t.number,
                            t.template_id,
                            t.event_id,
                            to_epoch(t.valid_from),
                            to_epoch(t.valid_until),
                            t.status == "void",
                            t.void_reason,
                            t.entries_carried,
                            to_epoch(t.first_used_at),
                        )
                        for t in tickets.values()
                    ),
                )
            if passages:
                self._apply_passages(db, passages.values())
            db.execute(
                "INSERT INTO config(key, value) VALUES ('cursor', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(cursor),),
            )
            if synced_at is not None:
                db.execute(
                    "INSERT INTO config(key, value) VALUES ('last_sync_at', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (synced_at.isoformat(),),
                )

    def mark_synced(self, at: datetime) -> None:
        self.set_config(last_sync_at=at.isoformat())

    @property
    def last_sync_at(self) -> datetime | None:
        value = self.get_config("last_sync_at")
        return datetime.fromisoformat(value) if value else None

    def _apply_reference_data(self, db: sqlite3.Connection, changes: Iterable[Change]) -> None:
        for change in changes:
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
                    "INSERT OR REPLACE INTO issuer_keys(key_id, public_key, device, revoked) "
                    "VALUES (?,?,?,?)",
                    (key.key_id, key.public_key, key.device, key.revoked),
                )
            elif change.kind == "venue":
                venue = msgspec.json.decode(raw, type=VenueData)
                for key_name, value in (("venue_name", venue.name), ("timezone", venue.timezone)):
                    db.execute(
                        "INSERT INTO config(key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key_name, value),
                    )
            elif change.kind == "notice":
                notice = msgspec.json.decode(raw, type=NoticeData)
                db.execute("INSERT OR REPLACE INTO notices(id, data) VALUES (?, ?)", (notice.id, raw))
            # Unknown kinds are skipped: the feed may grow kinds an older client does not use.
        self.generation += 1
        self._decoded_templates = None
        self._decoded_events = None

    def _apply_passages(self, db: sqlite3.Connection, passages: Iterable[PassageData]) -> None:
        admitted: list[PassageData] = []
        annulled: list[PassageData] = []
        for p in passages:
            (annulled if p.annulled else admitted).append(p)
        if admitted:
            db.executemany(
                "INSERT OR REPLACE INTO feed_passages(nonce, ticket_serial, gate, zone, from_zone, "
                "direction, scanned_at) VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        p.nonce,
                        int(p.ticket_serial),
                        p.gate,
                        p.zone,
                        p.from_zone,
                        p.direction.value,
                        _epoch(p.scanned_at),
                    )
                    for p in admitted
                ],
            )
        if annulled:
            nonces = [(p.nonce,) for p in annulled]
            db.executemany("DELETE FROM feed_passages WHERE nonce = ?", nonces)
            # One of ours annulled elsewhere (or by our own request): it no longer counts here either.
            db.executemany(
                "UPDATE passages SET annulled = 1, annul_state = CASE WHEN annul_state IS NULL "
                "THEN NULL ELSE 'done' END WHERE nonce = ?",
                nonces,
            )

    def bulk_load_tickets(self) -> BulkTicketLoad:
        """A faster path for the first snapshot: drop the number index while loading."""
        return BulkTicketLoad(self)

    # ------------------------------------------------------------ snapshot reads ------

    def ticket_by_serial(self, serial: int) -> StoredTicket | None:
        row = self._db.execute(
            "SELECT serial, number, template_id, event_id, valid_from, valid_until, void, void_reason, "
            "entries_carried, first_used_at FROM tickets WHERE serial = ?",
            (serial,),
        ).fetchone()
        return None if row is None else self._ticket(row)

    def ticket_by_number(self, number: str) -> StoredTicket | None:
        # A voided ticket can share nothing with a live one, but prefer a live row if ever two match.
        row = self._db.execute(
            "SELECT serial, number, template_id, event_id, valid_from, valid_until, void, void_reason, "
            "entries_carried, first_used_at FROM tickets WHERE number = ? ORDER BY void LIMIT 1",
            (number,),
        ).fetchone()
        return None if row is None else self._ticket(row)

    @staticmethod
    def _ticket(row: Sequence[Any]) -> StoredTicket:
        (
            serial,
            number,
            template_id,
            event_id,
            valid_from,
            valid_until,
            void,
            void_reason,
            entries_carried,
            first_used_at,
        ) = row
        return StoredTicket(
            serial=int(serial),
            number=number,
            template_id=int(template_id),
            event_id=event_id,
            valid_from=from_epoch(valid_from),
            valid_until=from_epoch(valid_until),
            void=bool(void),
            void_reason=void_reason,
            entries_carried=int(entries_carried),
            first_used_at=from_epoch(first_used_at),
        )

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
        return [
            KeyData(key_id=int(k), public_key=str(p), device=d, revoked=bool(r))
            for k, p, d, r in self._db.execute("SELECT key_id, public_key, device, revoked FROM issuer_keys")
        ]

    def notices(self) -> list[NoticeData]:
        return [
            msgspec.json.decode(r[0], type=NoticeData) for r in self._db.execute("SELECT data FROM notices")
        ]

    def admitted_passages(self, serial: int) -> list[AdmittedPassage]:
        """Every admitted, unannulled passage of a ticket known here: from the feed and from this
        device's own log (which holds offline passages the server has not seen yet)."""
        found: dict[str, AdmittedPassage] = {}
        for nonce, gate, zone, from_zone, direction, scanned_at in self._db.execute(
            "SELECT nonce, gate, zone, from_zone, direction, scanned_at FROM feed_passages "
            "WHERE ticket_serial = ? UNION ALL "
            "SELECT nonce, gate, zone, from_zone, direction, scanned_at FROM passages "
            "WHERE ticket_serial = ? AND verdict = 'admit' AND annulled = 0",
            (serial, serial),
        ):
            found[nonce] = AdmittedPassage(
                gate_name=gate,
                zone=zone,
                from_zone=from_zone,
                direction=Direction(direction),
                scanned_at=_instant(scanned_at),
            )
        return list(found.values())

    # ------------------------------------------------------------ the passage log -----

    def begin_passage(
        self, *, device: str, code: str, gate: GateData, direction: Direction, scanned_at: datetime
    ) -> str:
        """Reserve a nonce and record that a scan is being asked online; returns the nonce.

        Committed before the request leaves, so a nonce is never reused after a crash."""
        with self.transaction() as db:
            seq = self._next(db, "passage")
            nonce = f"{device}-{seq}"
            db.execute(
                "INSERT INTO passages(seq, nonce, code, gate, zone, from_zone, direction, scanned_at, "
                "source) VALUES (?,?,?,?,?,?,?,?, 'pending')",
                (seq, nonce, code, gate.name, gate.zone, gate.from_zone, direction.value, _epoch(scanned_at)),
            )
        return nonce

    def complete_online(
        self,
        nonce: str,
        decision: Decision,
        *,
        ticket_serial: int | None,
        template_name: str | None,
        scanned_at: datetime,
    ) -> None:
        """The server decided and registered this scan."""
        with self.transaction() as db:
            db.execute(
                "UPDATE passages SET source = 'online', verdict = ?, reason = ?, message = ?, "
                "entries_left = ?, ticket_serial = ?, template_name = ?, scanned_at = ?, upload = 0, "
                "server_status = 'online', "
                "server_verdict = ?, server_reason = ?, acked_at = ? WHERE nonce = ?",
                (
                    decision.verdict.value,
                    decision.reason.value,
                    decision.message,
                    decision.entries_left,
                    ticket_serial,
                    template_name,
                    _epoch(scanned_at),
                    decision.verdict.value,
                    decision.reason.value,
                    _epoch(datetime.now(UTC)),
                    nonce,
                ),
            )

    def complete_offline(
        self,
        nonce: str,
        decision: Decision,
        *,
        ticket_serial: int | None,
        template_name: str | None,
        outage_id: int | None,
    ) -> None:
        """The server did not answer: this scan was decided here and waits for the upload."""
        with self.transaction() as db:
            db.execute(
                "UPDATE passages SET source = 'offline', verdict = ?, reason = ?, message = ?, "
                "entries_left = ?, ticket_serial = ?, template_name = ?, upload = 1, outage_id = ? "
                "WHERE nonce = ?",
                (
                    decision.verdict.value,
                    decision.reason.value,
                    decision.message,
                    decision.entries_left,
                    ticket_serial,
                    template_name,
                    outage_id,
                    nonce,
                ),
            )
            if outage_id is not None:
                db.execute(
                    "UPDATE outages SET passages_offline = passages_offline + 1 WHERE id = ?", (outage_id,)
                )

    def record_local(
        self,
        *,
        device: str,
        code: str,
        gate: GateData,
        direction: Direction,
        scanned_at: datetime,
        decision: Decision,
        ticket_serial: int | None,
        template_name: str | None,
        source: str = "offline",
        override_reason: str | None = None,
        outage_id: int | None = None,
    ) -> str:
        """Record a scan decided here (offline, or a supervisor's override) in one commit."""
        with self.transaction() as db:
            seq = self._next(db, "passage")
            nonce = f"{device}-{seq}"
            db.execute(
                "INSERT INTO passages(seq, nonce, code, gate, zone, from_zone, direction, scanned_at, "
                "source, ticket_serial, template_name, verdict, reason, message, entries_left, "
                "override_reason, upload, outage_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)",
                (
                    seq,
                    nonce,
                    code,
                    gate.name,
                    gate.zone,
                    gate.from_zone,
                    direction.value,
                    _epoch(scanned_at),
                    source,
                    ticket_serial,
                    template_name,
                    decision.verdict.value,
                    decision.reason.value,
                    decision.message,
                    decision.entries_left,
                    override_reason,
                    outage_id,
                ),
            )
            if outage_id is not None:
                db.execute(
                    "UPDATE outages SET passages_offline = passages_offline + 1 WHERE id = ?", (outage_id,)
                )
        return nonce

    def mark_interrupted(self) -> int:
        """Scans whose online answer never came back before a crash: nobody saw a verdict, so
        nobody passed. They are uploaded as such: if the server did admit one, it annuls that
        admission, and the ticket is not used up by a scan that let nobody in."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE passages SET source = 'interrupted', verdict = ?, reason = ?, message = ?, "
                "upload = 1 WHERE source = 'pending'",
                (Verdict.REJECT.value, Reason.TURNED_AWAY.value, INTERRUPTED_MESSAGE),
            ).rowcount

    @staticmethod
    def _next(db: sqlite3.Connection, counter: str) -> int:
        row = db.execute(
            "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", (counter,)
        ).fetchone()
        return int(row[0])

    def passage(self, nonce: str) -> LocalPassage | None:
        row = self._db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE nonce = ?", (nonce,)
        ).fetchone()
        return None if row is None else _passage(row)

    def passages(self, limit: int = 1000) -> list[LocalPassage]:
        rows = self._db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_passage(r) for r in rows]

    def queued(self, limit: int) -> list[LocalPassage]:
        rows = self._db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE upload = 1 ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [_passage(r) for r in rows]

    def queued_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM passages WHERE upload = 1").fetchone()[0])

    def flagged(self, limit: int = 1000) -> list[LocalPassage]:
        """Conflicts, refused uploads and annulments still owed to the server."""
        rows = self._db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE server_status IN ('conflict', 'refused') "
            "OR annul_state IN ('pending', 'failed') ORDER BY seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [_passage(r) for r in rows]

    def acknowledge(self, results: Sequence[BatchResult], at: datetime) -> None:
        """The server's answers to a batch: these passages leave the queue."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE passages SET upload = 0, server_status = ?, server_verdict = ?, server_reason = ?, "
                "acked_at = ? WHERE nonce = ? AND upload = 1",
                [(r.status, r.verdict.value, r.reason.value, _epoch(at), r.nonce) for r in results],
            )
            self._settle_outages(db, at)

    def refuse(self, nonce: str, problem: str, at: datetime) -> None:
        """The server refused this passage as malformed: keep it, flagged, out of the queue (a
        passage that can never be accepted must not block every later one)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE passages SET upload = 0, server_status = 'refused', server_reason = ?, acked_at = ? "
                "WHERE nonce = ?",
                (problem[:300], _epoch(at), nonce),
            )
            self._settle_outages(db, at)

    def request_annul(self, nonce: str) -> None:
        """The person did not pass (turned away after an ADMIT): the passage stops counting here at
        once, and the annulment is owed to the server."""
        with self.transaction() as db:
            db.execute("UPDATE passages SET annulled = 1, annul_state = 'pending' WHERE nonce = ?", (nonce,))
            db.execute("DELETE FROM feed_passages WHERE nonce = ?", (nonce,))

    def annulments_due(self) -> list[LocalPassage]:
        """Annulments the server can take now: the passage itself has been registered."""
        rows = self._db.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE annul_state = 'pending' AND upload = 0 "
            "AND source != 'interrupted' ORDER BY seq"
        ).fetchall()
        return [_passage(r) for r in rows]

    def set_annul_state(self, nonce: str, state: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE passages SET annul_state = ? WHERE nonce = ?", (state, nonce))

    def counters(self, gate: str, since: datetime) -> GateCounters:
        admitted = rejected = entered = exited = 0
        for verdict, direction, annulled, count in self._db.execute(
            "SELECT verdict, direction, annulled, count(*) FROM passages "
            "WHERE scanned_at >= ? AND gate = ? AND verdict IS NOT NULL GROUP BY 1, 2, 3",
            (_epoch(since), gate),
        ):
            if verdict == Verdict.ADMIT.value and not annulled:
                admitted += count
                if direction == Direction.IN.value:
                    entered += count
                else:
                    exited += count
            else:
                rejected += count
        return GateCounters(admitted=admitted, rejected=rejected, entered=entered, exited=exited)

    # ------------------------------------------------------------ outages -------------

    def open_outage(self, device: str, at: datetime) -> Outage:
        """The current offline period, started now unless one is still open (e.g. across a restart)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, client_ref, started_at, ended_at, passages_offline, registered_at, posted "
                "FROM outages WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                number = self._next(db, "outage")
                client_ref = f"{device}-outage-{number}"
                row = db.execute(
                    "INSERT INTO outages(id, client_ref, started_at) VALUES (?, ?, ?) "
                    "RETURNING id, client_ref, started_at, ended_at, passages_offline, registered_at, posted",
                    (number, client_ref, _epoch(at)),
                ).fetchone()
        return _outage(row)

    def current_outage(self) -> Outage | None:
        row = self._db.execute(
            "SELECT id, client_ref, started_at, ended_at, passages_offline, registered_at, posted "
            "FROM outages WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _outage(row)

    def close_outage(self, at: datetime) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outages SET ended_at = ? WHERE ended_at IS NULL", (_epoch(at),))
            self._settle_outages(db, at)

    @staticmethod
    def _settle_outages(db: sqlite3.Connection, at: datetime) -> None:
        """An ended outage is registered once none of its passages waits in the queue."""
        db.execute(
            "UPDATE outages SET registered_at = ? WHERE ended_at IS NOT NULL AND registered_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM passages WHERE passages.outage_id = outages.id AND upload = 1)",
            (_epoch(at),),
        )

    def outages(self) -> list[Outage]:
        return [
            _outage(r)
            for r in self._db.execute(
                "SELECT id, client_ref, started_at, ended_at, passages_offline, registered_at, posted "
                "FROM outages ORDER BY id"
            )
        ]

    def outages_to_post(self) -> list[Outage]:
        """Ended outages the server has not heard of in their final form."""
        return [o for o in self.outages() if o.ended_at is not None and o.posted != "final"]

    def mark_outage_posted(self, outage_id: int, final: bool) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outages SET posted = ? WHERE id = ?", ("final" if final else "partial", outage_id)
            )


class BulkTicketLoad:
    """Context for loading a large first snapshot: index built once at the end, which is several
    times faster than maintaining it row by row."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Store:
        self.store._db.execute("DROP INDEX IF EXISTS tickets_by_number")
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store._db.execute(
            "CREATE INDEX IF NOT EXISTS tickets_by_number ON tickets(number) WHERE number IS NOT NULL"
        )


def batch_passage(p: LocalPassage) -> BatchPassage:
    if p.verdict is None or p.reason is None:
        raise StoreError(f"passage {p.nonce} has no verdict yet and cannot be uploaded")
    return BatchPassage(
        nonce=p.nonce,
        code=p.code,
        gate=p.gate,
        direction=p.direction,
        scanned_at=p.scanned_at,
        local_verdict=p.verdict,
        local_reason=p.reason,
        override_reason=p.override_reason,
    )

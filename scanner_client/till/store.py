"""The till's own local store: its configuration and its sales log / upload queue, in a SQLite
file of its own (the synced catalogue lives in the gate client's snapshot store, see till.py).

A sale is committed here before its request leaves (online) or before its tickets are printed
(offline), under a nonce made on the device, so a crash at any moment neither loses a sale nor
posts it twice: the queue is re-posted with the same nonces until the service acknowledges.

Sale states:
  attempting  online request sent, no answer yet (a crash here becomes `unknown` on restart)
  unknown     online request got no answer: checked by nonce once the server is back
  queued      sold offline: waits to be posted
  synced      the service holds it (server_sale_id, response)
  declined    online sale the service refused (sold out, bad input): nothing was sold
  refused     offline sale the service refused on upload: kept, flagged for a manager
  not_sold    an `unknown` attempt the service never received
  voided      an `unknown` attempt the service did receive: refunded, as nobody got its tickets
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from admission.contract import SaleIn, SaleOut

_SCHEMA = """
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

PENDING_STATES = ("queued", "unknown", "attempting")


@dataclass(frozen=True, slots=True)
class LocalSale:
    seq: int
    nonce: str
    created_at: datetime
    mode: str
    state: str
    request: SaleIn
    total_cents: int
    currency: str
    payment_method: str
    card_brand: str | None
    tendered_cents: int
    server_sale_id: int | None
    response: SaleOut | None
    problem: str | None
    synced_at: datetime | None


_COLUMNS = (
    "seq, nonce, created_at, mode, state, request, total_cents, currency, payment_method, card_brand, "
    "tendered_cents, server_sale_id, response, problem, synced_at"
)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _moment(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _sale(row: tuple[object, ...]) -> LocalSale:
    (seq, nonce, created, mode, state, request, total, currency, method, brand, tendered, sale_id, response,
     problem, synced) = row  # fmt: skip
    assert isinstance(request, bytes) and isinstance(created, float)
    return LocalSale(
        seq=int(str(seq)),
        nonce=str(nonce),
        created_at=datetime.fromtimestamp(created, UTC),
        mode=str(mode),
        state=str(state),
        request=msgspec.json.decode(request, type=SaleIn),
        total_cents=int(str(total)),
        currency=str(currency),
        payment_method=str(method),
        card_brand=None if brand is None else str(brand),
        tendered_cents=int(str(tendered)),
        server_sale_id=None if sale_id is None else int(str(sale_id)),
        response=msgspec.json.decode(response, type=SaleOut) if isinstance(response, bytes) else None,
        problem=None if problem is None else str(problem),
        synced_at=_moment(synced if isinstance(synced, float) else None),
    )


class TillStore:
    """Configuration and sales of one box-office device. Use it from one thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a recorded sale survives a power cut
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO counters(name, value) VALUES ('sale', 0)")
            # Part of every nonce: a re-enrolled PC restarting at sequence 1 must not collide
            # with the sales this device name made before (the service would answer the old one).
            db.execute(
                "INSERT OR IGNORE INTO config(key, value) VALUES ('install_id', ?)", (uuid.uuid4().hex[:10],)
            )
        self.path.chmod(0o600)  # it holds the device token

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

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def put(self, **values: str | None) -> None:
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

    # ------------------------------------------------------------ sales ---------------

    def new_nonce(self, device: str) -> str:
        """A nonce never used before on this device, committed before it is used."""
        with self.transaction() as db:
            seq = int(
                db.execute(
                    "UPDATE counters SET value = value + 1 WHERE name = 'sale' RETURNING value"
                ).fetchone()[0]
            )
        return f"{device}-{self.get('install_id')}-{seq}"

    def record(self, request: SaleIn, *, mode: str, state: str, currency: str, total_cents: int) -> LocalSale:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sales(nonce, created_at, mode, state, request, total_cents, currency, "
                "payment_method, card_brand, tendered_cents) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    request.nonce,
                    _epoch(datetime.now(UTC)),
                    mode,
                    state,
                    msgspec.json.encode(request),
                    total_cents,
                    currency,
                    request.payment.method.value,
                    request.payment.card_brand,
                    request.payment.amount_cents,
                ),
            )
        sale = self.sale(request.nonce)
        assert sale is not None
        return sale

    def set_state(self, nonce: str, state: str, problem: str | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE sales SET state = ?, problem = ? WHERE nonce = ?", (state, problem, nonce))

    def acknowledge(self, nonce: str, response: SaleOut) -> None:
        """The service holds this sale: it leaves the queue, with the service's answer kept."""
        with self.transaction() as db:
            db.execute(
                "UPDATE sales SET state = 'synced', server_sale_id = ?, response = ?, problem = NULL, "
                "synced_at = ? WHERE nonce = ?",
                (response.id, msgspec.json.encode(response), _epoch(datetime.now(UTC)), nonce),
            )

    def mark_interrupted(self) -> int:
        """Online attempts whose answer never came before a crash: their fate is checked later."""
        with self.transaction() as db:
            return db.execute("UPDATE sales SET state = 'unknown' WHERE state = 'attempting'").rowcount

    def sale(self, nonce: str) -> LocalSale | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM sales WHERE nonce = ?", (nonce,)).fetchone()
        return None if row is None else _sale(row)

    def sales(self, states: tuple[str, ...] | None = None, limit: int = 500) -> list[LocalSale]:
        if states is None:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM sales ORDER BY seq DESC LIMIT ?", (limit,))
        else:
            marks = ",".join("?" * len(states))
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM sales WHERE state IN ({marks}) ORDER BY seq LIMIT ?",
                (*states, limit),
            )
        return [_sale(r) for r in rows.fetchall()]

    def pending_count(self) -> int:
        marks = ",".join("?" * len(PENDING_STATES))
        return int(
            self._db.execute(
                f"SELECT count(*) FROM sales WHERE state IN ({marks})", PENDING_STATES
            ).fetchone()[0]
        )

    def stored_card_payments(self) -> int:
        """Card payments taken offline and not yet forwarded: the store-and-forward slots in use."""
        row = self._db.execute(
            "SELECT count(*) FROM sales "
            "WHERE mode = 'offline' AND payment_method = 'card' AND state = 'queued'"
        ).fetchone()
        return int(row[0])

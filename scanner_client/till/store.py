"""The till's local store: the device's one store (core/store.py) with its sales log and queue.

A sale is committed here before its request leaves (online) or before its tickets are printed
(offline, or through a venue hub: mode `hub`), under a nonce made on the device, so a crash at
any moment neither loses a sale nor posts it twice: the queue is re-posted with the same nonces
until the service acknowledges.

Sale states:
  attempting  online request sent, no answer yet (a crash here becomes `unknown` on restart)
  unknown     online request got no answer: cancelled by nonce once the server is back
  queued      sold offline (or through a venue hub that did not answer): waits to be posted
  synced      the service holds it (server_sale_id, response), or the venue hub does
  declined    online sale (or one through a hub) the server refused: nothing was sold
  refused     offline sale the service refused on upload: kept, flagged for a manager
  not_sold    an `unknown` attempt the service never recorded and has cancelled (a late
              request with its nonce is refused), or one that never left the till
  voided      an `unknown` attempt the service did receive: refunded, as nobody got its tickets
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from admission.contract import SaleIn, SaleOut, TillCertificate
from admission.domain.payments import PaymentMethod
from scanner_client.core.database import epoch, from_epoch, instant
from scanner_client.core.paths import private_folder
from scanner_client.core.store import LocalStore
from scanner_client.till.leases import LeaseStore
from scanner_client.till.terminal import TerminalIncidentStore

TILL_FILE = "box-office.sqlite3"
# Release 0.1 kept the till's catalogue in a second file; it is merged into TILL_FILE on opening.
LEGACY_SNAPSHOT_FILE = "snapshot.sqlite3"
PENDING_STATES = ("queued", "unknown", "attempting")
_LEGACY_TICKET = (
    "serial, template_id, event_id, valid_from, valid_until, void, void_reason, "
    "entries_carried, first_used_at"
)
_LEGACY_KEY = "key_id, public_key, device, revoked"
_SNAPSHOT_TABLES = ("templates", "events", "gates", "notices", "issuer_keys", "tickets", "feed_passages")
_SNAPSHOT_CONFIG = ("cursor", "last_sync_at", "venue_name", "timezone")

_COLUMNS = (
    "seq, nonce, created_at, mode, state, request, total_cents, currency, payment_method, card_brand, "
    "tendered_cents, server_sale_id, response, problem, synced_at"
)


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

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> LocalSale:
        (seq, nonce, created, mode, state, request, total, currency, method, brand, tendered, sale_id,
         response, problem, synced) = row  # fmt: skip
        assert isinstance(request, bytes) and isinstance(created, float)
        return cls(
            seq=int(str(seq)),
            nonce=str(nonce),
            created_at=instant(created),
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
            synced_at=from_epoch(synced if isinstance(synced, float) else None),
        )


class TillStore(LocalStore, TerminalIncidentStore, LeaseStore):
    """Configuration, catalogue, outages and sales of one box-office device. Use it from one thread."""

    @property
    def install_id(self) -> str:
        return self.get_config("install_id") or ""

    @property
    def certificate(self) -> TillCertificate | None:
        """The newest certificate of this till's key the service gave it (signature checked then)."""
        raw = self.get_config("certificate")
        if raw is None:
            return None
        try:
            return msgspec.json.decode(raw, type=TillCertificate)
        except msgspec.DecodeError:
            return None

    @property
    def certificate_received_at(self) -> datetime | None:
        raw = self.get_config("certificate_received_at")
        return None if raw is None else datetime.fromisoformat(raw)

    def keep_certificate(self, certificate: TillCertificate, received_at: datetime) -> None:
        self.set_config(
            certificate=msgspec.json.encode(certificate).decode(),
            certificate_received_at=received_at.isoformat(),
        )

    def new_nonce(self, device: str) -> str:
        """A nonce never used before on this device, committed before it is used."""
        with self.transaction() as db:
            seq = self.next_number(db, "sale")
        return f"{device}-{self.install_id}-{seq}"

    def record(
        self,
        request: SaleIn,
        *,
        mode: str,
        state: str,
        currency: str,
        total_cents: int,
        outage_id: int | None = None,
    ) -> LocalSale:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sales(nonce, created_at, mode, state, request, total_cents, currency, "
                "payment_method, card_brand, tendered_cents, outage_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    request.nonce,
                    epoch(datetime.now(UTC)),
                    mode,
                    state,
                    msgspec.json.encode(request),
                    total_cents,
                    currency,
                    request.payment.method.value,
                    request.payment.card_brand,
                    request.payment.amount_cents,
                    outage_id,
                ),
            )
            self._count_offline(db, outage_id, "sales_offline")
        sale = self.sale(request.nonce)
        assert sale is not None
        return sale

    def set_state(self, nonce: str, state: str, problem: str | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE sales SET state = ?, problem = ? WHERE nonce = ?", (state, problem, nonce))
            self._settle_outages(db, datetime.now(UTC))

    def acknowledge(self, nonce: str, response: SaleOut) -> None:
        """The service holds this sale: it leaves the queue, with the service's answer kept."""
        now = datetime.now(UTC)
        with self.transaction() as db:
            db.execute(
                "UPDATE sales SET state = 'synced', server_sale_id = ?, response = ?, problem = NULL, "
                "synced_at = ? WHERE nonce = ?",
                (response.id, msgspec.json.encode(response), epoch(now), nonce),
            )
            self._settle_outages(db, now)

    def mark_interrupted(self) -> int:
        """Online attempts whose answer never came before a crash: their fate is checked later."""
        with self.transaction() as db:
            return db.execute("UPDATE sales SET state = 'unknown' WHERE state = 'attempting'").rowcount

    def sale(self, nonce: str) -> LocalSale | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM sales WHERE nonce = ?", (nonce,)).fetchone()
        return None if row is None else LocalSale.from_row(row)

    def sales(self, states: tuple[str, ...] | None = None, limit: int = 500) -> list[LocalSale]:
        if states is None:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM sales ORDER BY seq DESC LIMIT ?", (limit,))
        else:
            marks = ",".join("?" * len(states))
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM sales WHERE state IN ({marks}) ORDER BY seq LIMIT ?",
                (*states, limit),
            )
        return [LocalSale.from_row(r) for r in rows.fetchall()]

    def pending_count(self) -> int:
        marks = ",".join("?" * len(PENDING_STATES))
        query = f"SELECT count(*) FROM sales WHERE state IN ({marks})"
        return int(self._db.execute(query, PENDING_STATES).fetchone()[0])

    def stored_card_payments(self) -> int:
        """Card payments taken offline and not yet forwarded: the store-and-forward slots in use."""
        # Each card tender of a split payment is a payment the terminal stored.
        rows = self._db.execute(
            "SELECT request FROM sales WHERE mode IN ('offline', 'hub') AND state = 'queued'"
        )
        return sum(
            1
            for (request,) in rows
            for tender in msgspec.json.decode(request, type=SaleIn).all_tenders()
            if tender.method is PaymentMethod.CARD
        )

    def merge_legacy_snapshot(self, legacy: Path) -> None:
        """Take the catalogue from release 0.1's separate snapshot file, then remove that file: a
        till upgraded while offline keeps selling from the catalogue it had."""
        if self.cursor == 0:  # a merge whose file removal was cut off is not repeated over newer data
            self._db.execute("ATTACH DATABASE ? AS legacy", (str(legacy),))
            try:
                with self.transaction() as db:
                    for table in _SNAPSHOT_TABLES:
                        if table == "issuer_keys":  # release 0.1 kept no certificate nor revocation time
                            db.execute(f"INSERT OR REPLACE INTO main.{table}({_LEGACY_KEY}) "
                                       f"SELECT {_LEGACY_KEY} FROM legacy.{table}")  # fmt: skip
                        elif table != "tickets":
                            db.execute(f"INSERT OR REPLACE INTO main.{table} SELECT * FROM legacy.{table}")
                    # never the numbers: their hashes come with the feed, read again from its start
                    db.execute(f"INSERT OR REPLACE INTO main.tickets({_LEGACY_TICKET}) "
                               f"SELECT {_LEGACY_TICKET} FROM legacy.tickets")  # fmt: skip
                    marks = ",".join("?" * len(_SNAPSHOT_CONFIG))
                    db.execute(
                        "INSERT OR REPLACE INTO main.config(key, value) "
                        f"SELECT key, value FROM legacy.config WHERE key IN ({marks})",
                        _SNAPSHOT_CONFIG,
                    )
                    db.execute("UPDATE main.config SET value = '0' WHERE key = 'cursor'")
            finally:
                self._db.execute("DETACH DATABASE legacy")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{legacy}{suffix}").unlink(missing_ok=True)


def open_till_store(folder: Path) -> TillStore:
    """The till's store in its folder (readable by this user only: token and key live there)."""
    store = TillStore(private_folder(folder) / TILL_FILE)
    legacy = folder / LEGACY_SNAPSHOT_FILE
    if legacy.exists():
        store.merge_legacy_snapshot(legacy)
    return store
